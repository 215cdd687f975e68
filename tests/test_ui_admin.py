"""The administrator's pages for everyday use (issue 15): the audit log in Norwegian sentences with filters
(item 7), a user's name and role changed by an administrator (item 14), «Deaktiver» behind a confirmation
in an actions column (items 3 and 14), and a staff menu without «Logg» next to «Logg ut» (item 7)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from sqlmodel import Session, col, select

from analysis.settlement_rules import RulesSpec
from survey_app import audit
from survey_app.config import Settings
from survey_app.models import (
    AuditEvent,
    County,
    QuestionnaireVersion,
    RegisterValue,
    Role,
    RoundStatus,
    StaffUser,
    ThemeCoding,
    WebSession,
)
from survey_app.services import api_tokens, audit_log, rounds, sessions, users
from tests.conftest import csrf_of, fresh
from tests.factories import PASSWORD, World, make_scenario, make_staff, make_world
from tests.test_accounts import signed_in
from tests.test_staff import table_rows
from tests.test_throttle import fast_hashing

SURVEY_APP = Path(__file__).resolve().parent.parent / "survey_app"


@pytest.fixture(autouse=True)
def _fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    fast_hashing(monkeypatch)


def make_named(session: Session, role: Role, email: str, name: str) -> StaffUser:
    return users.create_user(
        session, email=email, password=PASSWORD, role=role, full_name=name, actor=audit.SYSTEM
    )


def audited(session: Session, action: str) -> list[AuditEvent]:
    fresh(session)
    return list(
        session.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(col(AuditEvent.id)))
    )


def told(html: str) -> list[str]:
    """The log's events as the page tells them: the sentence, then its details."""
    page = BeautifulSoup(html, "html.parser")
    return [td.get_text(" ", strip=True) for td in page.select("#hendelser tbody td.details")]


# --- item 7: every kind of event as a sentence ----------------------------------------------------------


def recorded_actions() -> set[str]:
    """Every action the app records, found in its code as the brief says: ``action="…"``."""
    found: set[str] = set()
    for path in SURVEY_APP.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        found |= set(re.findall(r'action="([a-z_.]+)"', text))
        # The one action built from a value: knowledge imports, one per kind of file.
        if 'action=f"knowledge.{preview.kind}_import"' in text:
            found |= {"knowledge.history_import", "knowledge.register_import"}
        assert not set(re.findall(r'action=f"(?!knowledge\.\{preview\.kind\}_import")', text)), path
    return found


def test_every_recorded_action_has_a_sentence_and_a_name() -> None:
    actions = recorded_actions()
    assert len(actions) > 35 and "round.status" in actions and "user.update" in actions
    assert actions - audit_log.DESCRIBED == set()
    assert actions - set(audit_log.KINDS) == set()


@dataclass(frozen=True)
class Ids:
    kari: StaffUser
    admin: StaffUser
    world: World
    scenario: int
    other_scenario: int
    version: int
    token: int
    coding: int
    county: int


def _ids(session: Session, settings: Settings) -> Ids:
    world = make_world(session, settings)
    kari = make_named(session, Role.radgiver, "kari@fylke.test", "Kari Nordmann")
    admin = make_named(session, Role.admin, "admin@fylke.test", "Demoadministrator")
    scenario = make_scenario(session, name="Forslag til anbefaling 2027")
    other = make_scenario(session, name="Utkast med lavere total")
    token, _ = api_tokens.create(session, user=kari, name="Power BI")
    response = world.response(session, "3043")
    coding = ThemeCoding(
        response_id=response.id,
        answer_key="kommentar",
        machine_codes=["plan"],
        staff_codes=["plan", "bosetting"],
    )
    session.add(coding)
    session.add(
        RegisterValue(kommunenummer="3005", indicator="befolkning", label="Befolkning", year=2026, value=1.0)
    )
    session.commit()
    version = session.exec(select(QuestionnaireVersion.id)).first()
    county = session.exec(select(County.id)).first()
    assert version and county and scenario.id and other.id and token.id and coding.id
    return Ids(kari, admin, world, scenario.id, other.id, version, token.id, coding.id, county)


