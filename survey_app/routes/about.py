"""Pages every visitor may read: the accessibility statement and the privacy page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from survey_app import htmx

router = APIRouter()


@router.get("/tilgjengelighet", name="accessibility_statement")
def accessibility_statement(request: Request) -> Response:
    return htmx.render(request, "about/accessibility.html")


@router.get("/personvern", name="privacy")
def privacy(request: Request) -> Response:
    return htmx.render(request, "about/privacy.html")
