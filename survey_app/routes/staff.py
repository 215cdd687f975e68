"""The least staff side the demo needs: login, the rounds, a round's overview, a response, reopen."""

from __future__ import annotations

import math
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from survey_app import audit, htmx
from survey_app.csrf import rotate_csrf_token
from survey_app.deps import STAFF_KEY, OptionalStaffDep, Reopener, SessionDep, Viewer, optional_staff
from survey_app.i18n import Lang
from survey_app.models import Response as SurveyResponse
from survey_app.models import SessionKind
from survey_app.permissions import ROLE_LABELS, Action, can
from survey_app.services import responses, rounds, sessions, throttle
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


@router.get("/ansatt/logg-inn", name="staff_login")
def login_page(request: Request, neste: str | None = None) -> Response:
    return htmx.render(
        request, "staff/login.html", {"email": "", "error": None, "next": _safe_next(neste) or ""}
    )


@router.post("/ansatt/logg-inn", name="staff_login_post")
def login(
    request: Request,
    session: SessionDep,
    email: Annotated[str, Form(max_length=1000)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    neste: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    # The client's address as the ASGI server reports it; see services/throttle.py about proxies.
    address = request.client.host if request.client else "ukjent"
    result = throttle.login(session, email=email, password=password, address=address)
    form = {"email": email, "next": _safe_next(neste) or ""}
    if result.wait is not None:
        seconds = max(1, math.ceil(result.wait.total_seconds()))
        minutes = math.ceil(seconds / 60)
        return htmx.render(
            request,
            "staff/login.html",
            {
                **form,
                "error": f"For mange forsøk på å logge inn. Av sikkerhetshensyn må du vente "
                f"{minutes} {'minutt' if minutes == 1 else 'minutter'} før du prøver igjen. "
                "Har du glemt passordet, ta kontakt med en administrator.",
            },
            status_code=429,
            headers={"Retry-After": str(seconds)},
        )
    user = result.user
    if user is None:
        return htmx.render(
            request,
            "staff/login.html",
            {
                **form,
                "error": "E-postadressen eller passordet er feil. Sjekk at du har skrevet riktig, og prøv igjen.",
            },
            status_code=401,
        )
    _end_staff_session(request, session, reason=EndReason.logout)  # someone else's, on a shared machine
    client = sessions.Client(user_agent=request.headers.get("user-agent", ""), address=address)
    _, token = sessions.begin(session, kind=SessionKind.staff, client=client, staff_user_id=user.id)
    request.session[STAFF_KEY] = token
    rotate_csrf_token(request)  # a token seen before signing in is worth nothing after
    if user.must_change_password:
        return RedirectResponse(request.url_for("account_password"), status_code=303)
    return RedirectResponse(_safe_next(neste) or str(request.url_for("staff_rounds")), status_code=303)


def _end_staff_session(request: Request, session: Session, *, reason: str) -> None:
    if optional_staff(request, session) is not None:
        user = request.state.staff_user
        sessions.end(session, row=request.state.web_session, reason=reason, actor=audit.staff_actor(user))
    request.session.pop(STAFF_KEY, None)


@router.post("/ansatt/logg-ut", name="staff_logout")
def logout(request: Request, session: SessionDep) -> Response:
    """Ends the session on the server: a copy of the cookie opens nothing after this."""
    _end_staff_session(request, session, reason=EndReason.logout)
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
