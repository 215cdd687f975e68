"""The audit log told in Norwegian: each event as a sentence of who did what to what, with its details in words.

What is stored stays as it was written (``survey_app.audit``: actor strings, object ids, a details dict);
``describe`` looks up what the ids name (users, rounds, responses, scenarios, questionnaire versions …) for a
whole page at once, and writes the sentences. A kind of event it does not know still reads as a sentence,
never as a dict. Finding the events (filters, pages) is ``audit_log``'s.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, func, select

from survey_app import audit
from survey_app.dates import format_date
from survey_app.documents.formatting import decimal1, integer
from survey_app.models import (
    ApiToken,
    AuditEvent,
    County,
    Invitation,
    Municipality,
    Questionnaire,
    QuestionnaireVersion,
    RegisterValue,
    Response,
    Role,
    Round,
    Scenario,
    StaffUser,
    ThemeCoding,
)
from survey_app.permissions import ROLE_LABELS


@dataclass(frozen=True)
class ShownEvent:
    """One event as the log page shows it: when, the sentence, and the details in words."""

    at: datetime
    sentence: str
    details: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)  # a scenario's rules, when the event saved them


@dataclass
class _Names:
    """What one page of events names, looked up at once: a handful of queries, not one per event."""

    users: dict[int, StaffUser] = field(default_factory=dict)
    users_by_email: dict[str, StaffUser] = field(default_factory=dict)
    rounds: dict[int, str] = field(default_factory=dict)
    # municipality, round (None: the round is gone)
    responses: dict[int, tuple[str, str | None]] = field(default_factory=dict)
    invitations: dict[int, tuple[str, str | None]] = field(default_factory=dict)
    codings: dict[int, tuple[str, str | None]] = field(default_factory=dict)
    scenarios: dict[int, str] = field(default_factory=dict)
    versions: dict[int, tuple[str, int]] = field(default_factory=dict)  # questionnaire title, its version
    tokens: dict[int, str] = field(default_factory=dict)
    counties: dict[int, str] = field(default_factory=dict)
    municipalities: dict[str, str] = field(default_factory=dict)  # kommunenummer → name
    indicators: dict[str, str] = field(default_factory=dict)  # register indicator → its Norwegian name
    themes: dict[str, str] = field(default_factory=dict)  # theme code → label


def _ids(events: Iterable[AuditEvent], object_type: str) -> set[int]:
    return {int(e.object_id) for e in events if e.object_type == object_type and e.object_id.isdecimal()}


def _detail_ids(events: Iterable[AuditEvent], action: str, key: str) -> set[int]:
    found = set()
    for e in events:
        value = e.details.get(key) if e.action == action else None
        if isinstance(value, int):
            found.add(value)
        elif isinstance(value, list):
            found |= {v for v in value if isinstance(v, int)}
    return found


_STAFF_ACTOR = re.compile(r"staff:(\d+):")
_MUNICIPALITY_ACTOR = re.compile(r"kommune:(\d{4})")


def _look_up(session: Session, events: list[AuditEvent]) -> _Names:
    names = _Names()

    def pairs(query: Any) -> dict[Any, Any]:
        return {row[0]: row[1] for row in session.exec(query).all()}

    user_ids = _ids(events, "staff_user") | {
        int(m.group(1)) for e in events if (m := _STAFF_ACTOR.match(e.actor))
    }
    emails = {
        str(e.details["email"]).strip().lower()
        for e in events
        if e.action in ("login.failed", "login.throttled") and "email" in e.details
    }
    users = session.exec(
        select(StaffUser).where(col(StaffUser.id).in_(user_ids) | col(StaffUser.email).in_(emails))
    ).all()
    names.users = {u.id: u for u in users if u.id is not None}
    names.users_by_email = {u.email: u for u in users}

    round_ids = (
        _ids(events, "round")
        | {int(e.object_id) for e in events if e.object_type == "api" and e.object_id.isdecimal()}
        | _detail_ids(events, "personal_data.purge", "rounds")
    )
    names.rounds = pairs(select(Round.id, Round.title).where(col(Round.id).in_(round_ids)))

    def in_round(query: Any) -> dict[Any, tuple[Any, Any]]:
        return {row[0]: (row[1], row[2]) for row in session.exec(query).all()}

    names.responses = in_round(
        select(Response.id, Municipality.name, Round.title)
        .join(Municipality, col(Municipality.id) == col(Response.municipality_id))
        .outerjoin(Round, col(Round.id) == col(Response.round_id))
        .where(col(Response.id).in_(_ids(events, "response")))
    )
    names.invitations = in_round(
        select(Invitation.id, Municipality.name, Round.title)
        .join(Municipality, col(Municipality.id) == col(Invitation.municipality_id))
        .outerjoin(Round, col(Round.id) == col(Invitation.round_id))
        .where(col(Invitation.id).in_(_ids(events, "invitation")))
    )
    names.codings = in_round(
        select(ThemeCoding.id, Municipality.name, Round.title)
        .join(Response, col(Response.id) == col(ThemeCoding.response_id))
        .join(Municipality, col(Municipality.id) == col(Response.municipality_id))
        .outerjoin(Round, col(Round.id) == col(Response.round_id))
        .where(col(ThemeCoding.id).in_(_ids(events, "theme_coding")))
    )
    scenario_ids = _ids(events, "scenario") | _detail_ids(events, "recommendation.copy", "from")
    names.scenarios = pairs(select(Scenario.id, Scenario.name).where(col(Scenario.id).in_(scenario_ids)))
    names.versions = in_round(
        select(QuestionnaireVersion.id, Questionnaire.title, QuestionnaireVersion.version_no)
        .join(Questionnaire, col(Questionnaire.id) == col(QuestionnaireVersion.questionnaire_id))
        .where(col(QuestionnaireVersion.id).in_(_ids(events, "questionnaire_version")))
    )
    names.tokens = pairs(
        select(ApiToken.id, ApiToken.name).where(col(ApiToken.id).in_(_ids(events, "api_token")))
    )
    names.counties = pairs(select(County.id, County.name).where(col(County.id).in_(_ids(events, "county"))))
    numbers = {m.group(1) for e in events if (m := _MUNICIPALITY_ACTOR.match(e.actor))} | {
        str(e.details["kommunenummer"]) for e in events if "kommunenummer" in e.details
    }
    names.municipalities = pairs(
        select(Municipality.kommunenummer, Municipality.name).where(
            col(Municipality.kommunenummer).in_(numbers)
        )
    )
    indicators = {str(e.details.get("indicator")) for e in events if e.action == "knowledge.register_import"}
    if indicators:
        names.indicators = pairs(
            select(RegisterValue.indicator, func.max(RegisterValue.label))
            .where(col(RegisterValue.indicator).in_(indicators))
            .group_by(col(RegisterValue.indicator))
        )
    if any(e.action == "theme.confirm" for e in events):
        names.themes = _theme_labels()
    return names


def _theme_labels() -> dict[str, str]:
    # Imported here: the analysis loads scikit-learn, which the log does not otherwise need.
    from analysis.themes import load_codebook
    from survey_app.resources import CODEBOOK

    return {c.code: c.label for c in load_codebook(CODEBOOK).codes}


def describe(session: Session, events: list[AuditEvent]) -> list[ShownEvent]:
    """The events as sentences, in the order given."""
    names = _look_up(session, events)
    shown = []
    for event in events:
        told = _Told(event, names)
        describe_one = _DESCRIBERS.get(event.action, _unknown)
        sentence = describe_one(told)
        shown.append(ShownEvent(event.at, sentence, told.lines, told.rules))
    return shown


class _Told:
    """One event being told: who, what its ids name, and the detail lines gathered so far."""

    def __init__(self, event: AuditEvent, names: _Names) -> None:
        self.event, self.names, self.d = event, names, event.details
        self.lines: list[str] = []
        self.rules: list[str] = []

    def add(self, line: str) -> None:
        """A detail, as a sentence of its own (the page runs them together)."""
        self.lines.append(line if line.endswith((".", "!", "?")) else f"{line}.")

    # who did it

    @property
    def who(self) -> str:
        actor = self.event.actor
        if actor == audit.SYSTEM:
            return "Systemet"
        if m := _STAFF_ACTOR.match(actor):
            user = self.names.users.get(int(m.group(1)))
            email = actor[m.end() :]
            return self.person(user) if user else (email or "En ansatt som er slettet")
        if m := _MUNICIPALITY_ACTOR.match(actor):
            municipality = self.municipality(m.group(1))
            person = actor[m.end() :].removeprefix(":").strip()
            return f"{person} for {municipality}" if person else municipality
        if actor.startswith("anonym:"):
            return f"Noen på adressen {actor.removeprefix('anonym:')}"
        return "Noen"

    @property
    def by_municipality(self) -> bool:
        return self.event.actor.startswith("kommune:")

    def person(self, user: StaffUser) -> str:
        return person_name(user)

    # what the event is about

    @property
    def object_id(self) -> int | None:
        return int(self.event.object_id) if self.event.object_id.isdecimal() else None

    def user(self) -> str:
        user = self.names.users.get(self.object_id or -1)
        if user is not None:
            return user.full_name or user.email
        return str(self.d.get("email") or "en bruker som er slettet")

    def round(self, round_id: int | None = None) -> str:
        title = self.names.rounds.get(round_id if round_id is not None else self.object_id or -1)
        return f"runden {title}" if title else "en runde som er slettet"

    def response(self) -> str:
        found = self.names.responses.get(self.object_id or -1)
        if found is None:
            return "et svar som er slettet"
        municipality, round_title = found
        return (
            f"svaret fra {municipality} kommune i {round_title}"
            if round_title
            else f"svaret fra {municipality} kommune"
        )

    def link_target(self) -> str | None:
        """Whose link the event is about: «Lier kommune i Kommuneundersøkelsen 2026»."""
        found = self.names.invitations.get(self.object_id or -1)
        if found is None:
            return None
        municipality, round_title = found
        return f"{municipality} kommune" + (f" i {round_title}" if round_title else "")

    def link(self) -> str:
        target = self.link_target()
        return f"lenken til {target}" if target else "en lenke som er slettet"

    def scenario(self, scenario_id: int | None = None) -> str:
        name = self.names.scenarios.get(scenario_id if scenario_id is not None else self.object_id or -1)
        return f"scenarioet «{name}»" if name else "et scenario som er slettet"

    def municipality(self, kommunenummer: object) -> str:
        name = self.names.municipalities.get(str(kommunenummer))
        return f"{name} kommune" if name else f"kommunenummer {kommunenummer}"

    # details

    def count(self, key: str, one: str, many: str) -> str | None:
        value = self.d.get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            return None
        return f"{integer(value)} {one if value == 1 else many}"

    def text(self, key: str) -> str:
        value = self.d.get(key)
        return value.strip() if isinstance(value, str) else ""

    def sessions_ended(self, *, others: bool = False) -> None:
        """How many sessions the change ended (``others``: besides the one it was made in)."""
        value = self.d.get("sessions_ended")
        if not isinstance(value, int) or isinstance(value, bool):
            return
        if value == 0:
            self.add("Ingen andre økter var i gang." if others else "Ingen økter var i gang.")
        elif value == 1:
            self.add("1 annen økt ble avsluttet." if others else "1 økt ble avsluttet.")
        else:
            self.add(f"{integer(value)} {'andre ' if others else ''}økter ble avsluttet.")


def person_name(user: StaffUser) -> str:
    """A staff user as the log names them: «Kari Nordmann (rådgiver)», by e-mail when they have no name."""
    return f"{user.full_name or user.email} ({role_name(user.role)})"


def role_name(role: Role | str) -> str:
    """A role as a sentence names it: «rådgiver»."""
    try:
        return ROLE_LABELS[Role(role)].lower()
    except ValueError:
        return "ukjent rolle"


def _date_text(value: object) -> str:
    if not isinstance(value, str):
        return ""
    try:
        moment = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    except ValueError:
        return ""
    return format_date(moment)


# --- one describer per kind of event ---------------------------------------------------------------------

Describer = Callable[[_Told], str]


def _login(t: _Told) -> str:
    if address := t.text("address"):
        t.add(f"Fra adressen {address}.")
    return f"{t.who} logget inn"


def _account(t: _Told) -> str | None:
    """The account a login event names, if the e-mail is an account's; what else was typed is not shown
    (older events kept it, sometimes a password typed in the wrong field)."""
    user = t.names.users_by_email.get(t.text("email").lower())
    return (user.full_name or user.email) if user else None


def _login_failed(t: _Told) -> str:
    account = _account(t)
    if account is None:
        return f"{t.who} prøvde å logge inn med en e-postadresse som ikke tilhører noen bruker"
    return f"{t.who} prøvde uten hell å logge inn som {account}"


def _login_throttled(t: _Told) -> str:
    account = _account(t) or "en ukjent bruker"
    address = t.text("address") or t.event.actor.removeprefix("anonym:")
    limit = t.text("limit")
    t.add("Sperren oppheves av seg selv etter en stund, eller når en administrator låser opp brukeren.")
    if limit == "address":
        return f"Innlogging fra adressen {address} ble sperret etter for mange feil passord"
    if limit == "account":
        return f"Innlogging som {account} ble sperret fra alle adresser etter for mange feil passord"
    return f"Innlogging som {account} fra adressen {address} ble sperret etter for mange feil passord"


def _provider_details(t: _Told) -> None:
    """Which identity provider, and the person's id there: the e-mail alone can be given to someone else."""
    if issuer := t.text("issuer"):
        t.add(f"Identitetsleverandør: {issuer}, brukerens id der: {t.text('sub') or 'ukjent'}.")


