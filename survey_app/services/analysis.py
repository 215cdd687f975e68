"""Running the analysis of a round and storing it: parameters, index, themes, needs and topics.

The computing is done by the ``analysis`` library; this module feeds it the round's submitted answers,
keeps staff-confirmed theme codings, and stores the result as an ``AnalysisRun`` stamped with the data
snapshot, the code version and the model version, so any figure on a page can be reproduced.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from importlib.metadata import version as package_version
from pathlib import Path

import numpy as np
from sqlmodel import Session, col, func, select

from analysis import parameters as P
from analysis.needs import Need, stated_needs
from analysis.privacy import mask
from analysis.themes import CODES, ThemeClassifier, load_codebook, train
from analysis.topics import discover_topics, poorly_covered
from survey_app import audit, scoring
from survey_app.analysis_data import (
    Benchmark,
    Benchmarks,
    ParameterSummary,
    ParameterValue,
    RunResults,
    SensitivitySummary,
    StatedNeed,
    Topic,
    UnexpressedNeed,
    UnitResult,
)
from survey_app.db import begin_write
from survey_app.models import AnalysisRun, Answer, Response, Round, ThemeCoding, utcnow
from survey_app.question_types import kind_of
from survey_app.questionnaires import QuestionnaireDef
from survey_app.resources import CODEBOOK
from survey_app.services.catalog import round_definition
from survey_app.services.followup import NO_REGION
from survey_app.services.results import SUBMITTED, FreeText, Row, free_texts, load_rows

TRAINING_FILE = "theme_training.jsonl"


# The code that turns answers into results: the analysis library, the scoring rules and this module.
_RESULT_CODE = (Path(P.__file__).parent, Path(scoring.__file__), Path(__file__))


@lru_cache(maxsize=1)
def code_version() -> str:
    """The package version and a digest of the code that computes the results.

    The version alone does not change between releases; the digest does whenever that code does, so two
    runs with the same stamp were computed by the same code.
    """
    digest = hashlib.sha256()
    files = sorted(p for root in _RESULT_CODE for p in ([root] if root.is_file() else root.rglob("*.py")))
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return f"innspill {package_version('innspill')}+{digest.hexdigest()[:12]}"


# --- parameters -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scored:
    """The parameter part of a run's results."""

    parameters: dict[str, ParameterSummary]
    units: dict[str, UnitResult]
    sensitivity: list[SensitivitySummary]
    index: Benchmarks


def _parameters(definition: QuestionnaireDef, rows: Sequence[Row]) -> _Scored:
    rule_map = scoring.rules(definition)
    rules = list(rule_map.values())
    specs = scoring.specs(definition)
    by_unit = {str(r.municipality.id): r for r in rows}
    values = P.compute(
        rules, specs, {u: r.values for u, r in by_unit.items()}, {u: r.shown for u, r in by_unit.items()}
    )
    weights = {s.id: s.weight for s in specs}
    plain = {u: {p: v.value for p, v in params.items()} for u, params in values.items()}
    indexes = {u: P.index(params, weights) for u, params in plain.items()}
    index_ranks = P.ranks(indexes)
    regions: dict[str, list[str]] = defaultdict(list)
    for unit, row in by_unit.items():
        if row.regions:
            regions[row.regions[0]].append(unit)

    def bench(units: Sequence[str], parameter: str | None) -> Benchmark:
        picked = [indexes[u] if parameter is None else plain[u][parameter] for u in units]
        return Benchmark.model_validate(P.benchmark(picked), from_attributes=True)

    def benchmarks(parameter: str | None) -> Benchmarks:
        return Benchmarks(
            county=bench(list(by_unit), parameter),
            regions={name: bench(units, parameter) for name, units in sorted(regions.items())},
        )

    per_parameter = {}
    for spec in specs:
        item_keys = [r.key for r in rules if r.parameter == spec.id]
        matrix = [[P.score_value(rule_map[k], by_unit[u].values.get(k)) for k in item_keys] for u in by_unit]
        spread = benchmarks(spec.id)
        per_parameter[spec.id] = ParameterSummary(
            label=spec.label,
            theme=spec.theme,
            weight=spec.weight,
            min_share=spec.min_share,
            county=spread.county,
            regions=spread.regions,
            reflective=spec.reflective,
            # Alpha asks whether items measure one trait; an index of different facts need not agree.
            alpha=P.cronbach_alpha(matrix) if spec.reflective else None,
            ranks=P.ranks({u: plain[u][spec.id] for u in by_unit}),
            bottom_quartile_cut=P.bottom_quartile_cut([plain[u][spec.id] for u in by_unit]),
        )
    units = {
        u: UnitResult(
            name=row.municipality.name,
            kommunenummer=row.municipality.kommunenummer,
            regions=row.regions,
            index=indexes[u],
            index_rank=index_ranks[u],
            parameters={
                p: ParameterValue.model_validate(v, from_attributes=True) for p, v in values[u].items()
            },
        )
        for u, row in by_unit.items()
    }
    sensitivity = [
        SensitivitySummary(
            parameter=s.parameter,
            factor=s.factor,
            max_shift=s.max_shift,
            moved=sum(1 for c in s.rank_change.values() if c),
        )
        for s in P.sensitivity(plain, weights)
    ]
    return _Scored(per_parameter, units, sensitivity, benchmarks(None))


