"""Reading the audit log: filtered (by person, kind, round and dates), newest first, a page at a time.

Each event is told as a Norwegian sentence by ``audit_sentences`` (re-exported here: ``describe``,
``ShownEvent``, ``person_name``, ``DESCRIBED``), so the log page needs one module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from survey_app import audit
from survey_app.dates import OSLO
from survey_app.db import begin_write
from survey_app.models import (
    AuditEvent,
    Invitation,
    Response,
    Scenario,
    ThemeCoding,
)
from survey_app.services.audit_sentences import DESCRIBED, ShownEvent, describe, person_name, role_name

PAGE_SIZE = 100

# The kinds of event, as the filter offers them. Every action the app records is here (tests/test_ui_admin.py
# finds them in the code); one missing is offered under its own name, so the test insists.
KINDS = {
    "login": "Innlogging",
    "login.failed": "Mislykket innlogging",
    "login.throttled": "Innlogging sperret etter for mange forsøk",
    "login.oidc": "Innlogging med fylkets konto",
    "login.oidc_refused": "Innlogging med fylkets konto avvist",
    "login.oidc_error": "Innlogging med fylkets konto feilet",
    "session.end": "Utlogging eller avsluttet økt",
    "session.end_others": "Andre økter avsluttet",
    "register.load": "Kommuneregister lastet",
    "questionnaire.import": "Skjema importert",
    "round.create": "Runde opprettet",
    "round.status": "Runde åpnet eller lukket",
    "invitation.regenerate": "Ny lenke laget",
    "invitation.revoke": "Lenke trukket tilbake",
    "invitations.export": "Lenker lastet ned",
    "invitations.send": "Invitasjoner lagt i kø for sending",
    "reminder.send": "Påminnelser lagt i kø for sending",
    "response.submit": "Svar sendt inn",
    "response.reopen": "Svar åpnet igjen",
    "export": "Nedlasting",
    "api.read": "Lest gjennom API",
    "api_token.create": "API-nøkkel laget",
    "api_token.revoke": "API-nøkkel trukket tilbake",
    "user.create": "Bruker opprettet",
    "user.update": "Brukers navn eller rolle endret",
    "user.deactivate": "Bruker deaktivert",
    "user.password_change": "Passord byttet",
    "user.password_check_failed": "Feil nåværende passord ved passordbytte",
    "user.password_reset": "Passord tilbakestilt av administrator",
    "user.unlock": "Bruker låst opp etter for mange innloggingsforsøk",
    "analysis.run": "Analyse kjørt",
    "theme.confirm": "Temaer bekreftet",
    "database.backup": "Sikkerhetskopi tatt",
    "database.restore": "Database gjenopprettet fra sikkerhetskopi",
    "personal_data.purge": "Personopplysninger slettet",
    "recommendation.create": "Anbefaling: scenario laget",
    "recommendation.copy": "Anbefaling: lagret som nytt scenario",
    "recommendation.update": "Anbefaling: total eller regler endret",
    "recommendation.override": "Anbefaling: tall overstyrt",
    "recommendation.override_remove": "Anbefaling: overstyring fjernet",
    "recommendation.finalize": "Anbefaling: merket som endelig",
    "knowledge.history_import": "Kunnskapsgrunnlag: bosettingshistorikk importert",
    "knowledge.register_import": "Kunnskapsgrunnlag: registertall importert",
    "knowledge.recommendation_recorded": "Kunnskapsgrunnlag: endelig anbefaling skrevet inn",
    "archive.export": "Arkivpakke lastet ned",
    "archive.case_folder": "Saksmappe i arkivet valgt",
}

# Who did it, besides a staff user (whose id is the filter's value).
SYSTEM = "system"
MUNICIPALITIES = "kommuner"
ANONYMOUS = "anonym"
OTHER_ACTORS = {
    SYSTEM: "Systemet (kommandolinjen og oppsettet)",
    MUNICIPALITIES: "Kommunene",
    ANONYMOUS: "Ukjente (innlogginger som ikke lyktes)",
}


@dataclass(frozen=True)
class AuditPage:
    events: list[AuditEvent]
    total: int
    page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


def actions(session: Session) -> list[str]:
    return list(session.exec(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


def kinds(session: Session) -> list[tuple[str, str]]:
    """The kinds of event in the log, as (action, Norwegian name), in the order of their names."""
    return sorted(((a, KINDS.get(a, a)) for a in actions(session)), key=lambda pair: pair[1])


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=OSLO).astimezone(UTC)


def _by(who: str) -> sa.ColumnElement[bool] | None:
    """Events done by ``who``: a staff user's id, or one of ``OTHER_ACTORS``; None for anything else."""
    actor = col(AuditEvent.actor)
    if who.isascii() and who.isdecimal():
        return actor.startswith(f"staff:{int(who)}:")
    if who == SYSTEM:
        return actor == audit.SYSTEM
    if who == MUNICIPALITIES:
        return actor.startswith("kommune:")
    if who == ANONYMOUS:
        return actor.startswith("anonym:")
    return None


