"""Login throttling: after too many failed logins for an account or from an address, further tries are refused.

A refused try is not checked at all, so the right password does not get through either, until the window
has passed. A successful login clears its account's count; an address's count is left alone, so a guesser
who owns one account cannot clear it between guesses.

The attempts live in the database (``login_attempt``), not in a process, so every worker sees the same
count. The address is the client's as the ASGI server reports it (``request.client.host``). Behind a reverse
proxy that is the proxy's address unless uvicorn is run with ``--proxy-headers`` and
``--forwarded-allow-ips`` naming the proxy; without that, all users share one address and its limit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from survey_app import audit
from survey_app.db import begin_write
from survey_app.models import LoginAttempt, LoginOutcome, StaffUser, utcnow
from survey_app.services import users

ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 20
WINDOW = timedelta(minutes=15)
# Long enough for any window; the audit log is the lasting record.
KEEP = timedelta(days=1)

# No e-mail address has these; PostgreSQL cannot store NUL in text at all.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class LoginResult:
    """The user when the password was right; ``wait`` when the try was refused without checking it."""

    user: StaffUser | None
    wait: timedelta | None = None


def login(
    session: Session, *, email: str, password: str, address: str, now: datetime | None = None
) -> LoginResult:
    """Check a staff login unless the account or the address has failed too often within ``WINDOW``.

    Every try is recorded; failures are audited by ``users.authenticate`` (``login.failed``), and the
    first refused try of a lock-out as ``login.throttled``.
    """
    now = now or utcnow()
    # Replaced, not removed: "admin@x\0" must not become someone's real address.
    email = _UNPRINTABLE.sub("\ufffd", email)
    key = users.normalise_email(email)[:320]
    address = address[:100]
    _begin(session)
    session.execute(sa.delete(LoginAttempt).where(col(LoginAttempt.at) < now - KEEP))
    refusal = _refusal(session, email=key, address=address, now=now)
    if refusal is not None:
        wait, limit = refusal
        same = LoginAttempt.email == key if limit == "account" else LoginAttempt.address == address
        previous = session.exec(
            select(LoginAttempt.outcome).where(same).order_by(col(LoginAttempt.id).desc()).limit(1)
        ).first()
        if previous != LoginOutcome.refused:  # once per lock-out, not once per try
            audit.record(
                session,
                actor=f"anonym:{address}",
                action="login.throttled",
                object_type="staff_user",
                details={"email": key[:100], "address": address, "limit": limit},
            )
        session.add(LoginAttempt(at=now, email=key, address=address, outcome=LoginOutcome.refused))
        session.commit()
        return LoginResult(None, wait)
    # Counted as a failure from here on: parallel tries cannot all slip in while this one is checked.
    attempt = LoginAttempt(at=now, email=key, address=address, outcome=LoginOutcome.failed)
    session.add(attempt)
    session.commit()
    user = users.authenticate(session, email=email, password=password, address=address)
    if user is not None:
        begin_write(session)
        attempt.outcome = LoginOutcome.succeeded
        session.add(attempt)
        session.commit()
    return LoginResult(user)


def _begin(session: Session) -> None:
    """A write transaction in which no other login counts or records an attempt."""
    begin_write(session)  # SQLite: BEGIN IMMEDIATE already serialises writers
    if session.get_bind().dialect.name == "postgresql":
        # Held only while counting and recording (a millisecond), never while a password is hashed.
        session.execute(sa.text("LOCK TABLE login_attempt IN SHARE ROW EXCLUSIVE MODE"))


def _refusal(session: Session, *, email: str, address: str, now: datetime) -> tuple[timedelta, str] | None:
    """How long to wait, and which limit ("account" or "address") was hit, when this try must be refused."""
    last_success = (
        select(func.coalesce(func.max(LoginAttempt.id), 0))
        .where(LoginAttempt.email == email, LoginAttempt.outcome == LoginOutcome.succeeded)
        .scalar_subquery()
    )
    checks = [
        ("account", LoginAttempt.email == email, ACCOUNT_LIMIT, col(LoginAttempt.id) > last_success),
        ("address", LoginAttempt.address == address, ADDRESS_LIMIT, sa.true()),
    ]
    waits = []
    for name, same, limit, since in checks:
        recent = session.exec(
            select(LoginAttempt.at)
            .where(
                same,
                LoginAttempt.outcome == LoginOutcome.failed,
                col(LoginAttempt.at) > now - WINDOW,
                since,
            )
            .order_by(col(LoginAttempt.at).desc())
            .limit(limit)
        ).all()
        if len(recent) >= limit:
            # Free again when the oldest of the last ``limit`` failures leaves the window.
            waits.append((recent[-1] + WINDOW - now, name))
    return max(waits, key=lambda w: w[0]) if waits else None
