"""The confirmation step before an action that cannot be undone (``templates/staff/confirm.html``).

A button that closes a round, deactivates a user or marks a recommendation final no longer posts at once: it
links to a GET route that renders a ``Confirmation`` (what will happen, in words), and only the button there
posts to the action. So it works without JavaScript, and a misclick costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request
from fastapi.responses import HTMLResponse

from survey_app import htmx


@dataclass(frozen=True)
class Confirmation:
    title: str  # «Avslutte runden?»
    consequences: list[str]  # «51 kommuner kan ikke lenger svare.»
    action: str  # the URL the confirm button posts to
    label: str  # the confirm button: «Avslutt runden»
    back: str  # the page the action was asked from
    fields: dict[str, str] = field(default_factory=dict)  # hidden form fields for the action


def page(request: Request, confirmation: Confirmation) -> HTMLResponse:
    return htmx.render(request, "staff/confirm.html", {"confirm": confirmation})
