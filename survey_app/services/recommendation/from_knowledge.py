"""A scenario's figures from the knowledge base: last year's request, decisions, population, register figures.

The same ``Figures`` a CSV gives, so the rest of the recommendation does not care where they came from.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from survey_app.scenario_data import FigureRow
from survey_app.services import knowledge
from survey_app.services.recommendation.figures import POPULATION, Figures, FiguresError

SETTLED_SHARE = "bosatt_av_vedtatt"
LABELS = {
    POPULATION: "Innbyggere",
    SETTLED_SHARE: "Bosatt av vedtatt de tre siste årene (prosent)",
}


@dataclass(frozen=True)
class KnowledgeFigures:
    figures: Figures
    labels: dict[str, str]  # column → Norwegian name
    sources: list[str]  # where the figures come from, with the date each was read in


def figures_for_year(session: Session, *, year: int) -> KnowledgeFigures:
    """Every register municipality's figures for settlement ``year``, or ``FiguresError`` when the
    knowledge base has no requests for the year before."""
    found = knowledge.knowledge_for_year(session, year=year)
    if not any(row.last_request for row in found.values()):
        raise FiguresError(
            [
                f"Kunnskapsgrunnlaget har ingen anmodninger for {year - 1}. Importer bosettingshistorikken "
                "under «Kunnskapsgrunnlag» først, eller bruk en fil med tall per kommune."
            ]
        )
    indicators = sorted({i for row in found.values() for i in row.indicators})
    columns = [POPULATION, SETTLED_SHARE, *indicators]
    rows = [
        FigureRow(
            kommunenummer=row.kommunenummer,
            name=row.name,
            region=row.region,
            last_request=row.last_request or 0,
            decision=row.decision,
            decision_minors=row.decision_minors,
            population=None if row.population is None else round(row.population),
            criteria={
                POPULATION: row.population,
                SETTLED_SHARE: None if row.settled_share is None else round(row.settled_share * 100, 1),
                **row.indicators,
            },
        )
        for row in sorted(found.values(), key=lambda r: r.kommunenummer)
    ]
    labels = {
        **LABELS,
        **{i: label for i, label in knowledge.indicator_labels(session).items() if i in indicators},
    }
    sources = list(dict.fromkeys(s for row in found.values() for s in row.sources))
    return KnowledgeFigures(Figures(rows, columns), labels, sources)
