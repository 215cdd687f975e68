"""The knowledge base: each municipality's settlement history and register figures, per year.

``knowledge_for_year`` is what a recommendation scenario is built from; ``history_view`` what a
municipality's page shows; ``overview`` what the knowledge base holds; ``record_recommendation`` writes the
county's final numbers into the history. Importing files (with a preview) is in ``knowledge_import``.

Rows stored under an older or newer kommunenummer (3001 and 3101 are both Halden) are read as the
register's number, through the same successor table the imports use
(``survey_app/data/kommunenummer_2024.csv``, see docs/knowledge-base.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from sqlmodel import Session, col, select

from analysis.kommunenummer import number_mapper, read_successors
from survey_app import audit
from survey_app.dates import format_date
from survey_app.db import begin_write
from survey_app.models import Municipality, RegisterValue, SettlementHistory, utcnow
from survey_app.services import register
from survey_app.services.knowledge_chart import HistoryChart, history_chart

# Viken's 2020–2023 numbers and their 2024 successors: a copy of the shared successor table.
SUCCESSORS_FILE = Path(__file__).resolve().parent.parent / "data" / "kommunenummer_2024.csv"
POPULATION = "befolkning"
HISTORY_LABELS = {
    "recommended": "Anbefalt",
    "requested": "Anmodet",
    "requested_minors": "Anmodet, herav EMA",
    "decided": "Vedtatt",
    "decided_minors": "Vedtatt, herav EMA",
    "decision_years": "Vedtaket gjelder",
    "settled": "Bosatt",
    "settled_minors": "Bosatt, herav EMA",
}
SHARE_YEARS = 3  # settled against decided over this many years before the settlement year


@lru_cache(maxsize=1)
def successors() -> dict[str, str]:
    """The shipped successor table: old kommunenummer → new."""
    return read_successors(SUCCESSORS_FILE.read_text(encoding="utf-8"))


def register_names(session: Session) -> dict[str, str]:
    """The register's municipalities: kommunenummer → name."""
    return {m.kommunenummer: m.name for m in session.exec(select(Municipality))}


def to_register(register_numbers: Iterable[str]) -> Callable[[str], str | None]:
    """Map a number from a file, or one stored under an older number, to the register's; None if none."""
    return number_mapper(register=set(register_numbers), successors=successors())


def _stored_as(
    session: Session, numbers: Iterable[str], model: type[SettlementHistory] | type[RegisterValue]
) -> dict[str, str]:
    """Every kommunenummer stored in ``model``'s table → the register number it belongs to."""
    mapper = to_register(numbers)
    stored = session.exec(select(model.kommunenummer).distinct()).all()
    return {n: target for n in stored if (target := mapper(n)) is not None}


def _read_in(source: str, at: datetime) -> str:
    return f"{source or 'ukjent kilde'}, lest inn {format_date(at)}"


def _source(what: str, source: str, at: datetime) -> str:
    return f"{what}: {_read_in(source, at)}"


# --- what a recommendation is built from -------------------------------------------------------------


@dataclass(frozen=True)
class KnowledgeRow:
    """What the knowledge base knows about one municipality for the settlement ``year`` asked about.

    ``last_request`` is IMDi's request for the year before (None: unknown); ``decision`` the council's
    decision for the year itself; ``population`` the latest population (SSB 07459) of a year up to the
    year; ``settled_share`` the sum settled over the sum decided in the three years before the year,
    counting the years where both are known (None: no such year, or nothing decided); ``indicators`` the
    latest value up to the year of every other register indicator (None: no value); ``sources`` where
    those figures come from, with the date they were read in (for the recommendation's «Kilder»).
    """

    kommunenummer: str
    name: str
    region: str
    last_request: int | None
    last_request_minors: int | None
    decision: int | None
    decision_minors: int | None
    population: float | None
    settled_share: float | None
    indicators: dict[str, float | None] = field(default_factory=dict)
    sources: tuple[str, ...] = ()


