"""Sliding sessions: a signed-in user who keeps working stays signed in.

Starlette's SessionMiddleware sends the cookie (and so its Max-Age) again only when the session changes.
Without this, a municipality's coordinator saving answers all day would be signed out ``max_age`` after
opening the link. A time stamp, touched by requests of someone signed in at most once a minute, renews
the cookie, so the session ends ``max_age`` after the last request (give or take a minute), which is what
the warning in static/app.js counts down from.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Receive, Scope, Send

STAMP = "t"
EVERY_SECONDS = 60


def renew(session: dict[str, object]) -> None:
    """Mark the session changed, so the response sends the cookie with a fresh Max-Age."""
    session[STAMP] = int(time.time())


class RenewSession:
    """Pure ASGI; must run inside the session middleware (added before it)."""

    def __init__(self, app: ASGIApp, *, signed_in_keys: tuple[str, ...]) -> None:
        self.app = app
        self.keys = signed_in_keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        session = scope.get("session") if scope["type"] == "http" else None
        if session and any(key in session for key in self.keys):
            last = session.get(STAMP)
            if not isinstance(last, int) or time.time() - last >= EVERY_SECONDS:
                renew(session)
        await self.app(scope, receive, send)