def every_kind(session: Session, ids: Ids) -> dict[str, tuple[str, str, object, dict[str, Any], str]]:
    """One event of each kind as the app writes it: action → (actor, object type, object id, details, what
    the page must say)."""
    kari, admin = audit.staff_actor(ids.kari), audit.staff_actor(ids.admin)
    round_id = ids.world.round.id
    al = ids.world.response(session, "3043").id
    lier_link = int(ids.world.link("3049")[3:].split("-")[0])
    rules = RulesSpec().model_dump(mode="json", exclude={"regional_balanse"})
    k, a = "Kari Nordmann (rådgiver)", "Demoadministrator (administrator)"
    return {
        "login": (kari, "staff_user", ids.kari.id, {"address": "10.0.0.7"}, f"{k} logget inn"),
        "login.failed": (
            "anonym:10.0.0.9",
            "staff_user",
            ids.kari.id,
            {"email": "kari@fylke.test"},
            "Noen på adressen 10.0.0.9 prøvde uten hell å logge inn som Kari Nordmann",
        ),
        "login.throttled": (
            "anonym:10.0.0.9",
            "staff_user",
            ids.kari.id,
            {"email": "kari@fylke.test", "address": "10.0.0.9", "limit": "account_address"},
            "Innlogging som Kari Nordmann fra adressen 10.0.0.9 ble sperret etter for mange feil passord",
        ),
        "login.oidc": (
            kari,
            "staff_user",
            ids.kari.id,
            {
                "address": "10.0.0.7",
                "issuer": "https://login.fylke.no",
                "sub": "kari-123",
                "email": "kari@fylke.test",
            },
            f"{k} logget inn med fylkets konto",
        ),
        "login.oidc_refused": (
            "anonym:10.0.0.9",
            "staff_user",
            "",
            {
                "reason": "unknown",
                "email": "ny@fylke.test",
                "issuer": "https://login.fylke.no",
                "sub": "ny-456",
                "address": "10.0.0.9",
            },
            "Innlogging med fylkets konto for ny@fylke.test ble avvist fordi e-postadressen ikke tilhører noen bruker i Innspill",
        ),
        "login.oidc_error": (
            "anonym:10.0.0.9",
            "",
            "",
            {"error": "state", "detail": "unknown, expired or already used state", "address": "10.0.0.9"},
            "Innlogging med fylkets konto fra adressen 10.0.0.9 ble avvist fordi svaret var utløpt, allerede brukt eller hørte til en annen nettleser",
        ),
        "archive.case_folder": (
            kari,
            "round",
            round_id,
            {"saksaar": 2026, "sakssekvensnummer": 1234},
            f"{k} satte saksmappen i arkivet for runden Testrunden 2026 til sak 2026/1234",
        ),
        "archive.export": (
            kari,
            "response",
            al,
            {"scope": "response", "documents": 1, "bytes": 40000},
            f"{k} lastet ned arkivpakken for svaret fra Ål kommune i Testrunden 2026. 1 dokument",
        ),
        "session.end": (kari, "web_session", 7, {"reason": "logout"}, f"{k} logget ut"),
        "session.end_others": (
            kari,
            "staff_user",
            ids.kari.id,
            {"sessions_ended": 2},
            f"{k} logget ut alle de andre innloggingene sine",
        ),
        "register.load": (
            audit.SYSTEM,
            "county",
            ids.county,
            {"municipalities": 3},
            "Systemet lastet kommuneregisteret for Testfylket",
        ),
        "questionnaire.import": (
            audit.SYSTEM,
            "questionnaire_version",
            ids.version,
            {"slug": "liten-test", "version_no": 1},
            "Systemet importerte skjemaet Liten testundersøkelse, versjon 1",
        ),
        "round.create": (
            admin,
            "round",
            round_id,
            {"title": "Testrunden 2026", "municipalities": 3},
            f"{a} opprettet runden Testrunden 2026 for 3 kommuner",
        ),
        "round.status": (
            kari,
            "round",
            round_id,
            {"from": "open", "to": "closed"},
            f"{k} lukket runden Testrunden 2026",
        ),
        "invitation.regenerate": (
            admin,
            "invitation",
            lier_link,
            {"sessions_ended": 1},
            f"{a} laget en ny lenke til Lier kommune i Testrunden 2026",
        ),
        "invitation.revoke": (
            admin,
            "invitation",
            lier_link,
            {"sessions_ended": 0},
            f"{a} trakk tilbake lenken til Lier kommune i Testrunden 2026",
        ),
        "invitations.export": (
            admin,
            "round",
            round_id,
            {"rows": 3},
            f"{a} lastet ned lenkene til runden Testrunden 2026",
        ),
        "invitations.send": (
            admin,
            "round",
            round_id,
            {"queued": 2, "without_address": 1, "already_queued": 0},
            f"{a} la invitasjoner til 2 kommuner i kø for sending i runden Testrunden 2026",
        ),
        "reminder.send": (
            kari,
            "round",
            round_id,
            {"queued": 1, "without_address": 0, "already_queued": 1},
            f"{k} la påminnelser til 1 kommune i kø for sending i runden Testrunden 2026",
        ),
        "response.submit": (
            "kommune:3043:Kari Demo",
            "response",
            al,
            {"version": 26},
            "Kari Demo for Ål kommune sendte inn svaret i Testrunden 2026",
        ),
        "response.reopen": (
            admin,
            "response",
            al,
            {"reason": "Kommunen ba om å rette et tall."},
            f"{a} åpnet svaret fra Ål kommune i Testrunden 2026 igjen",
        ),
        "export": (
            kari,
            "round",
            round_id,
            {"format": "xlsx", "rows": 3, "region": "Hallingdal", "in_progress": True},
            f"{k} lastet ned svarene i runden Testrunden 2026 som en Excel-fil",
        ),
        "api.read": (
            kari,
            "api",
            round_id,
            {"path": f"/api/v1/runder/{round_id}/svar", "query": "pabegynte=true"},
            f"{k} hentet svarene i runden Testrunden 2026 gjennom API-et",
        ),
        "api_token.create": (
            kari,
            "api_token",
            ids.token,
            {"name": "Power BI", "days": 90, "expires_at": "2027-03-01T10:00:00+00:00"},
            f"{k} laget API-nøkkelen «Power BI»",
        ),
        "api_token.revoke": (kari, "api_token", ids.token, {}, f"{k} trakk tilbake API-nøkkelen «Power BI»"),
        "user.create": (
            admin,
            "staff_user",
            ids.kari.id,
            {"email": "kari@fylke.test", "role": "radgiver"},
            f"{a} opprettet brukeren Kari Nordmann (kari@fylke.test) som rådgiver",
        ),
        "user.update": (
            admin,
            "staff_user",
            ids.kari.id,
            {
                "email": "kari@fylke.test",
                "name_from": "Kari",
                "name_to": "Kari Nordmann",
                "role_from": "leser",
                "role_to": "radgiver",
                "sessions_ended": 1,
            },
            f"{a} endret rollen fra leser til rådgiver og navnet fra «Kari» til «Kari Nordmann» for kari@fylke.test",
        ),
        "user.deactivate": (
            admin,
            "staff_user",
            ids.kari.id,
            {"email": "kari@fylke.test", "sessions_ended": 2},
            f"{a} deaktiverte brukeren Kari Nordmann",
        ),
        "user.password_change": (
            kari,
            "staff_user",
            ids.kari.id,
            {"email": "kari@fylke.test", "after_reset": True, "sessions_ended": 1},
            f"{k} valgte nytt passord etter at det var tilbakestilt",
        ),
        "user.password_check_failed": (
            kari,
            "staff_user",
            ids.kari.id,
            {"address": "10.0.0.7"},
            f"{k} skrev feil nåværende passord da passordet skulle byttes",
        ),
        "user.password_reset": (
            admin,
            "staff_user",
            ids.kari.id,
            {"email": "kari@fylke.test", "sessions_ended": 0},
            f"{a} tilbakestilte passordet til Kari Nordmann",
        ),
        "user.unlock": (
            admin,
            "staff_user",
            ids.kari.id,
            {"email": "kari@fylke.test"},
            f"{a} låste opp Kari Nordmann etter for mange innloggingsforsøk",
        ),
        "analysis.run": (
            audit.SYSTEM,
            "round",
            round_id,
            {"run": 4, "municipalities": 46, "model": "tema-b75ffc3f3265-0"},
            "Systemet kjørte analysen av runden Testrunden 2026",
        ),
        "theme.confirm": (
            kari,
            "theme_coding",
            ids.coding,
            {"codes": ["plan", "bosetting"], "machine": ["plan"]},
            f"{k} bekreftet temaene i et fritekstsvar fra Ål kommune i Testrunden 2026",
        ),
        "database.backup": (
            audit.SYSTEM,
            "database",
            "",
            {"file": "/srv/innspill/kopi-2026-12-01.sqlite3", "bytes": 12_345_678, "revision": "0019"},
            "Systemet tok en sikkerhetskopi av databasen",
        ),
        "database.restore": (
            audit.SYSTEM,
            "database",
            "",
            {"file": "/srv/innspill/kopi-2026-12-01.sqlite3", "from_revision": "0018", "revision": "0019"},
            "Systemet gjenopprettet databasen fra en sikkerhetskopi",
        ),
        "personal_data.purge": (
            audit.SYSTEM,
            "database",
            "",
            {
                "before": "2026-01-01",
                "rounds": [round_id],
                "signers": 3,
                "editors": 40,
                "audit_actors": 3,
                "contacts": 5,
            },
            "Systemet slettet personopplysninger fra runder som ble lukket før 1. januar 2026",
        ),
        "recommendation.create": (
            kari,
            "scenario",
            ids.scenario,
            {
                "name": "Forslag til anbefaling 2027",
                "total": 2886,
                "year": 2027,
                "municipalities": 51,
                "source": "tall.csv",
            },
            f"{k} laget scenarioet «Forslag til anbefaling 2027»",
        ),
        "recommendation.copy": (
            kari,
            "scenario",
            ids.other_scenario,
            {"from": ids.scenario, "name": "Utkast med lavere total"},
            f"{k} lagret scenarioet «Forslag til anbefaling 2027» som et nytt scenario, scenarioet «Utkast med lavere total»",
        ),
        "recommendation.update": (
            kari,
            "scenario",
            ids.scenario,
            {"total": 2886, "minors": None, "rules": rules},
            f"{k} endret totalen eller reglene i scenarioet «Forslag til anbefaling 2027»",
        ),
        "recommendation.override": (
            kari,
            "scenario",
            ids.scenario,
            {"kommunenummer": "3043", "number": 12, "reason": "Vedtak i kommunestyret 3. mars."},
            f"{k} satte tallet for Ål kommune til 12 i scenarioet «Forslag til anbefaling 2027»",
        ),
        "recommendation.override_remove": (
            kari,
            "scenario",
            ids.scenario,
            {"kommunenummer": "3043"},
            f"{k} fjernet det overstyrte tallet for Ål kommune i scenarioet «Forslag til anbefaling 2027»",
        ),
        "recommendation.finalize": (
            kari,
            "scenario",
            ids.scenario,
            {"name": "Forslag til anbefaling 2027", "total": 2886, "year": 2027},
            f"{k} merket scenarioet «Forslag til anbefaling 2027» som endelig anbefaling",
        ),
        "knowledge.history_import": (
            kari,
            "knowledge",
            "history",
            {
                "file": "historikk.csv",
                "added": 510,
                "changed": 2,
                "unchanged": 0,
                "unknown": ["9999"],
                "years": [2017, 2026],
            },
            f"{k} importerte bosettingshistorikk til kunnskapsgrunnlaget fra filen «historikk.csv»",
        ),
        "knowledge.register_import": (
            kari,
            "knowledge",
            "befolkning",
            {
                "file": "befolkning.csv",
                "added": 51,
                "changed": 0,
                "unchanged": 0,
                "unknown": [],
                "years": [2026, 2026],
                "indicator": "befolkning",
                "table_id": "07459",
            },
            f"{k} importerte registertallene «Befolkning» til kunnskapsgrunnlaget fra filen «befolkning.csv»",
        ),
        "knowledge.recommendation_recorded": (
            kari,
            "knowledge",
            2027,
            {"year": 2027, "municipalities": 51, "total": 2886},
            f"{k} skrev den endelige anbefalingen for 2027 inn i kunnskapsgrunnlaget",
        ),
    }


