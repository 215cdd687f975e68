"""Reading the audit log: filtered, newest first, a page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session, col, func, select

from survey_app import audit
from survey_app.dates import OSLO
from survey_app.db import begin_write
from survey_app.models import AuditEvent

PAGE_SIZE = 100


@dataclass(frozen=True)
class AuditPage:
    events: list[AuditEvent]
    total: int
    page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


def actions(session: Session) -> list[str]:
    return list(session.exec(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=OSLO).astimezone(UTC)


def search(
    session: Session,
    *,
    action: str | None = None,
    actor: str | None = None,
    since: date | None = None,
    until: date | None = None,
    page: int = 1,
) -> AuditPage:
    """Events matching every given filter; dates are Norwegian calendar days, ``until`` included."""
    query = select(AuditEvent)
    if action:
        query = query.where(AuditEvent.action == action)
    if actor:
        query = query.where(col(AuditEvent.actor).contains(actor.strip().lower()))
    if since:
        query = query.where(AuditEvent.at >= _start_of(since))
    if until:
        query = query.where(AuditEvent.at < _start_of(until + timedelta(days=1)))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    page = max(1, min(page, -(-total // PAGE_SIZE)))  # past the end: the last page
    events = session.exec(
        query.order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    return AuditPage(list(events), total, page)


def record_read(
    session: Session, *, actor: str, action: str, object_type: str, object_id: object, details: dict[str, Any]
) -> None:
    """Log that someone took data out (an export, an API read): reads change nothing else, so this commits."""
    begin_write(session)
    audit.record(
        session, actor=actor, action=action, object_type=object_type, object_id=object_id, details=details
    )
    session.commit()