def knowledge_for_year(session: Session, *, year: int) -> dict[str, KnowledgeRow]:
    """The knowledge base's figures for settlement ``year``, for every municipality in the register."""
    municipalities = list(session.exec(select(Municipality).order_by(col(Municipality.name))))
    numbers = [m.kommunenummer for m in municipalities]
    regions = register.region_names(session, [m.id for m in municipalities if m.id is not None])
    history_as = _stored_as(session, numbers, SettlementHistory)
    history: dict[tuple[str, int], SettlementHistory] = {}
    rows = session.exec(
        select(SettlementHistory).where(
            col(SettlementHistory.year) >= year - SHARE_YEARS, col(SettlementHistory.year) <= year
        )
    )
    for row in sorted(rows, key=lambda r: history_as.get(r.kommunenummer) == r.kommunenummer):
        # An exact number wins over one mapped from a predecessor (sorted last, so it overwrites).
        if row.kommunenummer in history_as:
            history[(history_as[row.kommunenummer], row.year)] = row
    values_as = _stored_as(session, numbers, RegisterValue)
    latest: dict[tuple[str, str], RegisterValue] = {}
    indicators: set[str] = set()
    for value in session.exec(select(RegisterValue).where(col(RegisterValue.year) <= year)):
        indicators.add(value.indicator)
        target = values_as.get(value.kommunenummer)
        if target is None:
            continue
        key = (target, value.indicator)
        if key not in latest or latest[key].year < value.year:
            latest[key] = value
    others = sorted(indicators - {POPULATION})
    out: dict[str, KnowledgeRow] = {}
    for m in municipalities:
        number = m.kommunenummer
        last, now = history.get((number, year - 1)), history.get((number, year))
        settled = decided = 0
        used = [r for r in (last, now) if r is not None]
        for past in range(year - SHARE_YEARS, year):
            earlier = history.get((number, past))
            if earlier is not None and earlier.settled is not None and earlier.decided is not None:
                settled, decided = settled + earlier.settled, decided + earlier.decided
                used.append(earlier)
        population = latest.get((number, POPULATION))
        figures = {i: latest.get((number, i)) for i in others}
        sources = [_source("Bosettingshistorikk", r.source, r.imported_at) for r in used]
        sources += [
            _source(
                f"{v.label} (SSB-tabell {v.table_id})" if v.table_id else v.label, v.source, v.imported_at
            )
            for v in [population, *figures.values()]
            if v is not None
        ]
        out[number] = KnowledgeRow(
            kommunenummer=number,
            name=m.name,
            region=" / ".join(regions.get(m.id or 0, [])),
            last_request=last.requested if last else None,
            last_request_minors=last.requested_minors if last else None,
            decision=now.decided if now else None,
            decision_minors=now.decided_minors if now else None,
            population=population.value if population else None,
            settled_share=settled / decided if decided else None,
            indicators={i: v.value if v else None for i, v in figures.items()},
            sources=tuple(dict.fromkeys(sources)),
        )
    return out


def knowledge_sources(session: Session, *, year: int) -> list[str]:
    """Every source behind ``knowledge_for_year(year)``, once each, with the date it was read in."""
    found = knowledge_for_year(session, year=year)
    return list(dict.fromkeys(s for row in found.values() for s in row.sources))


def indicator_labels(session: Session) -> dict[str, str]:
    """Each register indicator's Norwegian name (the newest import's)."""
    labels: dict[str, str] = {}
    for indicator, label in session.exec(
        select(RegisterValue.indicator, RegisterValue.label).order_by(col(RegisterValue.imported_at))
    ):
        labels[indicator] = label
    return labels


def record_recommendation(
    session: Session, *, year: int, numbers: Mapping[str, int], actor: str, commit: bool = True
) -> None:
    """Write a final recommendation's numbers into ``recommended`` for ``year``, creating rows as needed;
    audited (``knowledge.recommendation_recorded``). A number under an older or newer kommunenummer lands
    on the register's. With ``commit=False`` it joins the caller's write transaction, which commits."""
    if any(n < 0 for n in numbers.values()):
        raise ValueError("a recommended number is never negative")
    if commit:
        begin_write(session)
    mapper = to_register(register_names(session))
    stored = {
        r.kommunenummer: r
        for r in session.exec(select(SettlementHistory).where(SettlementHistory.year == year))
    }
    now = utcnow()
    for number, recommended in numbers.items():
        target = mapper(number) or number
        row = stored.get(target) or SettlementHistory(kommunenummer=target, year=year)
        stored[target] = row
        row.recommended = recommended
        row.source, row.imported_at = f"Fylkets endelige anbefaling for {year}", now
        session.add(row)
    audit.record(
        session,
        actor=actor,
        action="knowledge.recommendation_recorded",
        object_type="knowledge",
        object_id=year,
        details={"year": year, "municipalities": len(numbers), "total": sum(numbers.values())},
    )
    if commit:
        session.commit()