# What no event may show: a dict or list, an internal actor or object name, an identifier, Python's words.
FORBIDDEN = re.compile(
    r"[{}\[\]]|staff:|kommune:|anonym:|_|\bNone\b|\bTrue\b|\bFalse\b|staff user|response \d"
)


def test_each_kind_of_event_reads_as_a_norwegian_sentence(
    app: FastAPI, session: Session, settings: Settings
) -> None:
    ids = _ids(session, settings)
    events = every_kind(session, ids)
    assert set(events) == recorded_actions()  # one of each kind the app records, no more
    for row in session.exec(select(AuditEvent)):
        session.delete(row)  # only the events below
    for action, (actor, object_type, object_id, details, _) in events.items():
        audit.record(
            session, actor=actor, action=action, object_type=object_type, object_id=object_id, details=details
        )
    session.commit()
    with signed_in(app, "admin@fylke.test") as admin:
        r = admin.get("/ansatt/logg", params={"hvem": "", "handling": ""})
        assert r.status_code == 200
    lines = told(r.text)
    assert len(lines) == len(events) + 1  # and the login above
    text = "\n".join(lines)
    for action, (*_, sentence) in events.items():
        assert f"{sentence}." in text, (action, [line for line in lines if sentence[:20] in line])
    wrong = [line for line in lines if FORBIDDEN.search(line)]
    assert wrong == []
    assert "loggen ikke har noen beskrivelse" not in text
    # The details, in words.
    assert "Begrunnelse: Kommunen ba om å rette et tall." in text
    assert "Temaer: «Planer og kunnskapsgrunnlag», «Bosetting, kapasitet og måling». " in text
    assert "Maskinen foreslo: «Planer og kunnskapsgrunnlag»." in text
    assert "Bare regionen Hallingdal." in text and "Med svar som ikke er sendt inn." in text
    assert "Størrelse: 12,3 MB." in text and "Virker til 1. mars 2027." in text
    assert "2 økter ble avsluttet." in text and "Total: 2\u00a0886 flyktninger." in text
    # The rules saved with a scenario read as the scenario page writes them, behind a disclosure.
    page = BeautifulSoup(r.text, "html.parser")
    rules = [li.get_text(" ", strip=True) for li in page.select("#hendelser details li")]
    assert "Kommunestyrets vedtak er taket: ja" in rules and not any(FORBIDDEN.search(line) for line in rules)
    # «version: 26» (a response's save counter) is not shown at all.
    assert next(line for line in lines if "sendte inn svaret" in line) == (
        "Kari Demo for Ål kommune sendte inn svaret i Testrunden 2026."
    )


