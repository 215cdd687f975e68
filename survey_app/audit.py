"""The audit log: services call ``record`` inside their own transaction, so an event exists iff the change does."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from survey_app.models import AuditEvent, Municipality, StaffUser

SYSTEM = "system"


def staff_actor(user: StaffUser) -> str:
    return f"staff:{user.id}:{user.email}"


def municipality_actor(municipality: Municipality, who: str = "") -> str:
    label = f"kommune:{municipality.kommunenummer}"
    return f"{label}:{who}" if who else label


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    object_type: str = "",
    object_id: object = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the session; the caller's commit makes it permanent."""
    event = AuditEvent(
        actor=actor[:200],
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        details=details or {},
    )
    session.add(event)
    return event
