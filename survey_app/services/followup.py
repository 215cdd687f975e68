"""Following up a round: where each municipality stands, by region, and reminders to those not done."""

from __future__ import annotations

import enum
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable
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
    utcnow,
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


class SortKey(enum.StrEnum):
    """The follow-up table's sortable columns, as the page's URL names them (``?sorter=-lagret``)."""

    nr = "nr"
    kommune = "kommune"
    region = "region"
    status = "status"
    besvart = "besvart"
    lagret = "lagret"


@dataclass(frozen=True)
class Sort:
    """How the follow-up table is ordered: by kommunenummer unless the adviser chose a column."""

    key: SortKey = SortKey.nr
    descending: bool = False

    @classmethod
    def parse(cls, text: str | None) -> Sort:
        """``kommune`` or ``-kommune`` (descending); anything else is the default order."""
        text = text or ""
        descending = text.startswith("-")
        try:
            return cls(SortKey(text.removeprefix("-")), descending)
        except ValueError:
            return cls()

    def param(self, key: SortKey) -> str:
        """The ``sorter`` value of ``key``'s column header: the opposite direction when already sorted by it."""
        return f"-{key}" if key == self.key and not self.descending else str(key)

    def aria(self, key: SortKey) -> str:
        """The header's ``aria-sort``."""
        if key != self.key:
            return "none"
        return "descending" if self.descending else "ascending"

    @property
    def chosen(self) -> bool:
        """Whether the adviser chose this order: the default is left out of the page's addresses."""
        return self != Sort()

    def __str__(self) -> str:
        return f"-{self.key}" if self.descending else str(self.key)


# Where an answer is on its way: the order a status column sorts in.
STATUS_ORDER = {
    s: i
    for i, s in enumerate(
        [
            ResponseStatus.not_started,
            ResponseStatus.in_progress,
            ResponseStatus.reopened,
            ResponseStatus.submitted,
        ]
    )
}
# æ, ø, å after z, as the Norwegian alphabet has them (code points put å first, and decomposed, as a);
# ä and ö as æ and ø. Other accents are dropped: «Bø» is not «Bo», but «Lérdal» sorts as «Lerdal».
_NORWEGIAN = str.maketrans({"æ": "\uffe0", "ä": "\uffe0", "ø": "\uffe1", "ö": "\uffe1", "å": "\uffe2"})


def norwegian(text: str) -> str:
    """A sort key that orders names as a Norwegian reader expects: «Ål» after «Øvre Eiker»."""
    decomposed = unicodedata.normalize(
        "NFD", unicodedata.normalize("NFC", text).casefold().translate(_NORWEGIAN)
    )
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _share(line: Line) -> tuple[float, int]:
    progress = line.progress
    return (progress.answered / progress.total if progress.total else 0.0, progress.answered)


_SORT_VALUES: dict[SortKey, Callable[[Line], object]] = {
    SortKey.nr: lambda line: line.municipality.kommunenummer,
    SortKey.kommune: lambda line: norwegian(line.municipality.name),
    SortKey.region: lambda line: norwegian(line.region) if line.regions else None,
    SortKey.status: lambda line: STATUS_ORDER[line.response.status],
    SortKey.besvart: _share,
    SortKey.lagret: lambda line: line.response.last_saved_at,
}


def sort_lines(lines: list[Line], sort: Sort) -> list[Line]:
    """The lines in ``sort``'s order; ties keep the kommunenummer order, and what has no value (no region,
    never saved) comes last either way."""
    value = _SORT_VALUES[sort.key]
    known = [line for line in lines if value(line) is not None]
    unknown = [line for line in lines if value(line) is None]
    # Python's sort is stable, also reversed: ties stay in kommunenummer order.
    known.sort(key=value, reverse=sort.descending)  # type: ignore[arg-type]
    return known + unknown


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
    session: Session,
    *,
    round_: Round,
    region: str | None = None,
    status: str | None = None,
    sort: Sort | None = None,
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
    lines = sort_lines(lines, sort or Sort())
    return Dashboard(round_, definition, lines, overall, dict(sorted(by_region.items())), mail_counts)


def without_working_link(session: Session, *, round_id: int) -> int:
    """How many municipalities that have not submitted hold no link that works: revoked, or expired."""
    query = (
        select(Invitation.id)
        .join(
            Response,
            (col(Response.round_id) == col(Invitation.round_id))
            & (col(Response.municipality_id) == col(Invitation.municipality_id)),
        )
        .where(
            Invitation.round_id == round_id,
            col(Response.status).in_(list(NOT_DONE)),
            col(Invitation.revoked_at).is_not(None) | (col(Invitation.expires_at) <= utcnow()),
        )
    )
    return len(session.exec(query).all())


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