def test_an_unknown_kind_of_event_still_reads_as_a_sentence(
    app: FastAPI, session: Session, settings: Settings
) -> None:
    world = make_world(session, settings)
    make_named(session, Role.admin, "admin@fylke.test", "Demoadministrator")
    audit.record(
        session,
        actor=audit.staff_actor(session.exec(select(StaffUser)).one()),
        action="round.archive",
        object_type="round",
        object_id=world.round.id,
        details={"rules": {"vedtak_er_tak": True}, "note": None},
    )
    session.commit()
    with signed_in(app, "admin@fylke.test") as admin:
        [line] = told(admin.get("/ansatt/logg", params={"handling": "round.archive"}).text)
        kinds = [
            o.get_text()
            for o in BeautifulSoup(admin.get("/ansatt/logg").text, "html.parser").select("#handling option")
        ]
    assert line == (
        "Demoadministrator (administrator) gjorde en endring som loggen ikke har noen beskrivelse av ennå. "
        "Gjelder runden Testrunden 2026."
    )
    assert "round.archive" in kinds  # a kind without a name is still offered, under its own


def test_the_round_status_example_from_the_issue(app: FastAPI, session: Session, settings: Settings) -> None:
    world = make_world(session, settings)
    kari = make_named(session, Role.radgiver, "kari@fylke.test", "Kari Nordmann")
    make_named(session, Role.admin, "admin@fylke.test", "Demoadministrator")
    rounds.set_status(session, round_=world.round, status=RoundStatus.closed, actor=audit.staff_actor(kari))
    with signed_in(app, "admin@fylke.test") as admin:
        lines = told(admin.get("/ansatt/logg", params={"handling": "round.status"}).text)
    assert lines == ["Kari Nordmann (rådgiver) lukket runden Testrunden 2026."]


