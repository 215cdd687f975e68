"""Administration: the audit log, staff users (create, reset a password, unlock, deactivate), and each
user's API tokens."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, col, select

from survey_app import audit, htmx
from survey_app.deps import Auditor, Exporter, SessionDep, UserAdmin
from survey_app.models import ApiToken, AuditEvent, Role, StaffUser
from survey_app.permissions import ROLE_LABELS
from survey_app.services import api_tokens, audit_log, throttle, users

router = APIRouter()

ACTION_LABELS = {
    "login": "Innlogging",
    "login.failed": "Mislykket innlogging",
    "login.throttled": "Innlogging sperret etter for mange forsøk",
    "register.load": "Kommuneregister lastet",
    "questionnaire.import": "Skjema importert",
    "round.create": "Runde opprettet",
    "round.status": "Runde åpnet eller avsluttet",
    "invitation.regenerate": "Ny lenke laget",
    "invitation.revoke": "Lenke trukket tilbake",
    "invitations.export": "Lenker lastet ned",
    "invitations.send": "Invitasjoner lagt i kø for sending",
    "reminder.send": "Påminnelser lagt i kø for sending",
    "response.submit": "Svar sendt inn",
    "response.reopen": "Svar gjenåpnet",
    "export": "Eksport",
    "api.read": "Lest gjennom API",
    "api_token.create": "API-nøkkel laget",
    "api_token.revoke": "API-nøkkel trukket tilbake",
    "user.create": "Bruker opprettet",
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
}


def _date(value: str) -> date | None:
    """A filter date, or None when it cannot be read; a year far outside the log's (0001, 9999) counts as
    unreadable too: turning it into a moment in Norwegian time overflows."""
    try:
        day = date.fromisoformat(value) if value else None
    except ValueError:
        return None
    return day if day is None or 1900 <= day.year <= 2200 else None


@router.get("/ansatt/logg", name="audit_log")
def audit_page(
    request: Request,
    session: SessionDep,
    user: Auditor,
    handling: str = "",
    hvem: Annotated[str, Query(max_length=200)] = "",
    fra: str = "",
    til: str = "",
    side: int = 1,
) -> Response:
    found = audit_log.search(
        session, action=handling or None, actor=hvem or None, since=_date(fra), until=_date(til), page=side
    )
    filters = {"handling": handling, "hvem": hvem, "fra": fra, "til": til}
    return htmx.render(
        request,
        "staff/audit.html",
        {
            "found": _as_shown(session, found),
            "filters": filters,
            "actions": audit_log.actions(session),
            "labels": ACTION_LABELS,
            "bad_dates": [name for name in ("fra", "til") if filters[name] and _date(filters[name]) is None],
        },
        block="events",
    )


# Events that once kept whatever was typed as the e-mail of a failed login (a password typed in the wrong
# field, sometimes); since then they name only an account (``users.authenticate``).
LOGIN_EVENTS = frozenset({"login.failed", "login.throttled"})


def _as_shown(session: Session, found: audit_log.AuditPage) -> audit_log.AuditPage:
    """The page of events as it is shown: a failed login's e-mail only when it is an account's.

    Older events stored whatever was typed; it stays in the table (the log is append-only) but is not
    shown. Those events are replaced by copies outside the database session, so nothing is written back.
    """
    typed = {email for e in found.events if (email := _typed_email(e)) is not None}
    known = set(session.exec(select(StaffUser.email).where(col(StaffUser.email).in_(typed))))
    hidden = typed - known
    events = []
    for event in found.events:
        if _typed_email(event) in hidden:
            details = {**event.details, "email": users.UNKNOWN_ACCOUNT}
            event = AuditEvent.model_validate({**event.model_dump(), "details": details})
        events.append(event)
    return dataclasses.replace(found, events=events)


def _typed_email(event: AuditEvent) -> str | None:
    if event.action not in LOGIN_EVENTS or "email" not in event.details:
        return None
    return str(event.details["email"]).strip().lower()


NEW_USER = {"email": "", "full_name": "", "role": "radgiver"}


@router.get("/ansatt/brukere", name="users_page")
def users_page(request: Request, session: SessionDep, user: UserAdmin) -> Response:
    return _users(request, session, form=NEW_USER, errors={})


def _users(
    request: Request,
    session: SessionDep,
    *,
    form: dict[str, str],
    errors: dict[str, str],
    temporary: tuple[StaffUser, str] | None = None,
    status_code: int = 200,
) -> Response:
    listed = list(session.exec(select(StaffUser).order_by(col(StaffUser.email))))
    return htmx.render(
        request,
        "staff/users.html",
        {
            "users": listed,
            "locks": throttle.locks(session, emails=[u.email for u in listed]),
            "form": form,
            "errors": errors,
            "temporary": temporary,
            "role_labels": ROLE_LABELS,
            "roles": list(Role),
        },
        status_code=status_code,
    )


def _target(session: Session, user_id: int) -> StaffUser:
    target = session.get(StaffUser, user_id)
    if target is None:
        raise HTTPException(404, "Brukeren finnes ikke.")
    return target


@router.post("/ansatt/brukere", name="user_create")
def user_create(
    request: Request,
    session: SessionDep,
    user: UserAdmin,
    email: Annotated[str, Form(max_length=320)] = "",
    full_name: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=20)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    form = {"email": email, "full_name": full_name, "role": role}
    if role not in {r.value for r in Role}:
        return _users(request, session, form=form, errors={"role": "Velg en rolle."}, status_code=422)
    try:
        users.create_user(
            session,
            email=email,
            password=password,
            role=Role(role),
            full_name=full_name,
            actor=audit.staff_actor(user),
        )
    except users.UserError as exc:
        errors = {exc.field or "email": str(exc)}
        return _users(request, session, form=form, errors=errors, status_code=422)
    htmx.flash(request, f"Brukeren {email.strip().lower()} er opprettet.")
    return RedirectResponse(request.url_for("users_page"), status_code=303)


@router.post("/ansatt/brukere/{user_id}/tilbakestill-passord", name="user_reset_password")
def user_reset_password(user_id: int, request: Request, session: SessionDep, user: UserAdmin) -> Response:
    target = _target(session, user_id)
    if target.id == user.id:
        raise HTTPException(409, "Ditt eget passord bytter du på «Min konto».")
    if not target.is_active:
        raise HTTPException(409, "Brukeren er deaktivert og kan ikke logge inn.")
    actor = audit.staff_actor(user)
    temporary = users.reset_password(session, user=target, actor=actor)
    if target.email in throttle.locks(session, emails=[target.email]):
        throttle.unlock(session, user=target, actor=actor)  # the new password must be usable at once
    # Shown this once, on the response to the POST (never in the session cookie); only its hash is kept.
    return _users(request, session, form=NEW_USER, errors={}, temporary=(target, temporary))


@router.post("/ansatt/brukere/{user_id}/las-opp", name="user_unlock")
def user_unlock(user_id: int, request: Request, session: SessionDep, user: UserAdmin) -> Response:
    target = _target(session, user_id)
    throttle.unlock(session, user=target, actor=audit.staff_actor(user))
    htmx.flash(request, f"{target.email} kan logge inn igjen.")
    return RedirectResponse(request.url_for("users_page"), status_code=303)


@router.post("/ansatt/brukere/{user_id}/deaktiver", name="user_deactivate")
def user_deactivate(user_id: int, request: Request, session: SessionDep, user: UserAdmin) -> Response:
    target = _target(session, user_id)
    if target.id == user.id:
        raise HTTPException(409, "Du kan ikke deaktivere deg selv.")
    users.deactivate(session, user=target, actor=audit.staff_actor(user))
    htmx.flash(
        request,
        f"{target.email} kan ikke lenger logge inn, er logget ut overalt, og API-nøklene til brukeren virker ikke.",
    )
    return RedirectResponse(request.url_for("users_page"), status_code=303)


@router.get("/ansatt/api-nokler", name="api_tokens")
def tokens_page(request: Request, session: SessionDep, user: Exporter) -> Response:
    return _tokens(request, session, user, form={"name": "", "days": str(api_tokens.DEFAULT_LIFETIME)})


def _tokens(
    request: Request,
    session: SessionDep,
    user: StaffUser,
    *,
    form: dict[str, str],
    errors: dict[str, str] | None = None,
    new_token: tuple[ApiToken, str] | None = None,
    status_code: int = 200,
) -> Response:
    return htmx.render(
        request,
        "staff/api_tokens.html",
        {
            "tokens": api_tokens.for_user(session, user),
            "expired": api_tokens.is_expired,
            "lifetimes": api_tokens.LIFETIMES,
            "rate_limit": api_tokens.RATE_LIMIT,
            "form": form,
            "errors": errors or {},
            "new_token": new_token,
        },
        status_code=status_code,
    )


@router.post("/ansatt/api-nokler", name="api_token_create")
def token_create(
    request: Request,
    session: SessionDep,
    user: Exporter,
    name: Annotated[str, Form(max_length=100)] = "",
    days: Annotated[str, Form(max_length=10)] = str(api_tokens.DEFAULT_LIFETIME),
) -> Response:
    form = {"name": name, "days": days}
    lifetime = int(days) if days.isdecimal() else None
    if lifetime is None or lifetime not in api_tokens.LIFETIMES:
        errors = {"days": "Velg hvor lenge nøkkelen skal virke."}
        return _tokens(request, session, user, form=form, errors=errors, status_code=422)
    token, plain = api_tokens.create(session, user=user, name=name, days=lifetime)
    # Shown this once, on the response to the POST; only its hash is kept.
    return _tokens(
        request,
        session,
        user,
        form={"name": "", "days": str(api_tokens.DEFAULT_LIFETIME)},
        new_token=(token, plain),
        status_code=201,
    )


@router.post("/ansatt/api-nokler/{token_id}/trekk-tilbake", name="api_token_revoke")
def token_revoke(token_id: int, request: Request, session: SessionDep, user: Exporter) -> Response:
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise HTTPException(404, "Nøkkelen finnes ikke.")
    api_tokens.revoke(session, token=token, user=user)
    htmx.flash(request, f"Nøkkelen «{token.name}» virker ikke lenger.")
    return RedirectResponse(request.url_for("api_tokens"), status_code=303)
