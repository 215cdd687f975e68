"""One route, one template: a full page normally, one named block of it for an htmx request."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from survey_app.csrf import csrf_token

# Events the server triggers in the browser (HX-Trigger); the names are shared with static/app.js.
EVENT_SAVED = "innspill:saved"


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    block: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render ``template``; when htmx asks and ``block`` is given, only that block of it."""
    ctx = {"request": request, **base_context(request), **(context or {})}
    kwargs: dict[str, Any] = {}
    if block and is_htmx(request):
        kwargs["block_name"] = block
    response: HTMLResponse = request.app.state.templates.TemplateResponse(
        request, template, ctx, status_code=status_code, headers=headers, **kwargs
    )
    response.headers["Vary"] = "HX-Request"
    return response


FLASH_KEY = "flash"


def flash(request: Request, text: str, kind: str = "success") -> None:
    """A message for the next page (after a redirect), kept in the signed session cookie."""
    request.session[FLASH_KEY] = {"text": text, "kind": kind}


def base_context(request: Request) -> dict[str, Any]:
    """What base.html needs on every page."""
    from survey_app.deps import RESPONDENT_KEY  # deps → errors → htmx: imported here to break the cycle

    settings = request.app.state.settings
    signed_in = getattr(request.state, "staff_user", None) is not None or bool(
        request.session.get(RESPONDENT_KEY)
    )
    return {
        # Pages of someone signed in (staff or a municipality) warn before the session ends (static/app.js).
        "session_max_age": settings.session_max_age_seconds if signed_in else None,
        "csrf_token": csrf_token(request),
        "county_name": settings.county_name,
        "staff_user": getattr(request.state, "staff_user", None),
        "flash": request.session.pop(FLASH_KEY, None),
    }