# --- item 7: filters by person, kind and round, kept across pages ---------------------------------------


def test_the_log_filters_by_person_kind_and_round_and_pages_keep_them(
    app: FastAPI, session: Session, settings: Settings
) -> None:
    world = make_world(session, settings)
    kari = make_named(session, Role.radgiver, "kari@fylke.test", "Kari Nordmann")
    make_named(session, Role.admin, "admin@fylke.test", "Demoadministrator")
    response = world.response(session, "3043")
    for _ in range(audit_log.PAGE_SIZE + 5):
        audit.record(
            session,
            actor=audit.staff_actor(kari),
            action="response.reopen",
            object_type="response",
            object_id=response.id,
        )
    audit.record(
        session,
        actor=audit.staff_actor(kari),
        action="round.status",
        object_type="round",
        object_id=world.round.id,
        details={"from": "open", "to": "closed"},
    )
    audit.record(
        session, actor=audit.staff_actor(kari), action="login", object_type="staff_user", object_id=kari.id
    )
    # Another round's event: not in this round's log.
    audit.record(
        session,
        actor=audit.staff_actor(kari),
        action="round.status",
        object_type="round",
        object_id=999999,
        details={"from": "draft", "to": "open"},
    )
    session.commit()
    with signed_in(app, "admin@fylke.test") as admin:
        page = admin.get("/ansatt/logg").text
        form = BeautifulSoup(page, "html.parser").select_one("main form.filter-form")
        # Without JavaScript: a GET form with a button, each filter a named field.
        assert form["method"] == "get" and form.select_one("button[type=submit]")
        assert {s["name"] for s in form.select("select")} == {"hvem", "handling", "runde"}
        people = {o.get_text(): o["value"] for o in form.select("#hvem option")}
        assert people["Kari Nordmann (rådgiver)"] == str(kari.id)
        rounds_offered = {o.get_text(): o["value"] for o in form.select("#runde option")}
        assert rounds_offered["Testrunden 2026"] == str(world.round.id)

        by_kari = {"hvem": str(kari.id), "runde": str(world.round.id)}
        first = admin.get("/ansatt/logg", params=by_kari)
        lines = told(first.text)
        assert len(lines) == audit_log.PAGE_SIZE
        assert all(line.startswith("Kari Nordmann (rådgiver)") for line in lines)
        assert "106 hendelser, side 1 av 2." in first.text  # 105 reopenings and the closing, not the login
        older = BeautifulSoup(first.text, "html.parser").find("a", string="Eldre")["href"]
        assert f"hvem={kari.id}" in older and f"runde={world.round.id}" in older and "side=2" in older
        second = admin.get(older)
        assert "side 2 av 2" in second.text and len(told(second.text)) == 6
        assert set(told(second.text)) == {
            "Kari Nordmann (rådgiver) åpnet svaret fra Ål kommune i Testrunden 2026 igjen."
        }
        assert lines[0] == "Kari Nordmann (rådgiver) lukket runden Testrunden 2026."  # the newest first

        kind = admin.get("/ansatt/logg", params={**by_kari, "handling": "round.status"})
        assert told(kind.text) == ["Kari Nordmann (rådgiver) lukket runden Testrunden 2026."]
        logins = told(admin.get("/ansatt/logg", params={"hvem": str(kari.id), "handling": "login"}).text)
        assert logins == ["Kari Nordmann (rådgiver) logget inn."]
        # The system and the municipalities are people to filter by too.
        system = told(admin.get("/ansatt/logg", params={"hvem": audit_log.SYSTEM}).text)
        assert system and all(line.startswith("Systemet ") for line in system)