def _login_oidc(t: _Told) -> str:
    if address := t.text("address"):
        t.add(f"Fra adressen {address}.")
    _provider_details(t)
    return f"{t.who} logget inn med fylkets konto"


# Why a sign-in through the identity provider was refused, as the log tells it.
_OIDC_REFUSALS = {
    "unknown": "fordi e-postadressen ikke tilhører noen bruker i Innspill",
    "inactive": "fordi brukeren er deaktivert",
    "no_role": "fordi gruppene i fylkets konto ikke gir noen rolle i Innspill",
    "no_email": "fordi identitetsleverandøren ikke oppga noen e-postadresse",
    "email_unverified": "fordi identitetsleverandøren ikke hadde bekreftet e-postadressen",
    "last_admin": "fordi gruppene ville tatt rollen fra den siste aktive administratoren",
}


def _login_oidc_refused(t: _Told) -> str:
    if address := t.text("address"):
        t.add(f"Fra adressen {address}.")
    _provider_details(t)
    why = _OIDC_REFUSALS.get(t.text("reason"), "")
    email = t.text("email")
    who = t.who if t.event.actor.startswith("staff:") else (email or t.who)
    return f"Innlogging med fylkets konto for {who} ble avvist" + (f" {why}" if why else "")


# What went wrong in a failed sign-in flow (services/oidc.py ERRORS), as the log tells it.
_OIDC_ERRORS = {
    "access_denied": "ble avbrutt eller avvist hos identitetsleverandøren",
    "provider_error": "ble stoppet av en feil hos identitetsleverandøren",
    "state": "ble avvist fordi svaret var utløpt, allerede brukt eller hørte til en annen nettleser",
    "unreachable": "feilet fordi identitetsleverandøren ikke svarte",
    "invalid_response": "ble avvist fordi svaret fra identitetsleverandøren ikke kunne bekreftes",
}


