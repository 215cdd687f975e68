"""Errors as pages a person can act on.

Exceptions that reach a handler here:
    HTTPException            -> errors/{status}.html, else errors/error.html (detail is Norwegian text;
                                Starlette's own, from routing and form parsing, are English and not shown)
    RequestValidationError   -> 400 page: a forged or broken request, never a JSON dump
    LoginRequired            -> 303 to the login page (HX-Redirect for htmx)
    NoRespondentSession      -> 401 page explaining how to get back in through the invitation link
    Exception                -> 500 page, logged; the user is told nothing they typed was lost
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from jinja2 import TemplateNotFound
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


def error_page(request: Request, status: int, detail: str | None = None) -> Response:
    context = {"status": status, "title": TITLES.get(status, "Feil"), "detail": detail}
    for name in (f"errors/{status}.html", "errors/error.html"):
        try:
            return render(request, name, context, status_code=status)
        except TemplateNotFound:
            continue
    return Response(detail or TITLES.get(status, "Feil"), status_code=status)  # pragma: no cover


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
            response = error_page(request, exc.status_code, detail)
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if _is_api(request):
            return JSONResponse(
                {"detail": "Ugyldig forespørsel.", "errors": jsonable_encoder(exc.errors())}, 400
            )
        return error_page(
            request, 400, "Noe i forespørselen manglet eller hadde feil form. Gå tilbake og prøv igjen."
        )

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
        return error_page(request, 401)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_page(request, 500)