# --- themes, needs and topics -----------------------------------------------------------------------


def confirmed_codings(session: Session) -> list[tuple[str, list[str]]]:
    """Every staff-confirmed coding, with its (masked) text: the machine learns from these."""
    rows = session.exec(
        select(ThemeCoding, Answer.value)
        .join(
            Answer,
            (col(Answer.response_id) == col(ThemeCoding.response_id))
            & (col(Answer.question_id) == col(ThemeCoding.answer_key)),
        )
        .where(col(ThemeCoding.staff_codes).is_not(None))
    ).all()
    return [(mask(value), list(coding.staff_codes or [])) for coding, value in rows if isinstance(value, str)]


def model_version(confirmed: Sequence[tuple[str, list[str]]]) -> str:
    """Names the theme model: the codebook's content, the staff codings it was trained on, its settings."""
    digest = hashlib.sha256(CODEBOOK.read_bytes())
    digest.update(json.dumps(sorted((t, sorted(c)) for t, c in confirmed), ensure_ascii=False).encode())
    # The settings and the library that fit it: the same data fitted otherwise is another model.
    digest.update(
        f"{ThemeClassifier().get_params()!r} scikit-learn {package_version('scikit-learn')}".encode()
    )
    return f"tema-{digest.hexdigest()[:12]}-{len(confirmed)}"


def classifier(session: Session, data_dir: Path | None = None) -> tuple[ThemeClassifier, str]:
    """The theme model trained on the codebook and every staff-confirmed coding.

    With ``data_dir`` the confirmed codings are also written to ``theme_training.jsonl`` there, the file
    ``python -m analysis themes --data-dir`` reads, so the CLI codes exactly as the app does.
    """
    confirmed = confirmed_codings(session)
    if data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
        with (data_dir / TRAINING_FILE).open("w", encoding="utf-8") as fh:
            for text, codes in confirmed:
                fh.write(json.dumps({"text": text, "themes": codes}, ensure_ascii=False) + "\n")
    return train(load_codebook(CODEBOOK), confirmed), model_version(confirmed)


@dataclass(frozen=True)
class _Coded:
    """The free-text part of a run's results; the unexpressed needs, which need the parameters too, follow."""

    prevalence: dict[str, dict[str, int]]
    needs: list[StatedNeed]
    topics: list[Topic]
    texts: int
    poorly_covered: int


def _themes_needs_topics(
    session: Session, definition: QuestionnaireDef, rows: Sequence[Row], model: ThemeClassifier
) -> _Coded:
    # Long answers carry themes; a short text field holds a job title or a document's name.
    texts = [
        t
        for t in free_texts(definition, rows)
        if kind_of(t.question).carries_themes or t.key != t.question.id
    ]
    masked = [mask(t.text) for t in texts]
    proba = model.predict_proba(masked) if masked else np.zeros((0, len(CODES)))
    predicted = model.codes_from_proba(proba)  # no second pass over the texts
    response_of = {r.municipality.id: r.response.id for r in rows}
    existing = {
        (c.response_id, c.answer_key): c
        for c in session.exec(
            select(ThemeCoding).where(col(ThemeCoding.response_id).in_(list(response_of.values())))
        )
    }
    prevalence: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(CODES, 0))
    found_needs: list[tuple[FreeText, Need]] = []
    for hit, machine, scores in zip(texts, predicted, proba, strict=True):
        response_id = response_of[hit.municipality.id]
        assert response_id is not None
        coding = existing.get((response_id, hit.key))
        if coding is None:
            coding = ThemeCoding(response_id=response_id, answer_key=hit.key)
            session.add(coding)
        if coding.staff_codes is None:
            coding.machine_codes = list(machine)
            coding.machine_scores = {code: round(float(p), 4) for code, p in zip(CODES, scores, strict=True)}
        # else: the suggestion the person judged stays. A model trained on their coding would agree with it,
        # and the agreement (kappa) would then measure the model remembering, not suggesting.
        # What staff confirmed wins over the machine's suggestion.
        codes = coding.staff_codes if coding.staff_codes is not None else coding.machine_codes
        for code in codes:
            prevalence[hit.regions[0] if hit.regions else NO_REGION][code] += 1
        found_needs += [(hit, found) for found in stated_needs(hit.text)]
    # One batch for every need sentence: the model is fast per batch and slow per call.
    need_codes = model.predict([found.sentence for _, found in found_needs]) if found_needs else []
    needs = [
        StatedNeed(
            unit=str(hit.municipality.id),
            name=hit.municipality.name,
            regions=hit.regions,
            question_id=hit.question.id,
            sentence=found.sentence,
            cue=found.cue,
            themes=codes_of_need,
        )
        for (hit, found), codes_of_need in zip(found_needs, need_codes, strict=True)
    ]
    low = poorly_covered(masked, proba) if masked else []
    topics = [
        Topic.model_validate(t, from_attributes=True) for t in discover_topics([masked[i] for i in low])
    ]
    return _Coded(dict(prevalence), needs, topics, len(texts), len(low))