def _login_oidc_error(t: _Told) -> str:
    # The technical cause (``detail``, in the provider's or the library's English) stays in the stored
    # details and the server log, for the county's IT; the log page tells what happened.
    what = _OIDC_ERRORS.get(t.text("error"), "feilet")
    return f"Innlogging med fylkets konto fra adressen {t.text('address') or 'ukjent'} {what}"


def _session_end(t: _Told) -> str:
    reason = t.text("reason")
    if reason == "logout":
        return f"{t.who} logget ut"
    if reason == "ended_by_user":
        return f"{t.who} avsluttet en av innloggingene sine fra «Min konto»"
    return f"{t.who} avsluttet en innlogging"


def _session_end_others(t: _Told) -> str:
    t.sessions_ended()
    return f"{t.who} logget ut alle de andre innloggingene sine"


def _register_load(t: _Told) -> str:
    county = t.names.counties.get(t.object_id or -1)
    if counted := t.count("municipalities", "kommune", "kommuner"):
        t.add(f"{counted}.")
    return f"{t.who} lastet kommuneregisteret for {county}" if county else f"{t.who} lastet kommuneregisteret"


def _questionnaire_import(t: _Told) -> str:
    found = t.names.versions.get(t.object_id or -1)
    if found is None:
        return f"{t.who} importerte et skjema"
    title, version = found
    return f"{t.who} importerte skjemaet {title}, versjon {version}"


