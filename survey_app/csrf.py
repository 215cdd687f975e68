"""CSRF protection: a per-session token that every state-changing request must echo.

Forms send it as the hidden field ``csrf_token``; htmx sends it as the ``X-CSRF-Token`` header, which
base.html sets for every htmx request with ``hx-headers``.
"""

from __future__ import annotations

from fastapi import HTTPException, Request

from survey_app.security import new_csrf_token, tokens_equal

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
FIELD = "csrf_token"
HEADER = "X-CSRF-Token"


def csrf_token(request: Request) -> str:
    token = request.session.get(FIELD)
    if not token:
        token = new_csrf_token()
        request.session[FIELD] = token
    return str(token)


def rotate_csrf_token(request: Request) -> None:
    """A new token when someone signs in, so one picked up before (say, on a shared machine) stops working."""
    request.session[FIELD] = new_csrf_token()


async def verify_csrf(request: Request) -> None:
    """Router dependency: refuse a state-changing request whose token is missing or wrong."""
    if request.method in SAFE_METHODS:
        return
    expected = request.session.get(FIELD)
    sent = request.headers.get(HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        # FastAPI caches the parsed form on the request, so the route can read it again.
        form = await request.form()
        value = form.get(FIELD)
        sent = value if isinstance(value, str) else None
    if not expected or not sent or not tokens_equal(str(expected), sent):
        raise HTTPException(
            status_code=403,
            detail="Skjemaet var utløpt eller kom ikke fra denne siden. Gå tilbake, last siden på nytt og prøv igjen.",
        )
