"""Limits on what a request may carry, enforced before any route sees it.

BodySizeLimit   pure ASGI middleware: 413 for a body over the limit, counted as it streams in
in_range        router dependency: 404 for an id in the path that no row can have
parse_id        an id typed as text (form fields, query strings), or None
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import HTTPException, Request
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from survey_app.errors import error_page

# Far above any honest form or autosave (an answer is refused above 50,000 characters, forms.HARD_LIMIT).
MAX_BODY = 1024 * 1024
# Ids are INTEGER columns, 32-bit on PostgreSQL: no row has a larger one, and asking the database about a
# larger number is an error there (and on SQLite above 64 bits), not "not found".
MAX_ID = 2**31 - 1


def parse_id(text: str) -> int | None:
    """The id in ``text`` if it could name a row: plain ASCII digits, 1 to MAX_ID; else None.

    ``str.isdigit`` is not enough: it accepts «²» and «٣», and any number of digits.
    """
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ID)):
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None


async def in_range(request: Request) -> None:
    """Router dependency: a number in the path larger than any id names nothing, so it is a 404 page.

    Without it, ``/ansatt/runder/99999999999`` reaches the database and fails there (a 500).
    """
    for value in request.path_params.values():
        digits = value.removeprefix("-") if isinstance(value, str) else ""
        if digits.isascii() and digits.isdigit() and (len(digits) > 10 or int(digits) > MAX_ID):
            raise HTTPException(404, "Det finnes ingenting med dette nummeret. Sjekk adressen.")


class BodyTooLarge(HTTPException):
    """Raised inside ``receive`` when the body passes the limit; the app's error handler shows the page."""

    def __init__(self, limit: int) -> None:
        megabytes = max(1, round(limit / (1024 * 1024)))
        super().__init__(
            413,
            f"Det du sendte, er større enn {megabytes} MB, som er det meste Innspill tar imot på én gang. "
            "Ingenting av det ble lagret. Gjør teksten kortere eller filen mindre, og prøv igjen.",
        )


class BodySizeLimit:
    """413 for a request body over ``limit`` bytes (``limits`` per path), counted as it streams in.

    A declared Content-Length over the limit is refused before the app runs; a body without one (chunked)
    is cut off as soon as it passes the limit, so the app never holds more than the limit in memory.
    Install it inside the session middleware: the 413 page needs the session.
    """

    def __init__(
        self, app: ASGIApp, *, limit: int = MAX_BODY, limits: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.limit = limit
        self.limits = dict(limits or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.get(scope["path"], self.limit)
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge:
            # Normally the app's handler has shown the page; this is for a read outside any route.
            if started:
                raise
            await self._refuse(scope, receive, send, limit)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        error = BodyTooLarge(limit)
        response = error_page(Request(scope, receive), error.status_code, error.detail)
        await response(scope, receive, send)
