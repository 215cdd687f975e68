"""Personal API tokens for the read-only JSON API (the county's BI tools). Only a hash is stored."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlmodel import Session, col, select

from survey_app import audit
from survey_app.db import begin_write
from survey_app.models import ApiToken, StaffUser, utcnow
from survey_app.security import token_hash

PREFIX = "isp_"
# Recording every use would make each API read a write; once a minute is enough to see a token is alive.
TOUCH_EVERY = timedelta(minutes=1)


def create(session: Session, *, user: StaffUser, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user``; the plain token is returned this once and never stored."""
    begin_write(session)
    plain = PREFIX + secrets.token_urlsafe(32)
    assert user.id is not None
    token = ApiToken(
        user_id=user.id,
        name=name.strip()[:100] or "API-nøkkel",
        token_hash=token_hash(plain),
        prefix=plain[:10],
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        actor=audit.staff_actor(user),
        action="api_token.create",
        object_type="api_token",
        object_id=token.id,
        details={"name": token.name},
    )
    session.commit()
    return token, plain


def for_user(session: Session, user: StaffUser) -> list[ApiToken]:
    return list(
        session.exec(select(ApiToken).where(ApiToken.user_id == user.id).order_by(col(ApiToken.id).desc()))
    )


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


def authenticate(session: Session, *, plain: str) -> StaffUser | None:
    """The active user a token belongs to, or None for an unknown, revoked or malformed token."""
    if not plain.startswith(PREFIX) or len(plain) > 100:
        return None
    token = session.exec(select(ApiToken).where(ApiToken.token_hash == token_hash(plain))).first()
    if token is None or token.revoked_at is not None:
        return None
    user = session.get(StaffUser, token.user_id)
    if user is None or not user.is_active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
        begin_write(session)
        session.refresh(token)
        token.last_used_at = now
        session.commit()
    return user