def _round_create(t: _Told) -> str:
    title = t.names.rounds.get(t.object_id or -1) or t.text("title")
    counted = t.count("municipalities", "kommune", "kommuner")
    return f"{t.who} opprettet runden {title}" + (f" for {counted}" if counted else "")


# (from, to) → what the person did to the round; the words of the round page's buttons.
_STATUS_CHANGE = {
    ("draft", "open"): "åpnet {round}",
    ("closed", "open"): "åpnet {round} igjen",
    ("open", "closed"): "lukket {round}",
    ("draft", "closed"): "lukket {round}",
    ("open", "draft"): "gjorde {round} om til et utkast",
    ("closed", "draft"): "gjorde {round} om til et utkast",
}


def _round_status(t: _Told) -> str:
    done = _STATUS_CHANGE.get((t.text("from"), t.text("to")), "endret statusen for {round}")
    return f"{t.who} {done.format(round=t.round())}"


def _invitation_regenerate(t: _Told) -> str:
    t.add("Den gamle lenken virker ikke lenger.")
    if until := _date_text(t.d.get("expires_at")):
        t.add(f"Den nye virker til {until}.")
    t.sessions_ended()
    target = t.link_target()
    return f"{t.who} laget en ny lenke til {target}" if target else f"{t.who} laget en ny lenke"


