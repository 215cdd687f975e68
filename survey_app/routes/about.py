"""Pages every visitor may read: the accessibility statement and the privacy page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from survey_app import htmx
from survey_app.services import sessions, throttle

router = APIRouter()


@router.get("/tilgjengelighet", name="accessibility_statement")
def accessibility_statement(request: Request) -> Response:
    return htmx.render(request, "about/accessibility.html")


@router.get("/personvern", name="privacy")
def privacy(request: Request) -> Response:
    # How long sessions and failed logins are kept comes from the code that deletes them, so the page
    # cannot promise a period the program does not keep.
    context = {"sessions_kept_days": sessions.KEEP.days, "attempts_kept_days": throttle.KEEP.days}
    return htmx.render(request, "about/privacy.html", context)
