"""The least staff side the demo needs: login, the rounds, a round's overview, a response, reopen."""

from __future__ import annotations

import math
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from survey_app import audit, htmx
from survey_app.config import Settings
from survey_app.csrf import rotate_csrf_token
from survey_app.deps import (
    STAFF_KEY,
    OptionalStaffDep,
    Reopener,
    SessionDep,
    SettingsDep,
    Viewer,
    optional_staff,
)
from survey_app.i18n import Lang
from survey_app.models import Response as SurveyResponse
from survey_app.models import SessionKind, StaffUser
from survey_app.permissions import ROLE_LABELS, Action, can
from survey_app.services import oidc, responses, rounds, sessions, throttle
from survey_app.services.sessions import EndReason

router = APIRouter()


STATUS_LABELS = {
    "not_started": "Ikke startet",
    "in_progress": "Påbegynt",
    "submitted": "Sendt inn",
    "reopened": "Gjenåpnet",
}
ROUND_STATUS_LABELS = {"draft": "Ikke åpnet", "open": "Åpen", "closed": "Avsluttet"}


@router.get("/", name="home")
def home(request: Request, user: OptionalStaffDep) -> Response:
    if user is not None:
        return RedirectResponse(request.url_for("staff_rounds"), status_code=303)
    return htmx.render(request, "home.html")


def _safe_next(target: str | None) -> str | None:
    # Only a path on this site: never an open redirect to somewhere else.
    if not target or not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
        return None
    return target


PASSWORD_LOGIN_OFF = (
    "Innlogging med passord er slått av i Innspill. Bruk «Logg inn med fylkets konto» i stedet."
)


