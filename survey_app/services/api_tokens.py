"""Personal API tokens for the read-only JSON API (the county's BI tools). Only a hash is stored.

A token lasts the number of days chosen when it is made (``LIFETIMES``) and then stops working with a
message that says so. Each token may make ``RATE_LIMIT`` requests per ``RATE_WINDOW``; more are refused
until the oldest leaves the window (``RateLimiter``).

The rate limit is counted in each worker process, not in the database: with ``survey-app serve
--workers N`` a token gets up to N × ``RATE_LIMIT`` requests a minute in all. That is deliberate. The
limit is there to keep one runaway BI script from crowding out the staff pages, not to ration data
(every read is audited, and the token already sees all its owner may export); a shared count would
cost every API request a second database write, and it would need a table of its own.
"""

from __future__ import annotations

import math
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from survey_app import audit
from survey_app.db import begin_write
from survey_app.models import ApiToken, StaffUser, utcnow
from survey_app.security import token_hash

PREFIX = "isp_"
# Recording every use would make each API read a write; once a minute is enough to see a token is alive.
TOUCH_EVERY = timedelta(minutes=1)
# How long a new token may last, in days; a year at most, so a forgotten token does not live for ever.
LIFETIMES = (30, 90, 180, 365)
DEFAULT_LIFETIME = 90
RATE_LIMIT = 60
RATE_WINDOW = 60.0  # seconds


class TokenExpired(Exception):
    """The token was right but has run out; ``expired_at`` says when."""

    def __init__(self, expired_at: datetime) -> None:
        super().__init__(f"expired at {expired_at.isoformat()}")
        self.expired_at = expired_at


@dataclass(frozen=True)
class TokenUse:
    """Who a request's token belongs to, and the token (its hash keys the rate limit)."""

    user: StaffUser
    token: ApiToken


def create(
    session: Session, *, user: StaffUser, name: str, days: int = DEFAULT_LIFETIME
) -> tuple[ApiToken, str]:
    """A new token for ``user`` that lasts ``days`` (one of ``LIFETIMES``); the plain token is returned this
    once and never stored."""
    if days not in LIFETIMES:
        raise ValueError(f"a token lasts one of {LIFETIMES} days, not {days}")
    begin_write(session)
    plain = PREFIX + secrets.token_urlsafe(32)
    assert user.id is not None
    now = utcnow()
    expires = now + timedelta(days=days)
    token = ApiToken(
        user_id=user.id,
        name=name.strip()[:100] or "API-nøkkel",
        token_hash=token_hash(plain),
        prefix=plain[:10],
        created_at=now,
        expires_at=expires,
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        actor=audit.staff_actor(user),
        action="api_token.create",
        object_type="api_token",
        object_id=token.id,
        details={"name": token.name, "days": days, "expires_at": expires.isoformat()},
    )
    session.commit()
    return token, plain


def for_user(session: Session, user: StaffUser) -> list[ApiToken]:
    return list(
        session.exec(select(ApiToken).where(ApiToken.user_id == user.id).order_by(col(ApiToken.id).desc()))
    )


def is_expired(token: ApiToken, now: datetime | None = None) -> bool:
    """Whether the token has run out (``expires_at`` is None only for a token that migration 0011 missed:
    that one still works)."""
    return token.expires_at is not None and token.expires_at <= (now or utcnow())


def revoke(session: Session, *, token: ApiToken, user: StaffUser) -> None:
    begin_write(session)
    session.refresh(token)
    token.revoked_at = utcnow()
    audit.record(
        session,
        actor=audit.staff_actor(user),
        action="api_token.revoke",
        object_type="api_token",
        object_id=token.id,
    )
    session.commit()


def authenticate(session: Session, *, plain: str) -> TokenUse | None:
    """The active user a token belongs to, with the token; None for an unknown, revoked or malformed token.

    Raises ``TokenExpired`` for a token that was right but has run out, so the caller can say so.
    """
    if not plain.startswith(PREFIX) or len(plain) > 100:
        return None
    token = session.exec(select(ApiToken).where(ApiToken.token_hash == token_hash(plain))).first()
    if token is None or token.revoked_at is not None:
        return None
    user = session.get(StaffUser, token.user_id)
    if user is None or not user.is_active:
        return None
    now = utcnow()
    if is_expired(token, now):
        assert token.expires_at is not None
        raise TokenExpired(token.expires_at)
    if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
        begin_write(session)
        session.refresh(token)
        token.last_used_at = now
        session.commit()
    return TokenUse(user, token)


class RateLimiter:
    """At most ``limit`` requests per ``window`` seconds for each key, counted in this process.

    A sliding window: a refused request is not counted, and the key may go on as soon as its oldest
    counted request is ``window`` old. Safe to share between the threads that run sync routes.
    """

    def __init__(
        self,
        limit: int = RATE_LIMIT,
        window: float = RATE_WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> int | None:
        """Count a request for ``key``; when it is over the limit, count nothing and return the whole
        seconds to wait (for ``Retry-After``)."""
        now = self.clock()
        with self._lock:
            self._forget(now)
            hits = self._hits.setdefault(key, deque())
            if len(hits) >= self.limit:
                return max(1, math.ceil(hits[0] + self.window - now))
            hits.append(now)
            return None

    def _forget(self, now: float) -> None:
        # Every key's old hits, so a token that stops calling leaves nothing behind.
        for key in list(self._hits):
            hits = self._hits[key]
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if not hits:
                del self._hits[key]
