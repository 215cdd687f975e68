"""A scenario as the county hands it on: the workbook and the case documents, with sources and history."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Literal

from sqlmodel import Session

from analysis.settlement import Recommendation
from survey_app.dates import OSLO
from survey_app.documents import CaseDocument, MunicipalityLine, OverrideLine, RegionLine, SourceLine
from survey_app.models import Scenario, utcnow
from survey_app.scenario_data import OverrideRecord
from survey_app.services import knowledge
from survey_app.services.recommendation.output import (
    Settled,
    date_text,
    method_paragraphs,
    rule_lines,
    to_xlsx,
)
from survey_app.services.recommendation.scenarios import scenario_rules, survey_warnings

Source = tuple[str, str, date | None]


def sources_of(scenario: Scenario) -> list[Source]:
    """Where the scenario's figures come from, with dates."""
    imported = scenario.figures_imported_at.astimezone(OSLO).date()
    # The date is when the figures were copied into the scenario; each text says when its file was read in.
    return [
        ("Tall per kommune", scenario.figures_source or "ukjent", imported),
        *(("Kunnskapsgrunnlaget", source, imported) for source in scenario.sources),
        (
            "Integreringsindeks og parametere",
            scenario.index_source or "ikke brukt",
            imported if scenario.index_source else None,
        ),
    ]


def settled_history(session: Session, scenario: Scenario, years: int = 3) -> Settled:
    """The numbers settled in each municipality in the ``years`` before the scenario's year (none known: {})."""
    if scenario.year is None:
        return {}
    return knowledge.settled_by_year(
        session,
        numbers=[row.kommunenummer for row in scenario.figures],
        years=list(range(scenario.year - years, scenario.year)),
    )


def scenario_xlsx(session: Session, *, scenario: Scenario, result: Recommendation) -> bytes:
    overrides = [
        [k, o.number, o.reason, o.by, date_text(o.at)] for k, o in sorted(scenario.overrides.items())
    ]
    return to_xlsx(
        result,
        scenario_rules(scenario),
        sources=[
            (label, text, "" if when is None else when.strftime("%d.%m.%Y"))
            for label, text, when in sources_of(scenario)
        ],
        overrides=overrides,
        settled=settled_history(session, scenario),
    )


def case_document(
    result: Recommendation,
    *,
    county: str,
    title: str,
    year: int,
    overrides: Mapping[str, OverrideRecord],
    sources: Sequence[Source],
    settled: Settled,
    survey_columns: Sequence[str],
    prepared_by: str,
    malform: Literal["nb", "nn"] = "nb",
    is_final: bool = False,
) -> CaseDocument:
    """The saksframlegg's and the letter's content, from a computed recommendation."""
    names = {a.kommunenummer: a.name for a in result.allocations}
    return CaseDocument(
        county=county,
        title=title,
        year=year,
        total=result.total,
        minors=result.minors,
        last_total=result.last_total,
        factor=result.factor,
        method=tuple(method_paragraphs(result)),
        rules=tuple(rule_lines(result.rules)),
        lines=tuple(
            MunicipalityLine(
                kommunenummer=a.kommunenummer,
                name=a.name,
                region=a.region,
                last_request=a.last_request,
                baseline=a.baseline,
                recommended=a.recommended,
                change=a.change,
                per_1000=a.per_1000,
                decision=a.decision,
                settled=tuple(settled.get(a.kommunenummer, ())),
                minors=a.minors,
                explanation=a.explanation,
            )
            for a in sorted(result.allocations, key=lambda a: a.kommunenummer)
        ),
        regions=tuple(
            RegionLine(r.name or "Uten region", r.last_request, r.recommended, r.change)
            for r in result.regions
        ),
        overrides=tuple(
            OverrideLine(k, names.get(k, k), o.number, o.reason, o.by, o.at or _now())
            for k, o in sorted(overrides.items())
        ),
        sources=tuple(SourceLine(label, text, when) for label, text, when in sources),
        warnings=survey_warnings(result.rules, survey_columns),
        malform=malform,
        prepared_by=prepared_by,
        date=_now().astimezone(OSLO).date(),
        is_final=is_final,
    )


def _now() -> datetime:
    return utcnow()


def scenario_document(
    session: Session,
    *,
    scenario: Scenario,
    result: Recommendation,
    county: str,
    prepared_by: str,
    malform: Literal["nb", "nn"] = "nb",
) -> CaseDocument:
    """A scenario's case document, with the knowledge base's settled numbers of the last three years."""
    return case_document(
        result,
        county=county,
        title=scenario.name,
        year=scenario.year or (scenario.created_at.astimezone(OSLO).year + 1),
        overrides=scenario.overrides,
        sources=sources_of(scenario),
        settled=settled_history(session, scenario),
        survey_columns=scenario.survey_columns,
        prepared_by=prepared_by,
        malform=malform,
        is_final=scenario.is_final,
    )
