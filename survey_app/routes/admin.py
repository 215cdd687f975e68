"""Administration: the audit log, staff users (create, change name and role, reset a password, unlock,
deactivate after a confirmation), and each user's API tokens."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, col, select

from survey_app import audit, confirm, htmx
from survey_app.deps import Auditor, Exporter, SessionDep, UserAdmin
from survey_app.models import ApiToken, Role, Round, StaffUser
from survey_app.permissions import ROLE_LABELS, Action, can
from survey_app.services import api_tokens, audit_log, throttle, users

router = APIRouter()

# The name tests read the kinds of event under; the kinds live with the log (``audit_log.KINDS``).
ACTION_LABELS = audit_log.KINDS


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
    handling: Annotated[str, Query(max_length=100)] = "",
    hvem: Annotated[str, Query(max_length=200)] = "",
    runde: Annotated[str, Query(max_length=100)] = "",
    fra: Annotated[str, Query(max_length=20)] = "",
    til: Annotated[str, Query(max_length=20)] = "",
    side: int = 1,
) -> Response:
    # Past nine digits it is no round's id, and the database could not take it as a number.
    round_id = int(runde) if runde.isdecimal() and len(runde) <= 9 else None
    found = audit_log.search(
        session,
        action=handling or None,
        actor=hvem or None,
        round_id=round_id,
        since=_date(fra),
        until=_date(til),
        page=side,
    )
    filters = {"hvem": hvem, "handling": handling, "runde": runde, "fra": fra, "til": til}
    people = session.exec(select(StaffUser).order_by(col(StaffUser.full_name), col(StaffUser.email))).all()
    return htmx.render(
        request,
        "staff/audit.html",
        {
            "found": found,
            "shown": audit_log.describe(session, found.events),
            "filters": filters,
            # The paging links keep the filters: only those set, so the address stays short.
            "query": urlencode({k: v for k, v in filters.items() if v}),
            "kinds": audit_log.kinds(session),
            "people": [(str(p.id), audit_log.person_name(p)) for p in people],
            "other_actors": audit_log.OTHER_ACTORS,
            "rounds": session.exec(select(Round).order_by(col(Round.created_at).desc())).all(),
            "bad_dates": [name for name in ("fra", "til") if filters[name] and _date(filters[name]) is None],
        },
        block="events",
    )


NEW_USER = {"email": "", "full_name": "", "role": "radgiver"}


@dataclasses.dataclass(frozen=True)
class Editing:
    """The user whose name and role the page's form changes, what the form holds, and its errors."""

    user: StaffUser
    form: dict[str, str]
    errors: dict[str, str]


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
    editing: Editing | None = None,
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
            "editing": editing,
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


def _active_target(session: Session, user_id: int) -> StaffUser:
    target = _target(session, user_id)
    if not target.is_active:
        raise HTTPException(409, "Brukeren er deaktivert og kan ikke endres.")
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


@router.get("/ansatt/brukere/{user_id}/endre", name="user_edit")
def user_edit(user_id: int, request: Request, session: SessionDep, user: UserAdmin) -> Response:
    """The users page with a form for one user's name and role."""
    target = _active_target(session, user_id)
    form = {"full_name": target.full_name, "role": target.role.value}
    return _users(request, session, form=NEW_USER, errors={}, editing=Editing(target, form, {}))


@router.post("/ansatt/brukere/{user_id}/endre", name="user_update")
def user_update(
    user_id: int,
    request: Request,
    session: SessionDep,
    user: UserAdmin,
    full_name: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    target = _active_target(session, user_id)
    form = {"full_name": full_name, "role": role}

    def refused(errors: dict[str, str]) -> Response:
        editing = Editing(target, form, errors)
        return _users(request, session, form=NEW_USER, errors={}, editing=editing, status_code=422)

    if role not in {r.value for r in Role}:
        return refused({"role": "Velg en rolle."})
    before = target.role
    own = target.id == user.id
    # An administrator changing their own role goes on in this session; their other sessions end.
    keep = request.state.web_session.id if own else None
    try:
        users.update_user(
            session,
            user=target,
            full_name=full_name,
            role=Role(role),
            actor=audit.staff_actor(user),
            keep_session_id=keep,
        )
    except users.UserError as exc:
        return refused({exc.field or "role": str(exc)})
    name = target.full_name or target.email
    if target.role == before:
        htmx.flash(request, f"Endringene for {name} er lagret.")
    elif own:
        htmx.flash(
            request, f"Du er nå {ROLE_LABELS[target.role].lower()}, og er logget ut alle andre steder."
        )
    else:
        htmx.flash(
            request,
            f"{name} er nå {ROLE_LABELS[target.role].lower()}, er logget ut overalt og får den nye rollen "
            "ved neste innlogging.",
        )
    if own and not can(target.role, Action.manage_users):
        return RedirectResponse(request.url_for("staff_rounds"), status_code=303)
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


def _deactivatable(session: Session, user_id: int, user: StaffUser) -> StaffUser:
    target = _target(session, user_id)
    if target.id == user.id:
        raise HTTPException(409, "Du kan ikke deaktivere deg selv.")
    return target


@router.get("/ansatt/brukere/{user_id}/deaktiver/bekreft", name="user_deactivate_confirm")
def user_deactivate_confirm(user_id: int, request: Request, session: SessionDep, user: UserAdmin) -> Response:
    """What deactivating a user does, in words, before it is done."""
    target = _deactivatable(session, user_id, user)
    if not target.is_active:
        raise HTTPException(409, "Brukeren er allerede deaktivert.")
    name = target.full_name or target.email
    working = [
        t
        for t in api_tokens.for_user(session, target)
        if t.revoked_at is None and not api_tokens.is_expired(t)
    ]
    consequences = [f"{name} kan ikke logge inn lenger, og alle øktene til brukeren avsluttes med en gang."]
    if len(working) == 1:
        consequences.append(f"API-nøkkelen «{working[0].name}» slutter å virke.")
    elif working:
        consequences.append(f"De {len(working)} API-nøklene til brukeren slutter å virke.")
    consequences.append(
        "Brukeren kan ikke aktiveres igjen, og e-postadressen kan ikke brukes til en ny bruker. "
        "Det brukeren har gjort, står fortsatt i hendelsesloggen."
    )
    return confirm.page(
        request,
        confirm.Confirmation(
            title=f"Deaktivere {name}?",
            consequences=consequences,
            action=str(request.url_for("user_deactivate", user_id=target.id)),
            label="Deaktiver brukeren",
            back=str(request.url_for("users_page")),
        ),
    )


@router.post("/ansatt/brukere/{user_id}/deaktiver", name="user_deactivate")
def user_deactivate(user_id: int, request: Request, session: SessionDep, user: UserAdmin) -> Response:
    target = _deactivatable(session, user_id, user)
    try:
        users.deactivate(session, user=target, actor=audit.staff_actor(user))
    except users.UserError as exc:
        raise HTTPException(409, str(exc)) from exc
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
