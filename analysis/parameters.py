"""Integration parameters from scored answers: per municipality, traceable, benchmarked, with an index.

The boundary is data. The caller turns its questionnaire into ``ScoringRule``s (which answer key feeds
which parameter, and how an answer scores) and ``ParameterSpec``s (label, minimum share of items, weight
in the index), and hands in each unit's answers as ``{answer key: value}``. Nothing here knows about the
web app or its database.

Rules that hold throughout:
- every score is 0–100; «vet ikke», «ikke aktuelt», «løses interkommunalt» (``MISSING_ANSWERS``) and
  empty answers are missing, never zero;
- a parameter needs a declared minimum share of its questions answered, otherwise it is None («ikke nok
  svar»), never a made-up number. A question with several rows (a matrix) counts once, by the share of
  its rows answered, so one long matrix cannot carry a parameter alone;
- every value can be traced to the answers behind it and how much each contributed.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from statistics import fmean, median
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

DONT_KNOW = "vet_ikke"
NOT_APPLICABLE = "ikke_aktuelt"
INTERMUNICIPAL = "interkommunalt"
# Answers that say why there is no answer of the municipality's own: never scored, counted apart.
MISSING_ANSWERS = frozenset({DONT_KNOW, NOT_APPLICABLE, INTERMUNICIPAL})
MIN_UNITS_FOR_ALPHA = 10
Value = str | int | float | list[str] | None
Unit = Hashable


@dataclass(frozen=True)
class ScoringRule:
    """How one answer key scores towards one parameter.

    ``points``: a fixed score per answer (choice questions; scale points written as text); ``linear``:
    ``low`` scores 0 and ``high`` scores 100, capped; ``sum``: the chosen options' points added, capped
    at 100 (multiple choice). ``reverse`` gives 100 − score.
    """

    key: str
    question_id: str
    parameter: str
    kind: Literal["points", "linear", "sum"]
    weight: float = 1.0
    points: Mapping[str, float] = field(default_factory=dict)
    low: float = 0.0
    high: float = 100.0
    reverse: bool = False


@dataclass(frozen=True)
class ParameterSpec:
    id: str
    label: str
    min_share: float = 0.5
    weight: float = 1.0
    theme: str | None = None
    # Its questions measure one underlying trait (reflective), so their agreement (Cronbach's alpha) is a
    # test of the parameter; for an index of different facts (formative, the default) it is not.
    reflective: bool = False


def score_value(rule: ScoringRule, value: Value) -> float | None:
    """The 0–100 score of one answer, or None when it is missing, «vet ikke» or not scorable."""
    if (
        value is None
        or (isinstance(value, str) and value in MISSING_ANSWERS)
        or value == []
        or isinstance(value, bool)
    ):
        return None
    raw: float | None = None
    if rule.kind == "points" and isinstance(value, str | int):
        raw = rule.points.get(str(value))
    elif rule.kind == "sum" and isinstance(value, list):
        raw = min(100.0, sum(rule.points.get(v, 0.0) for v in value))
    elif rule.kind == "linear" and isinstance(value, int | float) and rule.high != rule.low:
        raw = min(100.0, max(0.0, (float(value) - rule.low) / (rule.high - rule.low) * 100))
    if raw is None:
        return None
    return 100.0 - float(raw) if rule.reverse else float(raw)


class ParameterAggregator(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Item scores (units × items, NaN = missing) to parameters (units × parameters).

    Each parameter is the weighted mean of its answered items, or NaN when fewer than ``min_share`` of
    its questions are answered. ``groups[j]`` is the parameter (0, 1, …) that item ``j`` feeds; by default
    every item is its own parameter. ``questions[j]`` is the question item ``j`` belongs to (the rows of a
    matrix share one): a question counts once towards ``min_share``, by the share of its items answered;
    by default every item is its own question. Nothing is learned from the data: ``fit`` only checks shapes.
    """

    def __init__(
        self,
        groups: Sequence[int] | None = None,
        weights: Sequence[float] | None = None,
        min_share: float | Sequence[float] = 0.5,
        questions: Sequence[int] | None = None,
    ) -> None:
        self.groups = groups
        self.weights = weights
        self.min_share = min_share
        self.questions = questions

    def fit(self, X: ArrayLike, y: object = None) -> ParameterAggregator:
        X_checked = validate_data(self, X, ensure_all_finite="allow-nan", dtype=np.float64)
        n_items = X_checked.shape[1]
        groups = np.arange(n_items) if self.groups is None else np.asarray(self.groups, dtype=int)
        if groups.shape != (n_items,) or (groups < 0).any():
            raise ValueError(f"groups must give a parameter index ≥ 0 for each of the {n_items} items")
        weights = np.ones(n_items) if self.weights is None else np.asarray(self.weights, dtype=float)
        if weights.shape != (n_items,) or (weights <= 0).any():
            raise ValueError(f"weights must be {n_items} positive numbers")
        questions = np.arange(n_items) if self.questions is None else np.asarray(self.questions, dtype=int)
        if questions.shape != (n_items,):
            raise ValueError(f"questions must name a question for each of the {n_items} items")
        self.groups_ = groups
        self.weights_ = weights
        self.questions_ = questions
        self.n_parameters_ = int(groups.max()) + 1
        shares = np.broadcast_to(np.asarray(self.min_share, dtype=float), (self.n_parameters_,))
        if ((shares <= 0) | (shares > 1)).any():
            raise ValueError("min_share must be in (0, 1]")
        self.min_share_ = shares.copy()
        return self

    def transform(self, X: ArrayLike) -> NDArray[np.float64]:
        check_is_fitted(self)
        X_checked = validate_data(self, X, ensure_all_finite="allow-nan", dtype=np.float64, reset=False)
        out = np.full((X_checked.shape[0], self.n_parameters_), np.nan)
        answered = ~np.isnan(X_checked)
        filled = np.where(answered, X_checked, 0.0)
        for p in range(self.n_parameters_):
            cols = self.groups_ == p
            if not cols.any():
                continue
            w = self.weights_[cols]
            weight_sum = answered[:, cols] @ w
            # The mean over its questions of the share of each question's items answered.
            asked = np.unique(self.questions_[cols])
            share = np.mean([answered[:, cols & (self.questions_ == q)].mean(axis=1) for q in asked], axis=0)
            ok = (share >= self.min_share_[p] - 1e-12) & (weight_sum > 0)
            out[ok, p] = (filled[ok][:, cols] @ w) / weight_sum[ok]
        return out

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


