"""Following up a round: where each municipality stands, by region, and reminders to those not done."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from survey_app import audit
from survey_app.config import Settings
from survey_app.db import begin_write
from survey_app.models import (
    Invitation,
    Municipality,
    MunicipalityContact,
    MunicipalityRegion,
    Region,
    Response,
    ResponseStatus,
    Round,
    utcnow,
)
from survey_app.questionnaires import QuestionnaireDef
from survey_app.services import invitations, mail
from survey_app.services.catalog import round_definition
from survey_app.services.register import contact_addresses, region_names
from survey_app.services.responses import Progress
from survey_app.services.snapshots import snapshots

STATUSES = [s.value for s in ResponseStatus]
NO_REGION = "Uten region"  # a municipality in no regional council (Asker, Bærum, Aremark in Viken)
NOT_DONE = {ResponseStatus.not_started, ResponseStatus.in_progress, ResponseStatus.reopened}


@dataclass(frozen=True)
class Line:
    """One municipality in the round's follow-up table."""

    response: Response
    municipality: Municipality
    regions: list[str]
    progress: Progress
    contacts: int

    @property
    def region(self) -> str:
        return self.regions[0] if self.regions else ""


@dataclass
class StatusTally:
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def count(self, status: str) -> int:
        return self.counts[status]

    def share(self, status: str) -> float:
        return self.counts[status] / self.total if self.total else 0.0


@dataclass(frozen=True)
class Dashboard:
    round: Round
    definition: QuestionnaireDef
    lines: list[Line]
    overall: StatusTally
    by_region: dict[str, StatusTally]


def round_regions(session: Session, round_id: int) -> list[str]:
    """The regions of the municipalities in a round, for filters."""
    return list(
        session.exec(
            select(Region.name)
            .join(MunicipalityRegion, col(MunicipalityRegion.region_id) == col(Region.id))
            .join(Response, col(Response.municipality_id) == col(MunicipalityRegion.municipality_id))
            .where(Response.round_id == round_id)
            .distinct()
            .order_by(Region.name)
        )
    )


def dashboard(
    session: Session, *, round_: Round, region: str | None = None, status: str | None = None
) -> Dashboard:
    """Every municipality of the round with its status and progress; tallies overall and by region.

    A handful of queries whatever the number of municipalities: responses, regions, contacts, and the
    answers of the responses changed since this process last read them (services/snapshots.py).
    """
    definition = round_definition(session, round_)
    pairs = session.exec(
        select(Response, Municipality)
        .join(Municipality, col(Municipality.id) == col(Response.municipality_id))
        .where(Response.round_id == round_.id)
        .order_by(col(Municipality.kommunenummer))
    ).all()
    assert round_.id is not None
    kept = snapshots(session, round_id=round_.id, definition=definition, responses=[r for r, _ in pairs])
    contacts = Counter(session.exec(select(MunicipalityContact.municipality_id)).all())
    regions = region_names(session, [m.id for _, m in pairs if m.id is not None])
    overall = StatusTally()
    by_region: defaultdict[str, StatusTally] = defaultdict(StatusTally)
    lines = []
    for response, municipality in pairs:
        assert response.id is not None and municipality.id is not None
        line = Line(
            response,
            municipality,
            regions.get(municipality.id, []),
            kept[response.id].progress,
            contacts[municipality.id],
        )
        overall.counts[response.status.value] += 1
        for name in line.regions or [NO_REGION]:
            by_region[name].counts[response.status.value] += 1
        if region and region not in (line.regions or [NO_REGION]):
            continue
        if status and response.status.value != status:
            continue
        lines.append(line)
    return Dashboard(round_, definition, lines, overall, dict(sorted(by_region.items())))


@dataclass(frozen=True)
class ReminderResult:
    sent: int
    without_address: list[str]
    not_configured: bool


def send_reminders(
    session: Session,
    *,
    round_: Round,
    settings: Settings,
    actor: str,
    municipality_ids: list[int] | None = None,
) -> ReminderResult:
    """E-mail a reminder with the invitation link to each municipality that has not submitted.

    Without SMTP settings nothing is sent and the result says so; the caller offers the link list instead.
    """
    if not mail.configured(settings):
        return ReminderResult(0, [], True)
    query = (
        select(Response, Municipality, Invitation)
        .join(Municipality, col(Municipality.id) == col(Response.municipality_id))
        .join(
            Invitation,
            (col(Invitation.round_id) == col(Response.round_id))
            & (col(Invitation.municipality_id) == col(Response.municipality_id)),
        )
        .where(
            Response.round_id == round_.id,
            col(Response.status).in_(list(NOT_DONE)),
            col(Invitation.revoked_at).is_(None),
        )
    )
    if municipality_ids is not None:
        query = query.where(col(Municipality.id).in_(municipality_ids))
    rows = session.exec(query.order_by(col(Municipality.kommunenummer))).all()
    addresses = contact_addresses(session)
    messages, reminded, missing = [], [], []
    for response, municipality, invitation in rows:
        assert municipality.id is not None
        to = addresses.get(municipality.id, [])
        if not to:
            missing.append(municipality.name)
            continue
        link = invitations.link(
            invitation, secret_key=settings.resolved_secret_key(), base_url=settings.base_url
        )
        messages.append(
            mail.reminder(settings=settings, to=to, municipality=municipality, round_=round_, link=link)
        )
        reminded.append(response)
    # Send before taking the write lock: an SMTP server may be slow, and the database must not wait for it.
    mail.send(settings, messages)
    begin_write(session)
    now: datetime = utcnow()
    for response in reminded:
        session.refresh(response)
        response.last_reminded_at = now
    audit.record(
        session,
        actor=actor,
        action="reminder.send",
        object_type="round",
        object_id=round_.id,
        details={"sent": len(reminded), "without_address": missing},
    )
    session.commit()
    return ReminderResult(len(reminded), missing, False)