def test_the_menu_says_hendelseslogg_not_logg_next_to_logg_ut(app: FastAPI, session: Session) -> None:
    make_staff(session, Role.admin)
    with signed_in(app, "admin@fylke.test") as admin:
        nav = BeautifulSoup(admin.get("/ansatt").text, "html.parser").select_one("nav.header-nav")
        log = BeautifulSoup(admin.get("/ansatt/logg").text, "html.parser")
    links = [a.get_text(strip=True) for a in nav.select("a")]
    assert "Hendelseslogg" in links and "Logg" not in links
    assert log.h1.get_text() == "Hendelseslogg" and log.title.get_text().startswith("Hendelseslogg")


# --- items 3 and 14: users ---------------------------------------------------------------------------


def test_deactivate_is_a_link_to_a_confirmation_in_the_actions_column(app: FastAPI, session: Session) -> None:
    make_staff(session, Role.admin)
    kari = make_named(session, Role.radgiver, "kari@fylke.test", "Kari Nordmann")
    api_tokens.create(session, user=kari, name="Power BI")
    with signed_in(app, "admin@fylke.test") as admin:
        page = admin.get("/ansatt/brukere").text
        rows = table_rows(page, "main table")
        assert rows["kari@fylke.test"]["Status"] == "Aktiv"
        assert "Deaktiver" in rows["kari@fylke.test"]["Handlinger"]
        assert "Deaktiver" not in rows["admin@fylke.test"]["Handlinger"]  # not oneself
        soup = BeautifulSoup(page, "html.parser")
        assert soup.select("form[action$='/deaktiver']") == []  # one click no longer deactivates
        link = soup.select_one(f"a[href$='/ansatt/brukere/{kari.id}/deaktiver/bekreft']")
        assert link is not None and link.get_text(" ", strip=True).startswith("Deaktiver")

        confirm = admin.get(link["href"])
        assert confirm.status_code == 200
        asked = BeautifulSoup(confirm.text, "html.parser")
        assert asked.h1.get_text() == "Deaktivere Kari Nordmann?"
        said = asked.select_one(".ds-alert").get_text(" ", strip=True)
        assert (
            "Kari Nordmann kan ikke logge inn lenger, og alle øktene til brukeren avsluttes med en gang."
            in said
        )
        assert "API-nøkkelen «Power BI» slutter å virke." in said
        fresh(session)
        assert session.get(StaffUser, kari.id).is_active  # asking changed nothing
        form = asked.select_one("main form[method=post]")
        assert form["action"].endswith(f"/ansatt/brukere/{kari.id}/deaktiver")
        token = form.select_one("input[name=csrf_token]")["value"]
        assert admin.post(form["action"], data={"csrf_token": token}).status_code == 303
        fresh(session)
        assert not session.get(StaffUser, kari.id).is_active
        rows = table_rows(admin.get("/ansatt/brukere").text, "main table")
        assert (
            rows["kari@fylke.test"]["Status"] == "Deaktivert" and rows["kari@fylke.test"]["Handlinger"] == "–"
        )
        assert admin.get(link["href"]).status_code == 409  # already done