# --- per unit, with traceability ----------------------------------------------------------------


@dataclass(frozen=True)
class Contribution:
    """One answer behind a parameter value, and how much of the value it carries."""

    key: str
    question_id: str
    value: Value
    score: float | None
    weight: float
    share: float  # of the parameter value: weight × score ÷ (Σ weights of answered items × value)


@dataclass(frozen=True)
class ParameterValue:
    parameter: str
    value: float | None  # None: «ikke nok svar»
    answered: int  # questions with at least one scored answer
    items: int  # questions that feed it (a matrix is one)
    contributions: list[Contribution]

    @property
    def enough(self) -> bool:
        return self.value is not None


def compute(
    rules: Sequence[ScoringRule],
    specs: Sequence[ParameterSpec],
    answers: Mapping[Unit, Mapping[str, Value]],
    shown: Mapping[Unit, Collection[str]] | None = None,
) -> dict[Unit, dict[str, ParameterValue]]:
    """Every unit's parameters. A question not shown to a unit (``shown``) is not one of its items."""
    by_param: dict[str, list[ScoringRule]] = {s.id: [] for s in specs}
    for rule in rules:
        by_param.setdefault(rule.parameter, []).append(rule)
    out: dict[Unit, dict[str, ParameterValue]] = {}
    for unit, values in answers.items():
        visible = None if shown is None else shown.get(unit, ())
        out[unit] = {}
        for spec in specs:
            items = [r for r in by_param.get(spec.id, []) if visible is None or r.question_id in visible]
            out[unit][spec.id] = _parameter(spec, items, values)
    return out


