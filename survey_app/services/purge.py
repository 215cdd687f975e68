"""Deleting the personal data of old rounds, keeping what the county reports on.

A round's personal data is needed while it runs and while the county follows it up; after that only the
aggregate results are. ``purge`` removes, for every *closed* round whose closing date is before a given
date:

- the name and role of the person who signed off each response (``Response.signed_by_*``),
- the name of the person who last changed each answer (``Answer.updated_by``),
- that signer's name in the audit log (``kommune:3005:Kari`` becomes ``kommune:3005``),
- the contact addresses (``MunicipalityContact``) of municipalities that no other round still needs
  (a draft, open or more recently closed round keeps them; loading the register brings them back).

Answers' values, statuses, timestamps and analysis runs are kept, so every result is computed the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from survey_app import audit
from survey_app.db import begin_write
from survey_app.models import (
    Answer,
    AuditEvent,
    Invitation,
    MailOutbox,
    MunicipalityContact,
    Response,
    Round,
    RoundStatus,
    WebSession,
)


@dataclass(frozen=True)
class PurgedRound:
    id: int
    title: str
    closes_on: date


@dataclass(frozen=True)
class Purge:
    """What a purge removed (or, in a dry run, would remove)."""

    before: date
    dry_run: bool
    rounds: list[PurgedRound] = field(default_factory=list)
    signers: int = 0  # responses whose signer's name and role were removed
    editors: int = 0  # answers whose last editor's name was removed
    audit_actors: int = 0  # audit events whose actor named the signer
    contacts: int = 0  # contact addresses deleted

    def counts(self) -> dict[str, int]:
        return {
            "signers": self.signers,
            "editors": self.editors,
            "audit_actors": self.audit_actors,
            "contacts": self.contacts,
        }


def purge(session: Session, *, before: date, actor: str, dry_run: bool = False) -> Purge:
    """Remove the personal data of closed rounds that closed before ``before``; audited.

    With ``dry_run`` nothing changes and nothing is audited; the counts say what would go.
    """
    begin_write(session)
    rounds = [
        PurgedRound(r.id, r.title, r.closes_on)
        for r in session.exec(
            select(Round)
            .where(Round.status == RoundStatus.closed, col(Round.closes_on) < before)
            .order_by(col(Round.closes_on), col(Round.id))
        )
        if r.id is not None
    ]
    round_ids = [r.id for r in rounds]
    responses = select(Response.id).where(col(Response.round_id).in_(round_ids))

    signed = select(Response).where(
        col(Response.round_id).in_(round_ids),
        sa.or_(col(Response.signed_by_name).is_not(None), col(Response.signed_by_role).is_not(None)),
    )
    edited = sa.and_(col(Answer.response_id).in_(responses), col(Answer.updated_by) != "")
    # The signer's name rides along in the actor of the submit event: "kommune:<nummer>:<navn>".
    named_events = [
        e
        for e in session.exec(
            select(AuditEvent).where(
                AuditEvent.object_type == "response",
                col(AuditEvent.object_id).in_(
                    select(sa.cast(Response.id, sa.String)).where(col(Response.round_id).in_(round_ids))
                ),
                col(AuditEvent.actor).startswith("kommune:"),
            )
        )
        if e.actor.count(":") >= 2
    ]
    still_needed = select(Response.municipality_id).where(col(Response.round_id).not_in(round_ids))
    contacts = sa.and_(
        col(MunicipalityContact.municipality_id).in_(
            select(Response.municipality_id).where(col(Response.round_id).in_(round_ids))
        ),
        col(MunicipalityContact.municipality_id).not_in(still_needed),
    )

    result = Purge(
        before=before,
        dry_run=dry_run,
        rounds=rounds,
        signers=len(session.exec(signed).all()),
        editors=session.exec(select(func.count()).select_from(Answer).where(edited)).one(),
        audit_actors=len(named_events),
        contacts=session.exec(select(func.count()).select_from(MunicipalityContact).where(contacts)).one(),
    )
    if dry_run:
        session.rollback()
        return result

    for response in session.exec(signed).all():
        response.signed_by_name = None
        response.signed_by_role = None
    session.execute(
        sa.update(Answer).where(edited).values(updated_by="").execution_options(synchronize_session=False)
    )
    for event in named_events:
        event.actor = ":".join(event.actor.split(":")[:2])
    session.execute(
        sa.delete(MunicipalityContact).where(contacts).execution_options(synchronize_session=False)
    )
    # The mail to those rounds' contacts (its addresses), and the sessions opened with their links: who typed
    # what name, from which browser and address.
    session.execute(
        sa.delete(MailOutbox)
        .where(col(MailOutbox.round_id).in_(round_ids))
        .execution_options(synchronize_session=False)
    )
    invited = select(Invitation.id).where(col(Invitation.round_id).in_(round_ids))
    session.execute(
        sa.delete(WebSession)
        .where(col(WebSession.invitation_id).in_(invited))
        .execution_options(synchronize_session=False)
    )
    audit.record(
        session,
        actor=actor,
        action="personal_data.purge",
        object_type="database",
        details={"before": before.isoformat(), "rounds": round_ids, **result.counts()},
    )
    session.commit()
    return result
