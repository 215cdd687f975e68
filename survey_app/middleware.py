"""Security headers on every response, and the host check (pure ASGI: streaming and errors are covered too)."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from survey_app.config import Settings

# No inline script or style anywhere: htmx is configured by a meta tag, our behaviour is in static/app.js.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


# Pages, exports and API answers hold answers and personal data: no browser or proxy may keep a copy (a shared
# computer's back button, a proxy's cache). Only the vendored, versioned static files may be cached.
NO_STORE = (b"cache-control", b"no-store")
# With secure cookies the site is served over HTTPS only: browsers are told to keep to it for a year.
HSTS = (b"strict-transport-security", b"max-age=31536000")


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.headers = [*HEADERS, *([HSTS] if hsts else [])]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        static = str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                existing = {k.lower() for k, _ in message["headers"]}
                added = [*self.headers, *([] if static else [NO_STORE])]
                message["headers"] += [(k, v) for k, v in added if k not in existing]
            await send(message)

        await self.app(scope, receive, send_with_headers)


REFUSED_HOST = "Ukjent adresse. Bruk adressen du har fått fra fylkeskommunen.".encode()
_PASSED = "innspill.host_allowed"


class AllowedHosts:
    """Starlette's ``TrustedHostMiddleware``, answering a request for another host with a 400 in Norwegian.

    Pages, links and redirects are built from the request's Host header (``request.url_for``), so a request
    that names another host could otherwise get a redirect or a link to it.
    """

    def __init__(self, app: ASGIApp, *, allowed_hosts: list[str]) -> None:
        self.app = app
        self.check = TrustedHostMiddleware(self._allowed, allowed_hosts=allowed_hosts, www_redirect=False)

    async def _allowed(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[_PASSED] = True
        await self.app(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.check(scope, receive, send)
            return

        async def refuse_in_norwegian(message: Message) -> None:
            if scope.get(_PASSED):
                await send(message)
            elif message["type"] == "http.response.start":  # the check's own English 400
                headers = [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(REFUSED_HOST)).encode()),
                ]
                await send({**message, "headers": headers})
            else:
                await send({"type": "http.response.body", "body": REFUSED_HOST})

        await self.check(scope, receive, refuse_in_norwegian)


def install_host_check(app: FastAPI, settings: Settings) -> None:
    """Refuse requests whose Host is not one of ``settings.host_patterns`` (outermost of the app's own
    middleware: call it after the others are added)."""
    app.add_middleware(AllowedHosts, allowed_hosts=settings.host_patterns)