def test_admin_changes_a_users_role_and_name_which_ends_their_sessions(
    app: FastAPI, session: Session
) -> None:
    make_named(session, Role.admin, "admin@fylke.test", "Demoadministrator")
    kari = make_named(session, Role.radgiver, "kari@fylke.test", "Kari")
    with signed_in(app, "admin@fylke.test") as admin, signed_in(app, "kari@fylke.test") as user:
        assert user.get("/ansatt").status_code == 200
        edit = admin.get(f"/ansatt/brukere/{kari.id}/endre")
        assert edit.status_code == 200
        form = BeautifulSoup(edit.text, "html.parser").select_one("main form[method=post]")
        assert form.select_one("#full_name")["value"] == "Kari"
        assert form.select_one("#role-radgiver").has_attr("checked")
        token = csrf_of(admin, "/ansatt/brukere")
        r = admin.post(
            form["action"], data={"csrf_token": token, "full_name": "Kari  Nordmann ", "role": "leser"}
        )
        assert r.status_code == 303 and r.headers["location"].endswith("/ansatt/brukere")
        assert "Kari Nordmann er nå leser, er logget ut overalt" in admin.get("/ansatt/brukere").text
        # Her session ended: the next page asks her to log in, and then she is a leser.
        assert user.get("/ansatt").status_code == 303
    fresh(session)
    changed = session.get(StaffUser, kari.id)
    assert (changed.full_name, changed.role) == ("Kari Nordmann", Role.leser)
    rows = session.exec(select(WebSession).where(WebSession.staff_user_id == kari.id)).all()
    assert [(r.ended_at is not None, r.end_reason) for r in rows] == [(True, sessions.EndReason.role_changed)]
    [event] = audited(session, "user.update")
    assert event.details == {
        "email": "kari@fylke.test",
        "name_from": "Kari",
        "name_to": "Kari Nordmann",
        "role_from": "radgiver",
        "role_to": "leser",
        "sessions_ended": 1,
    }
    with signed_in(app, "admin@fylke.test") as admin:
        assert told(admin.get("/ansatt/logg", params={"handling": "user.update"}).text) == [
            "Demoadministrator (administrator) endret rollen fra rådgiver til leser og navnet fra «Kari» til "
            "«Kari Nordmann» for kari@fylke.test. 1 økt ble avsluttet."
        ]


