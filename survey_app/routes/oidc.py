"""Sign-in through the county's identity provider: the button on the login page, and the provider's answer.

The routes exist whether or not a provider is configured (one set of routes for the permission grid); without
one they answer 404. async because Authlib's client is; the database work runs in a thread
(db.begin_write must not wait on the event loop).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from survey_app import htmx
from survey_app.deps import SessionDep, SettingsDep
from survey_app.routes.staff import client_address, login_form, signed_in
from survey_app.services import oidc

router = APIRouter()

NOT_CONFIGURED = "Innlogging med fylkets konto er ikke satt opp i Innspill."
PROVIDER_LOGOUT_MISSING = (
    "Fylkets identitetsleverandør tilbyr ikke utlogging fra Innspill. Lukk nettleseren for å logge ut av "
    "fylkets konto."
)


@router.get("/ansatt/logg-inn/fylket", name="staff_oidc_start")
async def start(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    neste: Annotated[str, Query(max_length=2000)] = "",
) -> Response:
    """«Logg inn med fylkets konto»: on to the provider's login.

    A link, not a form: the CSP's form-action 'self' stops a form's redirect to another site. Another site
    that sends a browser here starts nothing it could use: the answer is bound to this browser's state, and
    whoever signs in at the provider is signed in as themselves.
    """
    if not settings.oidc_enabled:
        raise HTTPException(404, NOT_CONFIGURED)
    request.session[oidc.NEXT_KEY] = neste
    callback = str(request.url_for("staff_oidc_callback"))
    try:
        return await oidc.begin(request, settings=settings, redirect_uri=callback)
    except oidc.FlowError as exc:
        return await _failed(request, session, exc)


@router.get("/ansatt/logg-inn/fylket/tilbake", name="staff_oidc_callback")
async def callback(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """The provider's answer: a code to exchange, or an error. Whatever goes wrong ends on the login page with
    a Norwegian message, and in the audit log."""
    if not settings.oidc_enabled:
        raise HTTPException(404, NOT_CONFIGURED)
    try:
        identity, id_token = await oidc.finish(request, settings=settings)
    except oidc.FlowError as exc:
        return await _failed(request, session, exc)
    address = client_address(request)
    try:
        user = await run_in_threadpool(
            oidc.sign_in, session, identity=identity, settings=settings, address=address
        )
    except oidc.Refused as exc:
        return login_form(request, provider_error=exc.message, status_code=403)
    next_path = request.session.pop(oidc.NEXT_KEY, "")
    response = await run_in_threadpool(
        signed_in,
        request,
        session,
        user=user,
        address=address,
        next_path=next_path if isinstance(next_path, str) else "",
    )
    request.session[oidc.ID_TOKEN_KEY] = id_token  # after signed_in, which clears the one before
    return response


@router.get("/ansatt/logg-ut/fylket", name="staff_oidc_logout")
async def provider_logout(request: Request, settings: SettingsDep) -> Response:
    """«Logg ut av fylkets konto også», offered on the login page after logging out of Innspill: on to the
    provider's end-session endpoint with the ID token as hint, which sends the browser back to login."""
    if not settings.oidc_enabled:
        raise HTTPException(404, NOT_CONFIGURED)
    id_token = request.session.pop(oidc.LOGOUT_KEY, None)
    login = str(request.url_for("staff_login"))
    if not isinstance(id_token, str):
        return RedirectResponse(login, status_code=303)
    url = await oidc.end_session_url(
        request, settings=settings, id_token=id_token, post_logout_redirect_uri=login
    )
    if url is None:
        htmx.flash(request, PROVIDER_LOGOUT_MISSING, "warning")
        return RedirectResponse(login, status_code=303)
    return RedirectResponse(url, status_code=303)


async def _failed(request: Request, session: SessionDep, error: oidc.FlowError) -> Response:
    await run_in_threadpool(oidc.record_error, session, error=error, address=client_address(request))
    return login_form(request, provider_error=error.message, status_code=error.status)
