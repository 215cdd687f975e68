"""Recommendation scenarios: made from figures, changed, overridden, copied and marked final; audited.

Every change is one transaction with its audit event. A scenario's numbers are computed when they are
shown (``result_of``), from the figures it keeps, so it gives the same numbers tomorrow.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from analysis.settlement import (
    INDEX,
    Infeasible,
    Override,
    Recommendation,
    Rules,
    RulesError,
    recommend,
    with_minors,
)
from analysis.settlement_rules import RulesSpec, load_rules, to_spec
from survey_app import audit
from survey_app.dates import OSLO
from survey_app.db import begin_write
from survey_app.models import AnalysisRun, Round, Scenario, utcnow
from survey_app.scenario_data import FigureRow, OverrideRecord
from survey_app.services import catalog, knowledge
from survey_app.services.recommendation.figures import Figures, check_columns, units
from survey_app.services.recommendation.rules_form import form_values, rules_from_form

SURVEY_WARNING = (
    "Svarene i kommuneundersøkelsen har fått vekt i reglene. Da kan en kommune få færre flyktninger ved å "
    "svare dårligere om egen kapasitet og egne tiltak, og undersøkelsen slutter å være en ærlig dialog. "
    "Bruk dem helst som grunnlag for samtalen med kommunen (vekt 0)."
)


@dataclass(frozen=True)
class ScenarioResult:
    """A scenario's numbers, or why there are none; in a decline year also the numbers without the floor."""

    result: Recommendation | None
    conflicts: list[str]
    # When only the floor rule fails (the total is below last year's sum): the same rules without it.
    without_floor: Recommendation | None = None
    warnings: tuple[str, ...] = ()


def compute(
    rows: Sequence[FigureRow],
    columns: Sequence[str],
    *,
    total: int,
    rules: Rules,
    overrides: Mapping[str, OverrideRecord] | None = None,
    minors: int | None = None,
) -> Recommendation:
    """The recommendation (and of it, ``minors`` unaccompanied minors), or ``Infeasible``/``RulesError``."""
    check_columns(rules, columns)
    chosen = {k: Override(o.number, o.reason) for k, o in (overrides or {}).items()}
    result = recommend(units(rows), total=total, rules=rules, overrides=chosen)
    if minors is None:
        return result
    return with_minors(result, {r.kommunenummer: r.decision_minors for r in rows}, total=minors)


def survey_warnings(rules: Rules, survey_columns: Sequence[str]) -> tuple[str, ...]:
    """A plain warning when the survey's own answers are given weight."""
    return (SURVEY_WARNING,) if any(c.column in survey_columns for c in rules.weighted) else ()


def result_of(scenario: Scenario) -> ScenarioResult:
    """The scenario's numbers, or the reasons there are none (and, in a decline year, the alternative)."""
    return preview(
        scenario, total=scenario.total, minors=scenario.minors_total, rules=scenario_rules(scenario)
    )


def preview(scenario: Scenario, *, total: int, minors: int | None, rules: Rules) -> ScenarioResult:
    """The scenario's numbers under another total and rules, saved nowhere: the what-if as the adviser
    types, before they choose to save it here or as a new scenario."""
    warnings = survey_warnings(rules, scenario.survey_columns)

    def run(chosen: Rules) -> Recommendation:
        return compute(
            scenario.figures,
            scenario.criteria_columns,
            total=total,
            rules=chosen,
            overrides=scenario.overrides,
            minors=minors,
        )

    try:
        return ScenarioResult(run(rules), [], warnings=warnings)
    except Infeasible as error:
        alternative = None
        if error.floor_rule:
            try:
                alternative = run(dataclasses.replace(rules, last_year_floor=False))
            except (Infeasible, RulesError):
                alternative = None
        return ScenarioResult(None, error.conflicts, alternative, warnings)
    except RulesError as error:
        return ScenarioResult(None, [str(error)], warnings=warnings)


def is_unsaved(scenario: Scenario, *, total: int, minors: int | None, rules: Rules) -> bool:
    """Whether a total and rules differ from what the scenario keeps, as its page shows it: the page lists
    every criterion column, so one it shows with weight 0 is the same as one the saved rules leave out."""
    saved = scenario_rules(scenario)
    columns = scenario.criteria_columns
    shown = rules_from_form(
        form_values(scenario.total, scenario.minors_total, saved, columns),
        columns,
        scenario.criteria_labels,
        saved,
    ).rules
    if (scenario.total, scenario.minors_total) != (total, minors):
        return True
    return to_spec(rules) not in (scenario.rules, to_spec(shown or saved))