# --- one municipality ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryYear:
    """One year of a municipality's settlement history, with its population that year (or the nearest year
    with a figure) for the number settled per 1,000 inhabitants."""

    year: int
    recommended: int | None
    requested: int | None
    requested_minors: int | None
    decided: int | None
    decided_minors: int | None
    decision_years: str
    settled: int | None
    settled_minors: int | None
    population: float | None
    source: str
    imported_at: datetime

    @property
    def settled_per_1000(self) -> float | None:
        if self.settled is None or not self.population:
            return None
        return self.settled / self.population * 1000


@dataclass(frozen=True)
class IndicatorValues:
    """One register indicator's values for a municipality, by year."""

    indicator: str
    label: str
    table_id: str
    values: dict[int, float]
    sources: tuple[str, ...]


@dataclass(frozen=True)
class HistoryView:
    """What a municipality's page shows of the knowledge base: its history, as a table and a chart, and its
    register figures."""

    kommunenummer: str
    name: str
    years: list[HistoryYear]
    chart: HistoryChart
    indicators: list[IndicatorValues]
    figure_years: list[int]  # the years that have register figures, oldest first


def _numbers_of(
    session: Session, kommunenummer: str, model: type[SettlementHistory] | type[RegisterValue]
) -> list[str]:
    """The stored numbers that belong to this municipality, its own first."""
    numbers = set(register_names(session)) | {kommunenummer}
    found = [n for n, target in _stored_as(session, numbers, model).items() if target == kommunenummer]
    return sorted(found, key=lambda n: n != kommunenummer)


def register_figures_for(session: Session, *, kommunenummer: str) -> list[IndicatorValues]:
    """Every register indicator's values for one municipality, by year."""
    numbers = _numbers_of(session, kommunenummer, RegisterValue)
    grouped: dict[str, list[RegisterValue]] = {}
    rows = session.exec(
        select(RegisterValue)
        .where(col(RegisterValue.kommunenummer).in_(numbers))
        .order_by(col(RegisterValue.indicator), col(RegisterValue.year))
    )
    for row in rows:
        grouped.setdefault(row.indicator, []).append(row)
    out = []
    for indicator, values in grouped.items():
        newest = max(values, key=lambda v: v.imported_at)
        by_year: dict[int, float] = {}
        for v in sorted(values, key=lambda v: v.kommunenummer != kommunenummer, reverse=True):
            by_year[v.year] = v.value
        sources = tuple(dict.fromkeys(_source(newest.label, v.source, v.imported_at) for v in values))
        out.append(
            IndicatorValues(indicator, newest.label, newest.table_id, dict(sorted(by_year.items())), sources)
        )
    # Population first, then by name.
    return sorted(out, key=lambda i: (i.indicator != POPULATION, i.label))


def _population(values: Mapping[int, float], year: int) -> float | None:
    before = [y for y in values if y <= year]
    if before:
        return values[max(before)]
    return values[min(values)] if values else None


def history_for(session: Session, *, kommunenummer: str) -> list[HistoryYear]:
    """All years of one municipality's settlement history, oldest first, with settled per 1,000 inhabitants
    where the population is known."""
    numbers = _numbers_of(session, kommunenummer, SettlementHistory)
    rows: dict[int, SettlementHistory] = {}
    for row in session.exec(
        select(SettlementHistory).where(col(SettlementHistory.kommunenummer).in_(numbers))
    ):
        if row.year not in rows or row.kommunenummer == kommunenummer:
            rows[row.year] = row
    population = next(
        (
            i.values
            for i in register_figures_for(session, kommunenummer=kommunenummer)
            if i.indicator == POPULATION
        ),
        {},
    )
    return [
        HistoryYear(
            year=year,
            recommended=row.recommended,
            requested=row.requested,
            requested_minors=row.requested_minors,
            decided=row.decided,
            decided_minors=row.decided_minors,
            decision_years=row.decision_years,
            settled=row.settled,
            settled_minors=row.settled_minors,
            population=_population(population, year),
            source=row.source,
            imported_at=row.imported_at,
        )
        for year, row in sorted(rows.items())
    ]