def test_a_new_name_alone_keeps_the_users_sessions(app: FastAPI, session: Session) -> None:
    make_staff(session, Role.admin)
    kari = make_named(session, Role.radgiver, "kari@fylke.test", "Kari")
    with signed_in(app, "admin@fylke.test") as admin, signed_in(app, "kari@fylke.test") as user:
        token = csrf_of(admin, "/ansatt/brukere")
        r = admin.post(
            f"/ansatt/brukere/{kari.id}/endre",
            data={"csrf_token": token, "full_name": "Kari N.", "role": "radgiver"},
        )
        assert r.status_code == 303
        assert user.get("/ansatt").status_code == 200
        rows = table_rows(admin.get("/ansatt/brukere").text, "main table")
        assert rows["kari@fylke.test"]["Navn"] == "Kari N." and rows["kari@fylke.test"]["Rolle"] == "Rådgiver"


def test_the_last_active_admin_keeps_the_role(app: FastAPI, session: Session) -> None:
    me = make_staff(session, Role.admin)
    deactivated = make_staff(session, Role.admin, "tidligere@fylke.test")
    users.deactivate(session, user=deactivated, actor=audit.SYSTEM)
    with signed_in(app, "admin@fylke.test") as admin:
        token = csrf_of(admin, "/ansatt/brukere")
        r = admin.post(
            f"/ansatt/brukere/{me.id}/endre", data={"csrf_token": token, "full_name": "", "role": "leser"}
        )
        assert r.status_code == 422
        message = BeautifulSoup(r.text, "html.parser").select_one("#role-error").get_text()
        assert message == users.LAST_ADMIN and "minst én aktiv administrator" in message
        assert admin.get("/ansatt/brukere").status_code == 200  # still an administrator
    fresh(session)
    assert session.get(StaffUser, me.id).role == Role.admin
    assert audited(session, "user.update") == []
    with pytest.raises(users.UserError, match="minst én aktiv administrator"):
        users.deactivate(session, user=session.get(StaffUser, me.id), actor=audit.SYSTEM)


def test_an_admin_may_hand_over_and_step_down(app: FastAPI, session: Session) -> None:
    me = make_staff(session, Role.admin)
    make_staff(session, Role.admin, "kollega@fylke.test")
    with signed_in(app, "admin@fylke.test") as admin:
        token = csrf_of(admin, "/ansatt/brukere")
        r = admin.post(
            f"/ansatt/brukere/{me.id}/endre", data={"csrf_token": token, "full_name": "", "role": "radgiver"}
        )
        # Off to a page the new role may see, still signed in here.
        assert r.status_code == 303 and r.headers["location"].endswith("/ansatt")
        page = admin.get("/ansatt")
        assert page.status_code == 200 and "Du er nå rådgiver" in page.text
        assert admin.get("/ansatt/brukere").status_code == 403


def test_a_deactivated_user_is_not_edited(app: FastAPI, session: Session) -> None:
    make_staff(session, Role.admin)
    gone = make_staff(session, Role.leser)
    users.deactivate(session, user=gone, actor=audit.SYSTEM)
    with signed_in(app, "admin@fylke.test") as admin:
        assert admin.get(f"/ansatt/brukere/{gone.id}/endre").status_code == 409
        token = csrf_of(admin, "/ansatt/brukere")
        r = admin.post(f"/ansatt/brukere/{gone.id}/endre", data={"csrf_token": token, "role": "admin"})
        assert r.status_code == 409