def _invitation_revoke(t: _Told) -> str:
    t.add("Lenken virker ikke lenger.")
    t.sessions_ended()
    return f"{t.who} trakk tilbake {t.link()}"


def _invitations_export(t: _Told) -> str:
    if counted := t.count("rows", "lenke", "lenker"):
        t.add(f"{counted}.")
    return f"{t.who} lastet ned lenkene til {t.round()}"


def _queued(what: str) -> Describer:
    def describe(t: _Told) -> str:
        if t.d.get("without_address") and (missing := t.count("without_address", "kommune", "kommuner")):
            t.add(f"{missing} uten e-postadresse fikk ingen.")
        if t.d.get("already_queued") and (waiting := t.count("already_queued", "kommune", "kommuner")):
            t.add(f"{waiting} hadde allerede en e-post som ventet på sending.")
        counted = t.count("queued", "kommune", "kommuner")
        to = f" til {counted}" if counted else ""
        return f"{t.who} la {what}{to} i kø for sending i {t.round()}"

    return describe


def _response_submit(t: _Told) -> str:
    found = t.names.responses.get(t.object_id or -1)
    if t.by_municipality and found is not None:
        return f"{t.who} sendte inn svaret i {found[1]}" if found[1] else f"{t.who} sendte inn svaret"
    return f"{t.who} sendte inn {t.response()}"


def _response_reopen(t: _Told) -> str:
    if reason := t.text("reason"):
        t.add(f"Begrunnelse: {reason}")
    return f"{t.who} åpnet {t.response()} igjen"


_FILE_KINDS = {"xlsx": "en Excel-fil", "csv": "en CSV-fil", "json": "en JSON-fil", "docx": "et Word-dokument"}
_FILE_KINDS["pdf"] = "en PDF"


def _file_kind(name: str) -> str:
    return _FILE_KINDS.get(name.rsplit(".", 1)[-1].lower(), "en fil")


def _export(t: _Told) -> str:
    if t.event.object_type == "scenario":
        document = t.text("document")
        if t.text("malform") == "nn":
            t.add("På nynorsk.")
        what = f"«{document}» for {t.scenario()}" if document else f"tallene i {t.scenario()}"
        return f"{t.who} lastet ned {what} som {_file_kind(t.text('format'))}"
    if counted := t.count("rows", "svar", "svar"):
        t.add(f"{counted}.")
    if region := t.text("region"):
        t.add(f"Bare regionen {region}.")
    if t.d.get("in_progress") is True:
        t.add("Med svar som ikke er sendt inn.")
    return f"{t.who} lastet ned svarene i {t.round()} som {_file_kind(t.text('format'))}"


_API_PATH = re.compile(r"/api/v1/runder(?:/(\d+)(/svar|/resultater)?)?/?$")


def _api_read(t: _Told) -> str:
    m = _API_PATH.search(t.text("path"))
    if m is None:
        what = "data"
    elif m.group(1) is None:
        what = "listen over runder"
    else:
        round_ = t.round(int(m.group(1)))
        what = {None: round_, "/svar": f"svarene i {round_}", "/resultater": f"resultatene i {round_}"}[
            m.group(2)
        ]
    if "pabegynte=true" in t.text("query"):
        t.add("Med svar som ikke er sendt inn.")
    return f"{t.who} hentet {what} gjennom API-et"


def _token_name(t: _Told) -> str:
    name = t.names.tokens.get(t.object_id or -1) or t.text("name")
    return f"API-nøkkelen «{name}»" if name else "en API-nøkkel"


def _api_token_create(t: _Told) -> str:
    if until := _date_text(t.d.get("expires_at")):
        t.add(f"Virker til {until}.")
    return f"{t.who} laget {_token_name(t)}"


