"""Following up a round: where each municipality stands, by region, and reminders to those not done."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from survey_app.config import Settings
from survey_app.models import (
    Invitation,
    MailKind,
    MailOutbox,
    Municipality,
    MunicipalityContact,
    MunicipalityRegion,
    Region,
    Response,
    ResponseStatus,
    Round,
)
from survey_app.questionnaires import QuestionnaireDef
from survey_app.services import mail, outbox
from survey_app.services.catalog import round_definition
from survey_app.services.register import region_names
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
    mail: MailOutbox | None = None  # the newest invitation or reminder to it, with how it went

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
    # The municipalities' newest messages by status («2 i kø, 1 feilet» above the table).
    mail: Counter[str] = field(default_factory=Counter)


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

    A handful of queries whatever the number of municipalities: responses, regions, contacts, mail, and
    the answers of the responses changed since this process last read them (services/snapshots.py).
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
    mail_of = outbox.latest(session, round_id=round_.id)
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
            mail_of.get(municipality.id),
        )
        overall.counts[response.status.value] += 1
        for name in line.regions or [NO_REGION]:
            by_region[name].counts[response.status.value] += 1
        if region and region not in (line.regions or [NO_REGION]):
            continue
        if status and response.status.value != status:
            continue
        lines.append(line)
    mail_counts = Counter(m.status.value for m in mail_of.values())
    return Dashboard(round_, definition, lines, overall, dict(sorted(by_region.items())), mail_counts)


def send_reminders(
    session: Session,
    *,
    round_: Round,
    settings: Settings,
    actor: str,
    municipality_ids: list[int] | None = None,
) -> outbox.Queued | None:
    """Queue a reminder with the invitation link to each municipality that has not submitted; commits.

    The outbox's sender mails them after the response (services/outbox.py). None when SMTP is not set
    up: nothing is queued, and the caller offers the link list instead.
    """
    if not mail.configured(settings):
        return None
    query = (
        select(Invitation, Municipality)
        .join(Municipality, col(Municipality.id) == col(Invitation.municipality_id))
        .join(
            Response,
            (col(Response.round_id) == col(Invitation.round_id))
            & (col(Response.municipality_id) == col(Invitation.municipality_id)),
        )
        .where(
            Invitation.round_id == round_.id,
            col(Response.status).in_(list(NOT_DONE)),
            col(Invitation.revoked_at).is_(None),
        )
    )
    if municipality_ids is not None:
        query = query.where(col(Municipality.id).in_(municipality_ids))
    targets = session.exec(query.order_by(col(Municipality.kommunenummer))).all()
    return outbox.queue_for(
        session, kind=MailKind.reminder, round_=round_, targets=targets, actor=actor, action="reminder.send"
    )