def login_form(
    request: Request,
    *,
    email: str = "",
    error: str | None = None,
    provider_error: str | None = None,
    next_path: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """The login page: the county's sign-in (when set up) and the password form (unless switched off).
    ``error`` belongs to the password form, ``provider_error`` to the county's sign-in."""
    settings: Settings = request.app.state.settings
    context = {
        "email": email,
        "error": error,
        "provider_error": provider_error,
        "next": _safe_next(next_path) or "",
        "oidc": settings.oidc_enabled,
        "password_login": settings.password_login,
        # Signed out of Innspill, still signed in at the provider: its logout is offered.
        "provider_logout": settings.oidc_enabled and oidc.LOGOUT_KEY in request.session,
    }
    return htmx.render(request, "staff/login.html", context, status_code=status_code, headers=headers)


@router.get("/ansatt/logg-inn", name="staff_login")
def login_page(request: Request, neste: str | None = None) -> Response:
    return login_form(request, next_path=neste)


@router.post("/ansatt/logg-inn", name="staff_login_post")
def login(
    request: Request,
    session: SessionDep,
    email: Annotated[str, Form(max_length=1000)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    neste: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    settings: Settings = request.app.state.settings
    if not settings.password_login:
        # The form is not shown; a request that posts it anyway is refused before any password is checked.
        return login_form(request, error=PASSWORD_LOGIN_OFF, status_code=403)
    address = client_address(request)
    result = throttle.login(session, email=email, password=password, address=address)
    if result.wait is not None:
        seconds = max(1, math.ceil(result.wait.total_seconds()))
        minutes = math.ceil(seconds / 60)
        return login_form(
            request,
            email=email,
            next_path=neste,
            error=f"For mange forsøk på å logge inn. Av sikkerhetshensyn må du vente "
            f"{minutes} {'minutt' if minutes == 1 else 'minutter'} før du prøver igjen. "
            "Har du glemt passordet, ta kontakt med en administrator.",
            status_code=429,
            headers={"Retry-After": str(seconds)},
        )
    user = result.user
    if user is None:
        return login_form(
            request,
            email=email,
            next_path=neste,
            error="E-postadressen eller passordet er feil. Sjekk at du har skrevet riktig, og prøv igjen.",
            status_code=401,
        )
    return signed_in(request, session, user=user, address=address, next_path=neste)


def client_address(request: Request) -> str:
    # The client's address as the ASGI server reports it; see services/throttle.py about proxies.
    return request.client.host if request.client else "ukjent"


def signed_in(
    request: Request, session: Session, *, user: StaffUser, address: str, next_path: str
) -> Response:
    """What follows a successful sign-in, by password or through the county's identity provider: a new
    server-side session (ending whoever was signed in before), a new CSRF token, then the page asked for."""
    _end_staff_session(request, session, reason=EndReason.logout)  # someone else's, on a shared machine
    client = sessions.Client(user_agent=request.headers.get("user-agent", ""), address=address)
    _, token = sessions.begin(session, kind=SessionKind.staff, client=client, staff_user_id=user.id)
    request.session[STAFF_KEY] = token
    rotate_csrf_token(request)  # a token seen before signing in is worth nothing after
    if user.must_change_password:
        return RedirectResponse(request.url_for("account_password"), status_code=303)
    return RedirectResponse(_safe_next(next_path) or str(request.url_for("staff_rounds")), status_code=303)


def _end_staff_session(request: Request, session: Session, *, reason: str) -> str | None:
    """End the signed-in staff session, if any; the provider's ID token it began with, if any, is returned."""
    if optional_staff(request, session) is not None:
        user = request.state.staff_user
        sessions.end(session, row=request.state.web_session, reason=reason, actor=audit.staff_actor(user))
    request.session.pop(STAFF_KEY, None)
    request.session.pop(oidc.LOGOUT_KEY, None)  # an earlier logout's offer is no one's business now
    id_token = request.session.pop(oidc.ID_TOKEN_KEY, None)
    return id_token if isinstance(id_token, str) else None


@router.post("/ansatt/logg-ut", name="staff_logout")
def logout(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """Ends the session on the server: a copy of the cookie opens nothing after this.

    Signed in through the county's identity provider, the login page then offers the provider's logout too
    (routes/oidc.py). Offered, not redirected to: the CSP's form-action 'self' stops a form's redirect to
    another site, and signing out of the county account is the person's choice (it ends their other
    applications' sign-ins as well).
    """
    id_token = _end_staff_session(request, session, reason=EndReason.logout)
    if id_token and settings.oidc_enabled:
        request.session[oidc.LOGOUT_KEY] = id_token
    return RedirectResponse(request.url_for("staff_login"), status_code=303)


@router.get("/ansatt", name="staff_rounds")
def rounds_page(request: Request, session: SessionDep, user: Viewer) -> Response:
    listed = [
        (r, rounds.status_counts(session, r.id)) for r in rounds.list_rounds(session) if r.id is not None
    ]
    return htmx.render(
        request,
        "staff/rounds.html",
        {
            "rounds": listed,
            "role_label": ROLE_LABELS[user.role],
            "round_status_labels": ROUND_STATUS_LABELS,
            "can_manage": can(user.role, Action.manage_rounds),
        },
    )


@router.get("/ansatt/svar/{response_id}", name="staff_response")
def response_page(
    response_id: int, request: Request, session: SessionDep, user: Viewer, malform: Lang = "nb"
) -> Response:
    """One answer, read in bokmål (the staff's language) or in nynorsk (``?malform=nn``), whichever the
    municipality wrote in: the questions and options as the municipality saw them, or as staff read them."""
    if session.get(SurveyResponse, response_id) is None:
        raise HTTPException(404, "Svaret finnes ikke.")
    draft = responses.load_draft(session, response_id=response_id, read_in=malform)
    return htmx.render(
        request,
        "staff/response.html",
        {
            "lang": malform,
            "draft": draft,
            "shown": responses.visible_ids(draft.definition, draft.values()),
            "status_labels": STATUS_LABELS,
            "progress": responses.progress(draft),
            "can_reopen": can(user.role, Action.reopen_response),
        },
    )


@router.post("/ansatt/svar/{response_id}/gjenapne", name="staff_reopen")
def reopen(
    response_id: int,
    request: Request,
    session: SessionDep,
    user: Reopener,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    response = session.get(SurveyResponse, response_id)
    if response is None:
        raise HTTPException(404, "Svaret finnes ikke.")
    try:
        responses.reopen(session, response=response, actor=audit.staff_actor(user), reason=reason)
    except responses.ReadOnly as exc:
        raise HTTPException(409, str(exc)) from None
    return RedirectResponse(request.url_for("staff_response", response_id=response_id), status_code=303)