def _api_token_revoke(t: _Told) -> str:
    return f"{t.who} trakk tilbake {_token_name(t)}"


def _from_provider(t: _Told, line: str) -> None:
    if t.text("source") == "oidc":
        t.add(line)
        _provider_details(t)


def _user_create(t: _Told) -> str:
    _from_provider(t, "Opprettet da personen logget inn med fylkets konto for første gang.")
    email = t.text("email")
    user = t.user()
    named = f"{user} ({email})" if email and user != email else user
    role = t.text("role")
    return (
        f"{t.who} opprettet brukeren {named} som {role_name(role)}"
        if role
        else f"{t.who} opprettet brukeren {named}"
    )


def _user_update(t: _Told) -> str:
    _from_provider(t, "Rollen følger gruppene personen har i fylkets konto.")
    changes = []
    if "role_to" in t.d:
        changes.append(f"rollen fra {role_name(t.text('role_from'))} til {role_name(t.text('role_to'))}")
    if "name_to" in t.d:
        before, after = t.text("name_from"), t.text("name_to")
        changes.append(f"navnet fra «{before}» til «{after}»" if before else f"navnet til «{after}»")
    t.sessions_ended()
    what = " og ".join(changes) or "brukeren"
    return f"{t.who} endret {what} for {t.text('email') or t.user()}"


def _user_deactivate(t: _Told) -> str:
    t.sessions_ended()
    return f"{t.who} deaktiverte brukeren {t.user()}"


def _password_change(t: _Told) -> str:
    t.sessions_ended(others=True)
    if t.d.get("after_reset") is True:
        return f"{t.who} valgte nytt passord etter at det var tilbakestilt"
    return f"{t.who} byttet passordet sitt"


def _password_check_failed(t: _Told) -> str:
    if address := t.text("address"):
        t.add(f"Fra adressen {address}.")
    return f"{t.who} skrev feil nåværende passord da passordet skulle byttes"


def _password_reset(t: _Told) -> str:
    t.add("Brukeren må velge nytt passord ved neste innlogging.")
    t.sessions_ended()
    return f"{t.who} tilbakestilte passordet til {t.user()}"


def _user_unlock(t: _Told) -> str:
    return f"{t.who} låste opp {t.user()} etter for mange innloggingsforsøk"


def _analysis_run(t: _Told) -> str:
    if counted := t.count("municipalities", "kommune", "kommuner"):
        t.add(f"Svar fra {counted}.")
    return f"{t.who} kjørte analysen av {t.round()}"


def _theme_confirm(t: _Told) -> str:
    def labels(key: str) -> str:
        codes = t.d.get(key)
        if not isinstance(codes, list):
            return ""
        # Quoted: a label may hold a comma itself («Bosetting, kapasitet og måling»).
        return ", ".join(f"«{t.names.themes.get(str(c), 'ukjent tema')}»" for c in codes) or "ingen"

    confirmed, suggested = labels("codes"), labels("machine")
    if confirmed:
        t.add(f"Temaer: {confirmed}.")
    if suggested and suggested != confirmed:
        t.add(f"Maskinen foreslo: {suggested}.")
    found = t.names.codings.get(t.object_id or -1)
    where = f" fra {found[0]} kommune" if found else ""
    where += f" i {found[1]}" if found and found[1] else ""
    return f"{t.who} bekreftet temaene i et fritekstsvar{where}"


def _size(value: object) -> str:
    if not isinstance(value, int) or isinstance(value, bool):
        return ""
    return f"{decimal1(value / 1_000_000)} MB"


def _database_backup(t: _Told) -> str:
    if file := t.text("file"):
        t.add(f"Fil: {file}")
    if size := _size(t.d.get("bytes")):
        t.add(f"Størrelse: {size}.")
    if t.d.get("key") == "data_dir":
        t.add("Med den hemmelige nøkkelen invitasjonslenkene lages med.")
    return f"{t.who} tok en sikkerhetskopi av databasen"


def _database_restore(t: _Told) -> str:
    if file := t.text("file"):
        t.add(f"Fil: {file}")
    return f"{t.who} gjenopprettet databasen fra en sikkerhetskopi"


