"""Invitation links: resolve a token, export links, revoke and regenerate."""

from __future__ import annotations

import csv
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO

from sqlmodel import Session, col, select

from survey_app import audit
from survey_app.cells import neutralise
from survey_app.db import begin_write
from survey_app.models import Invitation, MailKind, Municipality, Round, RoundStatus, utcnow
from survey_app.security import invitation_token, new_salt, token_hash
from survey_app.services import outbox, sessions
from survey_app.services.sessions import EndReason


class LinkProblem(enum.StrEnum):
    unknown = "unknown"
    expired = "expired"
    revoked = "revoked"
    closed = "closed"


@dataclass(frozen=True)
class Resolved:
    invitation: Invitation | None
    problem: LinkProblem | None


def check(invitation: Invitation | None, round_: Round | None) -> LinkProblem | None:
    """Why this invitation cannot be used now, or None when it can."""
    if invitation is None or round_ is None:
        return LinkProblem.unknown
    if invitation.revoked_at is not None:
        return LinkProblem.revoked
    if invitation.expires_at <= utcnow():
        return LinkProblem.expired
    if round_.status == RoundStatus.draft:
        return LinkProblem.closed
    return None


def resolve(session: Session, *, token: str) -> Resolved:
    """The invitation a link token belongs to, and whether it may be used."""
    if len(token) > 100:
        return Resolved(None, LinkProblem.unknown)
    invitation = session.exec(select(Invitation).where(Invitation.token_hash == token_hash(token))).first()
    round_ = session.get(Round, invitation.round_id) if invitation else None
    problem = check(invitation, round_)
    if invitation is not None and problem is None:
        begin_write(session)
        invitation.last_used_at = utcnow()
        session.commit()
    return Resolved(invitation, problem)


def link(invitation: Invitation, *, secret_key: str, base_url: str) -> str:
    assert invitation.id is not None
    return f"{base_url.rstrip('/')}/i/{invitation_token(secret_key, invitation.id, invitation.salt)}"


def export_rows(session: Session, *, round_id: int, secret_key: str, base_url: str) -> list[dict[str, str]]:
    """One row per invited municipality: kommunenummer, kommune, url (working links, revoked ones left out)."""
    rows = session.exec(
        select(Invitation, Municipality)
        .join(Municipality, Municipality.id == Invitation.municipality_id)  # type: ignore[arg-type]
        .where(Invitation.round_id == round_id, col(Invitation.revoked_at).is_(None))
        .order_by(Municipality.kommunenummer)
    ).all()
    return [
        {
            "kommunenummer": m.kommunenummer,
            "kommune": m.name,
            "url": link(inv, secret_key=secret_key, base_url=base_url),
        }
        for inv, m in rows
    ]


CSV_COLUMNS = ("kommunenummer", "kommune", "url")


def write_csv(out: IO[str], rows: Sequence[Mapping[str, str]]) -> None:
    """The invitation links as CSV (``kommunenummer,kommune,url``), every cell guarded against formulas."""
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    writer.writerows({k: neutralise(v) for k, v in row.items()} for row in rows)


def new_expiry(invitation: Invitation, *, invitation_days: int, now: datetime | None = None) -> datetime:
    """When a new link runs out: never sooner than the old one, and at least ``invitation_days`` from now.

    A new link is asked for because the old one was lost, revoked or ran out; one that has run out already
    (a municipality that answers after the deadline, with the round still open) would be no help."""
    return max(invitation.expires_at, (now or utcnow()) + timedelta(days=invitation_days))


def regenerate(
    session: Session, *, invitation: Invitation, secret_key: str, invitation_days: int, actor: str
) -> Invitation:
    """Give the municipality a new link that works (``new_expiry``); the old one stops working at once."""
    begin_write(session)
    session.refresh(invitation)
    assert invitation.id is not None
    invitation.salt = new_salt()
    invitation.token_hash = token_hash(invitation_token(secret_key, invitation.id, invitation.salt))
    invitation.revoked_at = None
    extended_from = invitation.expires_at
    invitation.expires_at = new_expiry(invitation, invitation_days=invitation_days)
    # Sessions opened with the old link end too: whoever had it must now have the new one.
    ended = sessions.end_for_invitation(session, invitation_id=invitation.id, reason=EndReason.new_link)
    audit.record(
        session,
        actor=actor,
        action="invitation.regenerate",
        object_type="invitation",
        object_id=invitation.id,
        details={"sessions_ended": ended}
        | (
            {"expires_at": invitation.expires_at.isoformat()}
            if invitation.expires_at != extended_from
            else {}
        ),
    )
    session.commit()
    return invitation


def revoke(session: Session, *, invitation: Invitation, actor: str) -> Invitation:
    begin_write(session)
    session.refresh(invitation)
    invitation.revoked_at = utcnow()
    assert invitation.id is not None
    ended = sessions.end_for_invitation(session, invitation_id=invitation.id, reason=EndReason.link_revoked)
    audit.record(
        session,
        actor=actor,
        action="invitation.revoke",
        object_type="invitation",
        object_id=invitation.id,
        details={"sessions_ended": ended},
    )
    session.commit()
    return invitation


def record_export(session: Session, *, round_id: int, rows: int, actor: str) -> None:
    """Note in the audit log that someone took a copy of the round's links."""
    begin_write(session)
    audit.record(
        session,
        actor=actor,
        action="invitations.export",
        object_type="round",
        object_id=round_id,
        details={"rows": rows},
    )
    session.commit()


def send_all(session: Session, *, round_: Round, actor: str) -> outbox.Queued:
    """Queue an e-mail with its link to each invited municipality's contact addresses; commits.

    The outbox's sender writes each in the municipality's målform and mails it after the response
    (services/outbox.py).
    """
    targets = session.exec(
        select(Invitation, Municipality)
        .join(Municipality, col(Municipality.id) == col(Invitation.municipality_id))
        .where(Invitation.round_id == round_.id, col(Invitation.revoked_at).is_(None))
        .order_by(Municipality.kommunenummer)
    ).all()
    return outbox.queue_for(
        session,
        kind=MailKind.invitation,
        round_=round_,
        targets=targets,
        actor=actor,
        action="invitations.send",
    )