def settled_by_year(
    session: Session, *, numbers: Iterable[str], years: Sequence[int]
) -> dict[str, list[tuple[int, int | None]]]:
    """The number settled in each of ``years`` for each register municipality in ``numbers`` (None:
    unknown), in one query; a row under the register's own number wins over one under an older number."""
    wanted = list(numbers)
    stored_as = _stored_as(session, wanted, SettlementHistory)
    found: dict[tuple[str, int], SettlementHistory] = {}
    query = select(SettlementHistory).where(col(SettlementHistory.year).in_(list(years)))
    for row in sorted(session.exec(query), key=lambda r: stored_as.get(r.kommunenummer) == r.kommunenummer):
        if row.kommunenummer in stored_as:
            found[(stored_as[row.kommunenummer], row.year)] = row
    return {
        n: [(y, (r.settled if (r := found.get((n, y))) is not None else None)) for y in years] for n in wanted
    }


def history_view(session: Session, *, kommunenummer: str) -> HistoryView:
    """A municipality's history (table and chart) and register figures, for its page."""
    years = history_for(session, kommunenummer=kommunenummer)
    indicators = register_figures_for(session, kommunenummer=kommunenummer)
    figure_years = sorted({y for i in indicators for y in i.values})
    name = register_names(session).get(kommunenummer, kommunenummer)
    return HistoryView(kommunenummer, name, years, history_chart(years), indicators, figure_years)


# --- the whole knowledge base ------------------------------------------------------------------------


@dataclass(frozen=True)
class YearSummary:
    """One settlement year across the county: how many municipalities have each figure, and the sums."""

    year: int
    municipalities: int
    recommended: int | None
    requested: int | None
    decided: int | None
    settled: int | None


@dataclass(frozen=True)
class IndicatorSummary:
    indicator: str
    label: str
    table_id: str
    years: list[int]
    municipalities: int
    sources: list[str]


@dataclass(frozen=True)
class KnowledgeOverview:
    years: list[YearSummary]
    indicators: list[IndicatorSummary]
    history_sources: list[str]
    municipalities: list[Municipality]


def _sum(values: list[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def overview(session: Session) -> KnowledgeOverview:
    """Which years and indicators the knowledge base holds, with counts and sums per year."""
    by_year: dict[int, list[SettlementHistory]] = {}
    sources: dict[str, None] = {}
    for row in session.exec(select(SettlementHistory).order_by(col(SettlementHistory.imported_at))):
        by_year.setdefault(row.year, []).append(row)
        sources[_source("Bosettingshistorikk", row.source, row.imported_at)] = None
    years = [
        YearSummary(
            year,
            len(rows),
            _sum([r.recommended for r in rows]),
            _sum([r.requested for r in rows]),
            _sum([r.decided for r in rows]),
            _sum([r.settled for r in rows]),
        )
        for year, rows in sorted(by_year.items())
    ]
    grouped: dict[str, list[RegisterValue]] = {}
    for value in session.exec(select(RegisterValue).order_by(col(RegisterValue.imported_at))):
        grouped.setdefault(value.indicator, []).append(value)
    indicators = []
    for indicator, values in sorted(grouped.items(), key=lambda kv: (kv[0] != POPULATION, kv[0])):
        newest = values[-1]
        indicators.append(
            IndicatorSummary(
                indicator,
                newest.label,
                newest.table_id,
                sorted({v.year for v in values}),
                len({v.kommunenummer for v in values}),
                list(dict.fromkeys(_read_in(v.source, v.imported_at) for v in values)),
            )
        )
    municipalities = list(session.exec(select(Municipality).order_by(col(Municipality.name))))
    return KnowledgeOverview(years, indicators, list(sources), municipalities)