def _purge(t: _Told) -> str:
    rounds = t.d.get("rounds")
    if isinstance(rounds, list) and rounds:
        titles = [t.names.rounds.get(r) or "en runde som er slettet" for r in rounds if isinstance(r, int)]
        t.add(f"Runder: {', '.join(titles)}.")
    for key, one, many, what in (
        ("signers", "innsendt svar", "innsendte svar", "Navn og rolle fjernet fra"),
        ("editors", "svar på spørsmål", "svar på spørsmål", "Navn på den som skrev fjernet fra"),
        ("audit_actors", "hendelse i loggen", "hendelser i loggen", "Navn fjernet fra"),
        ("contacts", "kontaktadresse", "kontaktadresser", "Slettet"),
    ):
        if counted := t.count(key, one, many):
            t.add(f"{what} {counted}.")
    before = _date_text(t.d.get("before"))
    when = f" som ble lukket før {before}" if before else ""
    return f"{t.who} slettet personopplysninger fra runder{when}"


def _total(t: _Told) -> None:
    if (counted := t.count("total", "flyktning", "flyktninger")) is not None:
        t.add(f"Total: {counted}.")
    if (minors := t.count("minors", "enslig mindreårig", "enslige mindreårige")) is not None:
        t.add(f"Av dem {minors}.")
    year = t.d.get("year")
    if isinstance(year, int) and not isinstance(year, bool):
        t.add(f"For bosetting i {year}.")


def _recommendation_create(t: _Told) -> str:
    _total(t)
    if counted := t.count("municipalities", "kommune", "kommuner"):
        t.add(f"{counted}.")
    if source := t.text("source"):
        t.add(f"Tallene er fra {source}.")
    return f"{t.who} laget {t.scenario()}"


def _recommendation_copy(t: _Told) -> str:
    source = t.d.get("from")
    original = t.scenario(source) if isinstance(source, int) else "et scenario"
    return f"{t.who} lagret {original} som et nytt scenario, {t.scenario()}"


def _rule_lines(rules: object) -> list[str]:
    """A scenario's rules as saved with the event, in the words of the scenario page; none when the rules
    of an older event no longer read."""
    # Imported here: the recommendation package loads the settlement model, which the log rarely needs.
    from pydantic import ValidationError

    from analysis.settlement_rules import RulesSpec
    from survey_app.services.recommendation import rule_lines

    try:
        spec = RulesSpec.model_validate(rules)
    except ValidationError:
        return []
    return [f"{name}: {value}" for name, value in rule_lines(spec.to_rules())[1:]]  # [0]: always the same


def _recommendation_update(t: _Told) -> str:
    _total(t)
    t.rules = _rule_lines(t.d.get("rules"))
    return f"{t.who} endret totalen eller reglene i {t.scenario()}"


def _recommendation_override(t: _Told) -> str:
    if reason := t.text("reason"):
        t.add(f"Begrunnelse: {reason}")
    number = t.d.get("number")
    to = f" til {integer(number)}" if isinstance(number, int) and not isinstance(number, bool) else ""
    return f"{t.who} satte tallet for {t.municipality(t.d.get('kommunenummer'))}{to} i {t.scenario()}"


def _recommendation_override_remove(t: _Told) -> str:
    municipality = t.municipality(t.d.get("kommunenummer"))
    return f"{t.who} fjernet det overstyrte tallet for {municipality} i {t.scenario()}"


def _recommendation_finalize(t: _Told) -> str:
    _total(t)
    t.add("Tallene er skrevet inn i kunnskapsgrunnlaget.")
    return f"{t.who} merket {t.scenario()} som endelig anbefaling"


def _knowledge_import(what: str) -> Describer:
    def describe(t: _Told) -> str:
        changes = [
            counted
            for key, one, many in (
                ("added", "nytt tall", "nye tall"),
                ("changed", "endret", "endret"),
                ("unchanged", "uendret", "uendret"),
            )
            if t.d.get(key) and (counted := t.count(key, one, many))
        ]
        t.add((", ".join(changes) if changes else "Ingen tall") + ".")
        years = t.d.get("years")
        if isinstance(years, list) and len(years) == 2:
            t.add(f"Årene {years[0]}–{years[1]}." if years[0] != years[1] else f"Året {years[0]}.")
        unknown = t.d.get("unknown")
        if isinstance(unknown, list) and unknown:
            t.add(f"Ukjente kommunenumre, ikke importert: {', '.join(str(u) for u in unknown)}.")
        if table := t.text("table_id"):
            t.add(f"SSB-tabell {table}.")
        indicator = t.names.indicators.get(t.text("indicator"))
        subject = f"registertallene «{indicator}»" if indicator else what
        file = t.text("file")
        return f"{t.who} importerte {subject} til kunnskapsgrunnlaget" + (
            f" fra filen «{file}»" if file else ""
        )

    return describe