def _unexpressed(
    parameters: Mapping[str, ParameterSummary], units: Mapping[str, UnitResult], needs: Sequence[StatedNeed]
) -> list[UnexpressedNeed]:
    """A parameter in the county's bottom quartile with no stated need in the matching theme."""
    stated: dict[str, set[str]] = defaultdict(set)
    for need in needs:
        stated[need.unit].update(need.themes)
    found = []
    for pid, info in parameters.items():
        cut, theme = info.bottom_quartile_cut, info.theme
        if cut is None or theme is None:
            continue
        for unit, data in units.items():
            value = data.parameters[pid].value
            if value is not None and value <= cut and theme not in stated[unit]:
                found.append(
                    UnexpressedNeed(
                        unit=unit,
                        name=data.name,
                        parameter=pid,
                        label=info.label,
                        theme=theme,
                        value=value,
                        bottom_quartile_cut=cut,
                        stated_themes=sorted(stated[unit]),
                    )
                )
    return found


# --- the run ------------------------------------------------------------------------------------------


def snapshot_time(session: Session, round_id: int) -> datetime | None:
    return session.exec(
        select(func.max(Answer.updated_at))
        .join(Response, col(Response.id) == col(Answer.response_id))
        .where(Response.round_id == round_id, col(Response.status).in_(SUBMITTED))
    ).one()


def analyze(session: Session, *, round_: Round, actor: str, data_dir: Path | None = None) -> AnalysisRun:
    """Compute and store the round's analysis from its submitted answers."""
    assert round_.id is not None
    definition = round_definition(session, round_)
    rows = load_rows(session, round_id=round_.id)
    snapshot = snapshot_time(session, round_.id)
    model, model_id = classifier(session, data_dir)
    scored = _parameters(definition, rows)
    begin_write(session)
    coded = _themes_needs_topics(session, definition, rows, model)
    results = RunResults(
        parameters=scored.parameters,
        units=scored.units,
        sensitivity=scored.sensitivity,
        index=scored.index,
        prevalence=coded.prevalence,
        needs=coded.needs,
        unexpressed=_unexpressed(scored.parameters, scored.units, coded.needs),
        topics=coded.topics,
        texts=coded.texts,
        poorly_covered=coded.poorly_covered,
    )
    run = AnalysisRun(
        round_id=round_.id,
        snapshot_at=snapshot,
        code_version=code_version(),
        model_version=model_id,
        results=results,
    )
    session.add(run)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="analysis.run",
        object_type="round",
        object_id=round_.id,
        details={"run": run.id, "municipalities": len(rows), "model": model_id},
    )
    session.commit()
    return run


def latest_run(session: Session, round_id: int) -> AnalysisRun | None:
    return session.exec(
        select(AnalysisRun).where(AnalysisRun.round_id == round_id).order_by(col(AnalysisRun.id).desc())
    ).first()


@dataclass(frozen=True)
class CodingAgreement:
    code: str
    kappa: float | None
    n: int


def agreement(session: Session, round_id: int) -> list[CodingAgreement]:
    """Cohen's kappa per code between the machine and staff, over the answers staff have coded.

    The machine's side is the suggestion staff saw when they coded (``analyze`` keeps it), made by a model
    that had not learnt from their coding: agreement on answers new to the model.
    """
    from analysis.themes import kappa_per_code

    codings = session.exec(
        select(ThemeCoding)
        .join(Response, col(Response.id) == col(ThemeCoding.response_id))
        .where(Response.round_id == round_id, col(ThemeCoding.staff_codes).is_not(None))
    ).all()
    kappas = kappa_per_code([c.machine_codes for c in codings], [list(c.staff_codes or []) for c in codings])
    return [CodingAgreement(code, kappas.get(code), len(codings)) for code in CODES]


def confirm(
    session: Session, *, coding: ThemeCoding, codes: list[str], user_id: int, actor: str
) -> ThemeCoding:
    """Store what a person decided the themes of an answer are; the model learns from it next run."""
    unknown = set(codes) - set(CODES)
    if unknown:
        raise ValueError(f"ukjente temakoder: {', '.join(sorted(unknown))}")
    begin_write(session)
    session.refresh(coding)
    coding.staff_codes = [c for c in CODES if c in codes]
    coding.confirmed_by, coding.confirmed_at = user_id, utcnow()
    audit.record(
        session,
        actor=actor,
        action="theme.confirm",
        object_type="theme_coding",
        object_id=coding.id,
        details={"codes": coding.staff_codes, "machine": coding.machine_codes},
    )
    session.commit()
    return coding
