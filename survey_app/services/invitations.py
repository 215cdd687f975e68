"""Invitation links: resolve a token, export links, revoke and regenerate."""

from __future__ import annotations

import csv
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import IO

from sqlmodel import Session, col, select

from survey_app import audit
from survey_app.cells import neutralise
from survey_app.config import Settings
from survey_app.db import begin_write
from survey_app.models import Invitation, Municipality, Round, RoundStatus, utcnow
from survey_app.security import invitation_token, new_salt, token_hash
from survey_app.services import mail, register


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


def regenerate(session: Session, *, invitation: Invitation, secret_key: str, actor: str) -> Invitation:
    """Give the municipality a new link; the old one stops working at once."""
    begin_write(session)
    session.refresh(invitation)
    assert invitation.id is not None
    invitation.salt = new_salt()
    invitation.token_hash = token_hash(invitation_token(secret_key, invitation.id, invitation.salt))
    invitation.revoked_at = None
    audit.record(
        session,
        actor=actor,
        action="invitation.regenerate",
        object_type="invitation",
        object_id=invitation.id,
    )
    session.commit()
    return invitation


def revoke(session: Session, *, invitation: Invitation, actor: str) -> Invitation:
    begin_write(session)
    session.refresh(invitation)
    invitation.revoked_at = utcnow()
    audit.record(
        session, actor=actor, action="invitation.revoke", object_type="invitation", object_id=invitation.id
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


@dataclass(frozen=True)
class Sent:
    sent: int
    without_address: list[str]


def send_all(session: Session, *, round_: Round, settings: Settings, actor: str) -> Sent:
    """E-mail each invited municipality its link, in its målform, to its contact addresses."""
    rows = session.exec(
        select(Invitation, Municipality)
        .join(Municipality, col(Municipality.id) == col(Invitation.municipality_id))
        .where(Invitation.round_id == round_.id, col(Invitation.revoked_at).is_(None))
        .order_by(Municipality.kommunenummer)
    ).all()
    addresses = register.contact_addresses(session)
    messages, missing = [], []
    secret = settings.resolved_secret_key()
    for invitation, municipality in rows:
        to = addresses.get(municipality.id or 0, [])
        if not to:
            missing.append(municipality.name)
            continue
        url = link(invitation, secret_key=secret, base_url=settings.base_url)
        messages.append(
            mail.invitation(settings=settings, to=to, municipality=municipality, round_=round_, link=url)
        )
    mail.send(settings, messages)  # before the write lock: SMTP may be slow
    begin_write(session)
    audit.record(
        session,
        actor=actor,
        action="invitations.send",
        object_type="round",
        object_id=round_.id,
        details={"sent": len(messages), "without_address": missing},
    )
    session.commit()
    return Sent(len(messages), missing)
