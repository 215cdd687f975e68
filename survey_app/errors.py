"""Errors as pages a person can act on.

Exceptions that reach a handler here:
    HTTPException            -> errors/{status}.html, else errors/error.html (detail is Norwegian text;
                                Starlette's own, from routing and form parsing, are English and not shown)
    RequestValidationError   -> 400 page: a forged or broken request, never a JSON dump
    LoginRequired            -> 303 to the login page (HX-Redirect for htmx)
    NoRespondentSession      -> 401 page explaining how to get back in through the invitation link
    Exception                -> 500 page, logged; the user is told nothing they typed was lost

Every page keeps the frame of whoever is signed in (``frame_of``): a staff user's error page has the staff
menu, a municipality's the respondent header in its målform, so there is a way back without the browser's
back button.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from jinja2 import TemplateNotFound
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from survey_app.htmx import is_htmx, render

log = logging.getLogger(__name__)

TITLES = {
    400: "Forespørselen kunne ikke behandles",
    401: "Du må åpne lenken din på nytt",
    403: "Ingen tilgang",
    404: "Siden finnes ikke",
    405: "Handlingen er ikke tillatt her",
    409: "Kan ikke endres nå",
    413: "Innholdet er for stort",
    429: "For mange forsøk",
    500: "Noe gikk galt hos oss",
}
# A municipality that has adopted nynorsk reads its error pages in nynorsk, as the rest of its pages.
TITLES_NN = {
    400: "Førespurnaden kunne ikkje behandlast",
    401: "Du må opne lenka di på nytt",
    403: "Inga tilgang",
    404: "Sida finst ikkje",
    405: "Handlinga er ikkje tillaten her",
    409: "Kan ikkje endrast no",
    413: "Innhaldet er for stort",
    429: "For mange forsøk",
    500: "Noko gjekk gale hos oss",
}

# The frames an error page can keep (``frame_of``).
PLAIN_LAYOUT = "base.html"
STAFF_LAYOUT = "staff/_layout.html"
RESPONDENT_LAYOUT = "respondent/_layout.html"
# Where a municipality answers: an error there is shown in its frame first, even to a signed-in staff user.
RESPONDENT_PATHS = ("/svar", "/i/")


class LoginRequired(Exception):
    """A staff page was asked for without a logged-in staff user."""


class NoRespondentSession(Exception):
    """A respondent page was asked for without a valid invitation in the session."""


class PasswordChangeRequired(Exception):
    """A staff user whose password was reset asked for a page before choosing a new password."""


class ChooseForm(Exception):
    """A respondent page without its slot, while this browser has several invitations open."""

    def __init__(self, *, choices: list[tuple[str, str]]) -> None:
        super().__init__("several invitation sessions are open")
        self.choices = choices  # (slot, «Kommune: Runde»)


def title_of(status: int, lang: str = "nb") -> str:
    return (TITLES_NN if lang == "nn" else TITLES).get(status, "Feil")


def frame_of(request: Request) -> dict[str, Any]:
    """The layout an error page extends and what it needs: the staff menu for a signed-in staff user, the
    respondent's header and målform for a municipality's open invitation, else the plain frame.

    Sync, as the dependencies it reuses: they query, and now and then record that a session was used."""
    from survey_app import deps  # deps → errors: imported here to break the cycle

    plain: dict[str, Any] = {"layout": PLAIN_LAYOUT, "lang": "nb"}
    if getattr(request.state, "staff_user", None) is not None:  # the route's dependency found them already
        return {"layout": STAFF_LAYOUT, "lang": "nb"}
    held = request.session
    if not held.get(deps.STAFF_KEY) and not held.get(deps.RESPONDENT_KEY):
        return plain
    with Session(request.app.state.engine, expire_on_commit=False) as session:

        def staff() -> dict[str, Any] | None:
            if held.get(deps.STAFF_KEY) and deps.optional_staff(request, session) is not None:
                return {"layout": STAFF_LAYOUT, "lang": "nb"}
            return None

        def respondent() -> dict[str, Any] | None:
            if not held.get(deps.RESPONDENT_KEY):
                return None
            try:
                draft = deps.current_draft(request, session, deps.current_respondent(request, session))
            except (NoRespondentSession, ChooseForm):
                return None
            return {"layout": RESPONDENT_LAYOUT, "lang": draft.lang, "draft": draft}

        ways = (respondent, staff) if request.url.path.startswith(RESPONDENT_PATHS) else (staff, respondent)
        for way in ways:
            if (found := way()) is not None:
                return found
    return plain


async def framed_error_page(request: Request, status: int, detail: str | None = None) -> Response:
    """``error_page`` in the frame of whoever is signed in (``frame_of``), looked up off the event loop."""
    slots = request.app.state.database_slots  # as deps.get_session: no more at once than the pool holds
    frame = None
    try:
        async with slots if slots is not None else contextlib.nullcontext():
            frame = await run_in_threadpool(frame_of, request)
    except Exception:  # the page must still be shown, in the plain frame
        log.exception("no frame for the error page on %s %s", request.method, request.url.path)
    return error_page(request, status, detail, frame=frame)


def error_page(
    request: Request, status: int, detail: str | None = None, *, frame: dict[str, Any] | None = None
) -> Response:
    """The error page; ``frame`` (``frame_of``) keeps the signed-in person's layout, the plain one without."""
    frame = frame or {"layout": PLAIN_LAYOUT, "lang": "nb"}
    context = {**frame, "status": status, "title": title_of(status, frame["lang"]), "detail": detail}
    for name in (f"errors/{status}.html", "errors/error.html"):
        try:
            return render(request, name, context, status_code=status)
        except TemplateNotFound:
            continue
    return Response(detail or title_of(status), status_code=status)  # pragma: no cover


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def install(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        # Our code raises FastAPI's HTTPException with a Norwegian detail; Starlette's base class comes
        # from the framework ("Not Found", "There was an error parsing the body", multipart limits).
        ours = isinstance(exc, HTTPException) and isinstance(exc.detail, str)
        detail = exc.detail if ours and exc.detail else None
        if detail == TITLES.get(exc.status_code):
            detail = None
        response: Response
        if _is_api(request):  # the API answers in JSON, never with an HTML page
            response = JSONResponse(
                {"detail": detail or TITLES.get(exc.status_code, "Feil")}, exc.status_code
            )
        else:
            response = await framed_error_page(request, exc.status_code, detail)
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if _is_api(request):
            return JSONResponse(
                {"detail": "Ugyldig forespørsel.", "errors": jsonable_encoder(exc.errors())}, 400
            )
        # The page's own text for 400 says what went wrong, in the reader's målform.
        return await framed_error_page(request, 400)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        target = str(request.app.url_path_for("staff_login"))
        if request.method == "GET":
            target += f"?neste={request.url.path}"
        if is_htmx(request):
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(PasswordChangeRequired)
    async def _password(request: Request, exc: PasswordChangeRequired) -> Response:
        target = str(request.app.url_path_for("account_password"))
        if is_htmx(request):
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(ChooseForm)
    async def _choose(request: Request, exc: ChooseForm) -> Response:
        status = 200 if request.method == "GET" else 409
        return render(request, "respondent/choose.html", {"choices": exc.choices}, status_code=status)

    @app.exception_handler(NoRespondentSession)
    async def _respondent(request: Request, exc: NoRespondentSession) -> Response:
        return await framed_error_page(request, 401)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        # No lookup here: the database may be what failed. A staff user the route already knew keeps the menu.
        staff = getattr(request.state, "staff_user", None) is not None
        return error_page(
            request, 500, frame={"layout": STAFF_LAYOUT if staff else PLAIN_LAYOUT, "lang": "nb"}
        )