def _as_text(column: Any) -> Any:
    return sa.cast(column, sa.String)


def _in_round(round_id: int) -> sa.ColumnElement[bool]:
    """Events about a round or about something in it: its responses, links, scenarios and theme codings."""
    kind, ident = col(AuditEvent.object_type), col(AuditEvent.object_id)
    responses = select(_as_text(Response.id)).where(Response.round_id == round_id)
    codings = (
        select(_as_text(ThemeCoding.id))
        .join(Response, col(Response.id) == col(ThemeCoding.response_id))
        .where(Response.round_id == round_id)
    )
    return sa.or_(
        kind.in_(["round", "api"]) & (ident == str(round_id)),
        (kind == "response") & ident.in_(responses),
        (kind == "invitation")
        & ident.in_(select(_as_text(Invitation.id)).where(Invitation.round_id == round_id)),
        (kind == "scenario") & ident.in_(select(_as_text(Scenario.id)).where(Scenario.round_id == round_id)),
        (kind == "theme_coding") & ident.in_(codings),
    )


def search(
    session: Session,
    *,
    action: str | None = None,
    actor: str | None = None,
    round_id: int | None = None,
    since: date | None = None,
    until: date | None = None,
    page: int = 1,
) -> AuditPage:
    """Events matching every given filter; dates are Norwegian calendar days, ``until`` included.

    ``actor`` is a staff user's id or one of ``OTHER_ACTORS``; ``round_id`` keeps the events about that round
    and what belongs to it.
    """
    query = select(AuditEvent)
    if action:
        query = query.where(AuditEvent.action == action)
    if actor and (by := _by(actor)) is not None:
        query = query.where(by)
    if round_id is not None:
        query = query.where(_in_round(round_id))
    if since:
        query = query.where(AuditEvent.at >= _start_of(since))
    if until:
        query = query.where(AuditEvent.at < _start_of(until + timedelta(days=1)))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    page = max(1, min(page, -(-total // PAGE_SIZE)))  # past the end: the last page
    events = session.exec(
        query.order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    return AuditPage(list(events), total, page)


def record_read(
    session: Session, *, actor: str, action: str, object_type: str, object_id: object, details: dict[str, Any]
) -> None:
    """Log that someone took data out (an export, an API read): reads change nothing else, so this commits."""
    begin_write(session)
    audit.record(
        session, actor=actor, action=action, object_type=object_type, object_id=object_id, details=details
    )
    session.commit()


__all__ = [
    "DESCRIBED",
    "KINDS",
    "OTHER_ACTORS",
    "PAGE_SIZE",
    "SYSTEM",
    "AuditPage",
    "ShownEvent",
    "describe",
    "kinds",
    "person_name",
    "record_read",
    "role_name",
    "search",
]