def _parameter(
    spec: ParameterSpec, items: Sequence[ScoringRule], values: Mapping[str, Value]
) -> ParameterValue:
    scored = [(r, values.get(r.key), score_value(r, values.get(r.key))) for r in items]
    answered = [(r, s) for r, _, s in scored if s is not None]
    weight_sum = sum(r.weight for r, _ in answered)
    # «Enough answers» counts questions: each question by the share of its rows answered.
    rows: dict[str, list[bool]] = {}
    for r, _, s in scored:
        rows.setdefault(r.question_id, []).append(s is not None)
    share_answered = fmean(sum(done) / len(done) for done in rows.values()) if rows else 0.0
    enough = bool(answered) and share_answered >= spec.min_share - 1e-12
    value = sum(r.weight * s for r, s in answered) / weight_sum if enough else None

    def share(weight: float, score: float | None) -> float:
        if score is None or value is None:
            return 0.0
        # With a value of 0 every answered item carries its weight's part of nothing.
        return weight * score / (weight_sum * value) if value else weight / weight_sum

    contributions = [
        Contribution(r.key, r.question_id, raw, s, r.weight, share(r.weight, s)) for r, raw, s in scored
    ]
    questions_answered = sum(1 for done in rows.values() if any(done))
    return ParameterValue(spec.id, value, questions_answered, len(rows), contributions)


# --- benchmarks, reliability, the index and its sensitivity ----------------------------------------


@dataclass(frozen=True)
class Benchmark:
    mean: float | None
    median: float | None
    n: int


def benchmark(values: Sequence[float | None]) -> Benchmark:
    present = [v for v in values if v is not None]
    if not present:
        return Benchmark(None, None, 0)
    return Benchmark(fmean(present), median(present), len(present))


def ranks(values: Mapping[Unit, float | None]) -> dict[Unit, int | None]:
    """Rank 1 is the highest value; ties share the better rank; units without a value get None."""
    present = sorted((v for v in values.values() if v is not None), reverse=True)
    first: dict[float, int] = {}
    for i, v in enumerate(present, start=1):
        first.setdefault(v, i)
    return {u: None if v is None else first[v] for u, v in values.items()}


def cronbach_alpha(item_scores: Sequence[Sequence[float | None]]) -> float | None:
    """Cronbach's alpha over units (rows) and items (columns), complete rows only.

    None with fewer than ``MIN_UNITS_FOR_ALPHA`` complete rows, fewer than two items, or no variance.
    """
    rows = [
        [float(v) for v in r if v is not None] for r in item_scores if r and all(v is not None for v in r)
    ]
    if len(rows) < MIN_UNITS_FOR_ALPHA or len(rows[0]) < 2:
        return None
    matrix = np.asarray(rows)
    k = matrix.shape[1]
    total_var = matrix.sum(axis=1).var(ddof=1)
    if total_var == 0 or math.isnan(total_var):
        return None
    return float(k / (k - 1) * (1 - matrix.var(axis=0, ddof=1).sum() / total_var))


def index(
    params: Mapping[str, float | None], weights: Mapping[str, float], min_weight_share: float = 0.5
) -> float | None:
    """The weighted mean of the parameters a unit has, if they carry at least half of the total weight."""
    total = sum(w for w in weights.values() if w > 0)
    have = {p: v for p, v in params.items() if v is not None and weights.get(p, 0) > 0}
    covered = sum(weights[p] for p in have)
    if not total or covered / total < min_weight_share:
        return None
    return sum(weights[p] * v for p, v in have.items()) / covered


@dataclass(frozen=True)
class Sensitivity:
    """How ranks move when one parameter's weight changes by ``factor`` (0.8 or 1.2)."""

    parameter: str
    factor: float
    rank_change: dict[Unit, int]  # new rank − old rank (negative: moved up)

    @property
    def max_shift(self) -> int:
        return max((abs(c) for c in self.rank_change.values()), default=0)


def sensitivity(
    params: Mapping[Unit, Mapping[str, float | None]], weights: Mapping[str, float], delta: float = 0.2
) -> list[Sensitivity]:
    """Re-rank the index with each weight changed by ±``delta`` (default ±20 %)."""
    base = ranks({u: index(p, weights) for u, p in params.items()})
    out = []
    for parameter in weights:
        for factor in (1 - delta, 1 + delta):
            changed = {**weights, parameter: weights[parameter] * factor}
            new = ranks({u: index(p, changed) for u, p in params.items()})
            moves = {u: n - b for u in params if (n := new[u]) is not None and (b := base[u]) is not None}
            out.append(Sensitivity(parameter, factor, moves))
    return out


def bottom_quartile_cut(values: Sequence[float | None]) -> float | None:
    """The county's 25th percentile of a parameter: at or below it is the bottom quartile."""
    present = [v for v in values if v is not None]
    return float(np.percentile(present, 25)) if len(present) >= 4 else None
