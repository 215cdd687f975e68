"""Server-side sessions: what a browser's cookie stands for, kept where it can be ended.

The signed cookie (Starlette's session middleware) carries only random tokens; the ``web_session`` table
holds their hashes and says whose they are. A session ends at once when its row is ended: on logout, when
a user is deactivated or changes password, when a municipality gets a new link or its link is revoked,
and when a staff user ends it from «Min konto». It also ends after ``idle`` without a request (the
cookie's own age, which static/app.js counts down from) and ``ABSOLUTE`` after it began, however busy.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from survey_app import audit
from survey_app.db import begin_write
from survey_app.models import SessionKind, StaffUser, WebSession, utcnow
from survey_app.security import token_hash

# However active, a session lasts one working day; a new one is one login (or one link) away.
ABSOLUTE = timedelta(hours=12)
# Recording every request would make each page view a write; once a minute is what idle expiry needs.
TOUCH_EVERY = timedelta(minutes=1)
# Ended and run-out sessions stay this long, for «Min konto» and for questions about a login; then they go.
KEEP = timedelta(days=30)


class EndReason:
    """Why a session ended, as stored (``web_session.end_reason``); ``LABELS`` gives the Norwegian."""

    logout = "logout"
    ended_by_user = "ended_by_user"
    deactivated = "deactivated"
    password_changed = "password_changed"
    password_reset = "password_reset"
    new_link = "new_link"
    link_revoked = "link_revoked"
    role_changed = "role_changed"


LABELS = {
    EndReason.logout: "logget ut",
    EndReason.ended_by_user: "avsluttet av deg",
    EndReason.deactivated: "brukeren ble deaktivert",
    EndReason.role_changed: "rollen ble endret",
    EndReason.password_changed: "passordet ble endret",
    EndReason.password_reset: "passordet ble tilbakestilt",
    EndReason.new_link: "kommunen fikk ny lenke",
    EndReason.link_revoked: "lenken ble trukket tilbake",
}


@dataclass(frozen=True)
class Client:
    """Who is asking, as far as the request tells: shown to staff in their list of sessions."""

    user_agent: str = ""
    address: str = ""


def begin(
    db: Session,
    *,
    kind: SessionKind,
    client: Client,
    staff_user_id: int | None = None,
    invitation_id: int | None = None,
) -> tuple[WebSession, str]:
    """A new session; its token is returned this once, for the cookie, and only its hash is kept."""
    begin_write(db)
    db.execute(sa.delete(WebSession).where(col(WebSession.last_seen_at) < utcnow() - KEEP))
    token = secrets.token_urlsafe(32)
    row = WebSession(
        token_hash=token_hash(token),
        kind=kind,
        staff_user_id=staff_user_id,
        invitation_id=invitation_id,
        user_agent=client.user_agent[:200],
        address=client.address[:100],
    )
    db.add(row)
    db.commit()
    return row, token


def live(db: Session, *, token: object, kind: SessionKind, idle: timedelta) -> WebSession | None:
    """The session a cookie token stands for, if it has not ended or run out; touched at most once a minute."""
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        return None
    row = db.exec(select(WebSession).where(WebSession.token_hash == token_hash(token))).first()
    now = utcnow()
    if row is None or row.kind != kind or not is_live(row, idle=idle, now=now):
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        touch(db, rows=[row], now=now)
    return row


def is_live(row: WebSession, *, idle: timedelta, now: datetime) -> bool:
    return row.ended_at is None and now - row.last_seen_at < idle and now - row.created_at < ABSOLUTE


def touch(db: Session, *, rows: list[WebSession], now: datetime | None = None) -> None:
    """Record that these sessions were used (a page, an autosave, «Fortsett økten»)."""
    ids = [r.id for r in rows if r.id is not None]
    if not ids:
        return
    now = now or utcnow()
    begin_write(db)
    db.execute(
        sa.update(WebSession)
        .where(col(WebSession.id).in_(ids), col(WebSession.ended_at).is_(None))
        .values(last_seen_at=now)
    )
    db.commit()
    for row in rows:
        row.last_seen_at = now


def end(db: Session, *, row: WebSession, reason: str, actor: str) -> None:
    """End one session (logout, or «Avslutt» in the list of one's sessions), with an audit event."""
    begin_write(db)
    _end(db, col(WebSession.id) == row.id, reason=reason)
    audit.record(
        db,
        actor=actor,
        action="session.end",
        object_type="web_session",
        object_id=row.id,
        details={"reason": reason},
    )
    db.commit()
    row.ended_at = row.ended_at or utcnow()


def end_others(db: Session, *, user_id: int, keep_id: int | None, actor: str) -> int:
    """«Logg ut alle andre steder»: end a staff user's sessions but this one, with an audit event."""
    begin_write(db)
    ended = end_for_user(db, user_id=user_id, reason=EndReason.ended_by_user, keep_id=keep_id)
    audit.record(
        db,
        actor=actor,
        action="session.end_others",
        object_type="staff_user",
        object_id=user_id,
        details={"sessions_ended": ended},
    )
    db.commit()
    return ended


def end_for_user(db: Session, *, user_id: int, reason: str, keep_id: int | None = None) -> int:
    """End a staff user's sessions, but ``keep_id``, in the caller's transaction; the caller audits."""
    where = col(WebSession.staff_user_id) == user_id
    if keep_id is not None:
        where = where & (col(WebSession.id) != keep_id)
    return _end(db, where, reason=reason)


def end_for_invitation(db: Session, *, invitation_id: int, reason: str) -> int:
    """End the sessions opened with an invitation's link, in the caller's transaction."""
    return _end(db, col(WebSession.invitation_id) == invitation_id, reason=reason)


def _end(db: Session, where: sa.ColumnElement[bool], *, reason: str) -> int:
    statement = sa.update(WebSession).where(where, col(WebSession.ended_at).is_(None))
    result = db.execute(statement.values(ended_at=utcnow(), end_reason=reason))
    return int(getattr(result, "rowcount", 0) or 0)


def of_user(db: Session, *, user: StaffUser, idle: timedelta) -> list[WebSession]:
    """A staff user's sessions that are still live, the newest first."""
    rows = db.exec(
        select(WebSession)
        .where(WebSession.staff_user_id == user.id, col(WebSession.ended_at).is_(None))
        .order_by(col(WebSession.last_seen_at).desc(), col(WebSession.id).desc())
    ).all()
    now = utcnow()
    return [r for r in rows if is_live(r, idle=idle, now=now)]


def set_editor(db: Session, *, row: WebSession, editor: str) -> None:
    """The name a respondent gave for «Hvem fyller ut nå?» (a label beside what they save, nothing more)."""
    begin_write(db)
    db.execute(sa.update(WebSession).where(col(WebSession.id) == row.id).values(editor=editor))
    db.commit()
    row.editor = editor


# (what the User-Agent contains, what to call it): the first match wins, so Edge before Chrome before Safari.
_BROWSERS = (("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "Mac"),
    ("Linux", "Linux"),
)


def browser_label(user_agent: str) -> str:
    """«Firefox på Windows»: enough for a person to tell their own browsers apart."""
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), "")
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), "")
    if browser and system:
        return f"{browser} på {system}"
    return browser or system or "Ukjent nettleser"
