"""«Min konto»: a staff user's own account, and changing one's own password.

Both take ``AccountDep``: they are open to a signed-in user who must choose a new password (after an
administrator's reset) and is sent here from every other staff page until it is done.
"""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from survey_app import audit, htmx, passwords
from survey_app.deps import STAFF_KEY, AccountDep, SessionDep, idle_limit
from survey_app.models import StaffUser
from survey_app.permissions import ROLE_LABELS
from survey_app.services import sessions, throttle, users
from survey_app.services.sessions import EndReason, browser_label

router = APIRouter()

FIELD_LABELS = {
    "current_password": "Passordet du har nå",
    "new_password": "Nytt passord",
    "new_password_repeat": "Nytt passord en gang til",
}


@router.get("/ansatt/konto", name="account")
def account_page(request: Request, session: SessionDep, user: AccountDep) -> Response:
    return _page(request, session, user, form_only=False, errors={})


@router.get("/ansatt/konto/passord", name="account_password")
def password_page(request: Request, session: SessionDep, user: AccountDep) -> Response:
    return _page(request, session, user, form_only=True, errors={})


@router.post("/ansatt/konto/passord", name="account_password_post")
def password_change(
    request: Request,
    session: SessionDep,
    user: AccountDep,
    current_password: Annotated[str, Form(max_length=1000)] = "",
    new_password: Annotated[str, Form(max_length=1000)] = "",
    new_password_repeat: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    errors: dict[str, str] = {}
    status_code = 422
    if not current_password:
        errors["current_password"] = "Skriv passordet du har nå."
    else:
        # Counted like a login: a session left open is no way to guess the password (services/throttle.py).
        address = request.client.host if request.client else "ukjent"
        checked = throttle.check_password(session, user=user, password=current_password, address=address)
        if checked.wait is not None:
            minutes = math.ceil(checked.wait.total_seconds() / 60)
            errors["current_password"] = (
                f"For mange feil passord. Av sikkerhetshensyn må du vente {minutes} "
                f"{'minutt' if minutes == 1 else 'minutter'} før du prøver igjen."
            )
            status_code = 429
        elif checked.user is None:
            errors["current_password"] = "Passordet er feil. Skriv passordet du logget inn med."
    # Checked here as well as in the service, so every problem with the form is told at once.
    if problem := passwords.problem(new_password, email=user.email, full_name=user.full_name):
        errors["new_password"] = problem
    elif new_password != new_password_repeat:
        errors["new_password_repeat"] = "Du skrev ikke det samme nye passordet begge gangene."
    if not errors:
        was_forced = user.must_change_password
        web_session = getattr(request.state, "web_session", None)
        try:
            users.change_password(
                session,
                user=user,
                new_password=new_password,
                keep_session_id=web_session.id if web_session is not None else None,
            )
        except users.UserError as exc:
            errors[exc.field or "new_password"] = str(exc)
        else:
            htmx.flash(request, "Passordet er byttet. Er du logget inn andre steder, er du logget ut der.")
            target = "staff_rounds" if was_forced else "account"
            return RedirectResponse(request.url_for(target), status_code=303)
    return _page(request, session, user, form_only=True, errors=errors, status_code=status_code)


@router.post("/ansatt/konto/okter/{session_id}/avslutt", name="account_session_end")
def session_end(session_id: int, request: Request, session: SessionDep, user: AccountDep) -> Response:
    """End one of one's own sessions (a browser left signed in elsewhere)."""
    mine = {row.id: row for row in sessions.of_user(session, user=user, idle=idle_limit(request))}
    row = mine.get(session_id)
    if row is None:
        raise HTTPException(404, "Økten finnes ikke, eller den er allerede avsluttet.")
    sessions.end(session, row=row, reason=EndReason.ended_by_user, actor=audit.staff_actor(user))
    if row.id == request.state.web_session.id:
        request.session.pop(STAFF_KEY, None)
        return RedirectResponse(request.url_for("staff_login"), status_code=303)
    htmx.flash(request, "Økten er avsluttet. Den nettleseren må logge inn på nytt.")
    return RedirectResponse(request.url_for("account"), status_code=303)


@router.post("/ansatt/konto/okter/avslutt-andre", name="account_sessions_end_others")
def sessions_end_others(request: Request, session: SessionDep, user: AccountDep) -> Response:
    """«Logg ut alle andre steder»."""
    assert user.id is not None
    ended = sessions.end_others(
        session, user_id=user.id, keep_id=request.state.web_session.id, actor=audit.staff_actor(user)
    )
    htmx.flash(request, f"{ended} {'økt' if ended == 1 else 'økter'} avsluttet.")
    return RedirectResponse(request.url_for("account"), status_code=303)


def _page(
    request: Request,
    session: Session,
    user: StaffUser,
    *,
    form_only: bool,
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    current = request.state.web_session
    open_sessions = [] if form_only else sessions.of_user(session, user=user, idle=idle_limit(request))
    return htmx.render(
        request,
        "staff/account.html",
        {
            "sessions": [(row, browser_label(row.user_agent), row.id == current.id) for row in open_sessions],
            "form_only": form_only,
            "errors": errors,
            "labels": FIELD_LABELS,
            "role_label": ROLE_LABELS[user.role],
            "min_length": passwords.MIN_LENGTH,
        },
        status_code=status_code,
    )