def _recommendation_recorded(t: _Told) -> str:
    counted = t.count("municipalities", "kommune", "kommuner")
    total = t.count("total", "flyktning", "flyktninger")
    if counted and total:
        t.add(f"{counted}, til sammen {total}.")
    year = t.d.get("year")
    for_year = f" for {year}" if isinstance(year, int) and not isinstance(year, bool) else ""
    return f"{t.who} skrev den endelige anbefalingen{for_year} inn i kunnskapsgrunnlaget"


_OBJECTS: dict[str, Callable[[_Told], str]] = {
    "round": _Told.round,
    "response": _Told.response,
    "invitation": _Told.link,
    "scenario": _Told.scenario,
    "staff_user": lambda t: f"brukeren {t.user()}",
}


def _unknown(t: _Told) -> str:
    """A kind of event this module does not know yet: a sentence still, with what it is about if known."""
    about = _OBJECTS.get(t.event.object_type)
    if about is not None:
        t.add(f"Gjelder {about(t)}.")
    return f"{t.who} gjorde en endring som loggen ikke har noen beskrivelse av ennå"


def _archive_export(t: _Told) -> str:
    if counted := t.count("documents", "dokument", "dokumenter"):
        t.add(f"{counted}.")
    if kind := t.text("journalposttype"):
        t.add("Journalført som utgående til IMDi." if kind == "U" else "Journalført som notat.")
    if t.text("via") == "cli":
        t.add("Fra kommandolinjen.")
    if t.event.object_type == "response":
        return f"{t.who} lastet ned arkivpakken for {t.response()}"
    if t.event.object_type == "scenario":
        return f"{t.who} lastet ned arkivpakken for den endelige anbefalingen i {t.scenario()}"
    return f"{t.who} lastet ned arkivpakkene for {t.round()}"


def _archive_case_folder(t: _Told) -> str:
    year, number = t.d.get("saksaar"), t.d.get("sakssekvensnummer")
    if isinstance(year, int) and isinstance(number, int):
        return f"{t.who} satte saksmappen i arkivet for {t.round()} til sak {year}/{number}"
    title = t.text("tittel")
    return f"{t.who} valgte en ny sak i arkivet for {t.round()}" + (
        f" med tittelen «{title}»" if title else ""
    )


_DESCRIBERS: dict[str, Describer] = {
    "login": _login,
    "login.failed": _login_failed,
    "login.throttled": _login_throttled,
    "archive.export": _archive_export,
    "archive.case_folder": _archive_case_folder,
    "login.oidc": _login_oidc,
    "login.oidc_refused": _login_oidc_refused,
    "login.oidc_error": _login_oidc_error,
    "session.end": _session_end,
    "session.end_others": _session_end_others,
    "register.load": _register_load,
    "questionnaire.import": _questionnaire_import,
    "round.create": _round_create,
    "round.status": _round_status,
    "invitation.regenerate": _invitation_regenerate,
    "invitation.revoke": _invitation_revoke,
    "invitations.export": _invitations_export,
    "invitations.send": _queued("invitasjoner"),
    "reminder.send": _queued("påminnelser"),
    "response.submit": _response_submit,
    "response.reopen": _response_reopen,
    "export": _export,
    "api.read": _api_read,
    "api_token.create": _api_token_create,
    "api_token.revoke": _api_token_revoke,
    "user.create": _user_create,
    "user.update": _user_update,
    "user.deactivate": _user_deactivate,
    "user.password_change": _password_change,
    "user.password_check_failed": _password_check_failed,
    "user.password_reset": _password_reset,
    "user.unlock": _user_unlock,
    "analysis.run": _analysis_run,
    "theme.confirm": _theme_confirm,
    "database.backup": _database_backup,
    "database.restore": _database_restore,
    "personal_data.purge": _purge,
    "recommendation.create": _recommendation_create,
    "recommendation.copy": _recommendation_copy,
    "recommendation.update": _recommendation_update,
    "recommendation.override": _recommendation_override,
    "recommendation.override_remove": _recommendation_override_remove,
    "recommendation.finalize": _recommendation_finalize,
    "knowledge.history_import": _knowledge_import("bosettingshistorikk"),
    "knowledge.register_import": _knowledge_import("registertall"),
    "knowledge.recommendation_recorded": _recommendation_recorded,
}
DESCRIBED = frozenset(_DESCRIBERS)