def scenario_rules(scenario: Scenario) -> Rules:
    return scenario.rules.to_rules()


# --- the survey as evidence --------------------------------------------------------------------------


@dataclass
class RoundFigures:
    """A survey round's analysis as criteria: per kommunenummer ``{integreringsindeks, <parameter>: value}``."""

    values: dict[str, dict[str, float | None]]
    labels: dict[str, str]  # parameter id → its Norwegian name
    source: str


def is_survey(session: Session, round_: Round) -> bool:
    """Only a round of a questionnaire with integration parameters (the survey, not the consultation)."""
    return bool(catalog.round_definition(session, round_).parameters)


def survey_rounds(session: Session) -> list[Round]:
    """The analysed rounds that can give the integration index, newest first."""
    analysed = select(AnalysisRun.round_id).distinct()
    rounds = session.exec(
        select(Round).where(col(Round.id).in_(analysed)).order_by(col(Round.year).desc(), col(Round.id))
    )
    return [r for r in rounds if is_survey(session, r)]


def index_from_round(session: Session, round_id: int) -> RoundFigures | None:
    """Each municipality's integration index and parameters from a survey round's latest analysis."""
    run = session.exec(
        select(AnalysisRun).where(AnalysisRun.round_id == round_id).order_by(col(AnalysisRun.id).desc())
    ).first()
    round_ = session.get(Round, round_id)
    if run is None or round_ is None:
        return None
    if not is_survey(session, round_):
        raise RulesError(
            "Bare runder av kommuneundersøkelsen kan gi integreringsindeks og parametere; konsultasjonen kan ikke."
        )
    values = {
        u.kommunenummer: {
            INDEX: u.index,
            **{p: v.value for p, v in u.parameters.items()},
        }
        for u in run.results.units.values()
    }
    labels = {p: v.label for p, v in run.results.parameters.items()}
    when = run.created_at.astimezone(OSLO).strftime("%d.%m.%Y kl. %H.%M")
    return RoundFigures(
        values, labels, f"Integreringsindeks og parametere fra analysen av «{round_.title}», kjørt {when}"
    )


# --- storage -------------------------------------------------------------------------------------------


def create_scenario(
    session: Session,
    *,
    name: str,
    total: int,
    figures: Figures,
    figures_source: str,
    round_id: int | None,
    actor: str,
    rules: Rules | None = None,
    year: int | None = None,
    minors: int | None = None,
    labels: Mapping[str, str] | None = None,
    sources: Sequence[str] = (),
) -> Scenario:
    """A new scenario from figures; with a survey round, the index and parameters come from its analysis.

    ``labels`` names the figures' columns in Norwegian; ``sources`` says where they came from, with dates.
    """
    begin_write(session)
    rows = list(figures.rows)
    columns = list(figures.criteria_columns)
    names = dict(labels or {})
    index_source = ""
    survey = [INDEX] if INDEX in columns else []
    if round_id is not None:
        found = index_from_round(session, round_id)
        if found is None:
            raise RulesError("Runden har ingen analyse ennå. Kjør analysen først, eller velg ingen runde.")
        index_source = found.source
        names.update(found.labels)
        from_round = sorted({p for v in found.values.values() for p in v} - {INDEX})
        rows = [
            r.model_copy(
                update={
                    "criteria": {
                        **r.criteria,
                        **{c: found.values.get(r.kommunenummer, {}).get(c) for c in (INDEX, *from_round)},
                    }
                }
            )
            for r in rows
        ]
        survey = [INDEX, *from_round]
        columns = [*survey, *(c for c in columns if c not in survey)]
    elif INDEX in columns:
        index_source = f"Integreringsindeks fra filen {figures_source}"
    scenario = Scenario(
        name=name,
        round_id=round_id,
        total=total,
        year=year,
        minors_total=minors,
        rules=to_spec(rules or load_rules()),
        figures=rows,
        criteria_columns=columns,
        criteria_labels=names,
        survey_columns=survey,
        figures_source=figures_source,
        sources=list(sources),
        index_source=index_source,
        created_by=actor,
    )
    details = {
        "name": name,
        "total": total,
        "year": year,
        "municipalities": len(rows),
        "source": figures_source,
    }
    return _add(session, scenario, action="recommendation.create", actor=actor, details=details)


def copy_scenario(
    session: Session,
    *,
    scenario: Scenario,
    name: str,
    actor: str,
    total: int | None = None,
    minors: int | None = None,
    rules: Rules | None = None,
) -> Scenario:
    """A new, named version to try something else on; the original stays as it was.

    With ``rules`` (and ``total``, ``minors``) the copy takes those instead: the rules being edited on the
    page, saved as a new scenario rather than over the one they were edited in.
    """
    begin_write(session)
    edited = rules is not None and total is not None
    if rules is not None and total is not None:
        new_total, new_minors, spec = total, minors, to_spec(rules)
    else:
        new_total, new_minors, spec = scenario.total, scenario.minors_total, scenario.rules
    copy = Scenario(
        name=name,
        round_id=scenario.round_id,
        total=new_total,
        year=scenario.year,
        minors_total=new_minors,
        rules=spec,
        figures=list(scenario.figures),
        criteria_columns=list(scenario.criteria_columns),
        criteria_labels=dict(scenario.criteria_labels),
        survey_columns=list(scenario.survey_columns),
        figures_source=scenario.figures_source,
        figures_imported_at=scenario.figures_imported_at,
        sources=list(scenario.sources),
        index_source=scenario.index_source,
        overrides=dict(scenario.overrides),
        created_by=actor,
    )
    details: dict[str, Any] = {"from": scenario.id, "name": name}
    if edited:
        details.update(total=copy.total, minors=copy.minors_total, rules=_rules_details(copy.rules))
    return _add(session, copy, action="recommendation.copy", actor=actor, details=details)


def _add(
    session: Session, scenario: Scenario, *, action: str, actor: str, details: dict[str, Any]
) -> Scenario:
    session.add(scenario)
    session.flush()
    audit.record(
        session, actor=actor, action=action, object_type="scenario", object_id=scenario.id, details=details
    )
    session.commit()
    return scenario


def update_scenario(
    session: Session, *, scenario: Scenario, total: int, minors: int | None, rules: Rules, actor: str
) -> bool:
    """A new total, number of minors or rules; nothing is written (or audited) when nothing changed.

    Returns whether anything changed, so the page can say «lagret» or «ingen endringer»."""
    begin_write(session)
    session.refresh(scenario)
    spec = to_spec(rules)
    if not is_unsaved(scenario, total=total, minors=minors, rules=rules):
        session.rollback()
        return False
    scenario.total, scenario.minors_total, scenario.rules = total, minors, spec
    details = {"total": total, "minors": minors, "rules": _rules_details(spec)}
    _save(session, scenario, action="recommendation.update", actor=actor, details=details)
    return True


def _rules_details(spec: RulesSpec) -> dict[str, Any]:
    return spec.model_dump(mode="json", exclude={"regional_balanse"})


def set_override(
    session: Session, *, scenario: Scenario, kommunenummer: str, number: int, reason: str, actor: str
) -> None:
    """Fix one municipality's number by hand; the reason is required and goes into its begrunnelse."""
    begin_write(session)
    session.refresh(scenario)
    record = OverrideRecord(number=number, reason=reason, by=actor, at=utcnow())
    scenario.overrides = {**scenario.overrides, kommunenummer: record}
    details = {"kommunenummer": kommunenummer, "number": number, "reason": reason}
    _save(session, scenario, action="recommendation.override", actor=actor, details=details)


def remove_override(session: Session, *, scenario: Scenario, kommunenummer: str, actor: str) -> None:
    begin_write(session)
    session.refresh(scenario)
    if kommunenummer not in scenario.overrides:
        session.rollback()
        return
    scenario.overrides = {k: v for k, v in scenario.overrides.items() if k != kommunenummer}
    details = {"kommunenummer": kommunenummer}
    _save(session, scenario, action="recommendation.override_remove", actor=actor, details=details)


def finalize(session: Session, *, scenario: Scenario, result: Recommendation, actor: str) -> None:
    """Mark this scenario as the county's final recommendation (and no other), and write its numbers into
    the knowledge base for its year."""
    begin_write(session)
    for other in session.exec(select(Scenario).where(col(Scenario.is_final))):
        other.is_final = False
        session.add(other)
    session.refresh(scenario)
    scenario.is_final = True
    if scenario.year is not None:
        knowledge.record_recommendation(
            session,
            year=scenario.year,
            numbers={a.kommunenummer: a.recommended for a in result.allocations},
            actor=actor,
            commit=False,
        )
    details = {"name": scenario.name, "total": scenario.total, "year": scenario.year}
    _save(session, scenario, action="recommendation.finalize", actor=actor, details=details)


def _save(session: Session, scenario: Scenario, *, action: str, actor: str, details: dict[str, Any]) -> None:
    """Store a change to a scenario with its audit event, in one transaction."""
    scenario.updated_at = utcnow()
    session.add(scenario)
    audit.record(
        session, actor=actor, action=action, object_type="scenario", object_id=scenario.id, details=details
    )
    session.commit()
