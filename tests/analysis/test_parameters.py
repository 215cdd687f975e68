"""Integration parameters: scoring rules, minimum shares, traceability, benchmarks, index, sensitivity."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from analysis.parameters import (
    DONT_KNOW,
    ParameterAggregator,
    ParameterSpec,
    ScoringRule,
    benchmark,
    bottom_quartile_cut,
    compute,
    cronbach_alpha,
    index,
    ranks,
    score_value,
    sensitivity,
)

POLICY = ScoringRule(
    "politikk", "politikk", "frivillighet", "points", points={"ja": 100, "delvis": 50, "nei": 0}
)
AGREE = ScoringRule("enighet", "enighet", "frivillighet", "linear", weight=2, low=1, high=5)
WORRY = ScoringRule("bekymring", "bekymring", "frivillighet", "linear", low=1, high=5, reverse=True)
PLACES = ScoringRule("tiltak", "tiltak", "moteplasser", "sum", points={"kafe": 60, "lekser": 50, "annet": 10})
COUNT = ScoringRule("avtaler", "avtaler", "moteplasser", "linear", low=0, high=10)
SPECS = [
    ParameterSpec("frivillighet", "Frivillighet", min_share=0.6),
    ParameterSpec("moteplasser", "Møteplasser"),
]
RULES = [POLICY, AGREE, WORRY, PLACES, COUNT]


@pytest.mark.parametrize(
    ("rule", "value", "expected"),
    [
        (POLICY, "ja", 100.0),
        (POLICY, "delvis", 50.0),
        (POLICY, DONT_KNOW, None),  # «vet ikke» is missing, never zero
        (POLICY, None, None),
        (POLICY, "kanskje", None),  # not an option: not scorable
        (AGREE, 1, 0.0),
        (AGREE, 4, 75.0),
        (WORRY, 4, 25.0),  # reversed: a high worry is a low score
        (PLACES, ["kafe", "lekser"], 100.0),  # 110, capped
        (PLACES, ["annet"], 10.0),
        (PLACES, [], None),
        (COUNT, 3, 30.0),
        (COUNT, 25, 100.0),  # above the range: capped
        (COUNT, -2, 0.0),
    ],
)
def test_score_value(rule: ScoringRule, value: object, expected: float | None) -> None:
    assert score_value(rule, value) == expected  # type: ignore[arg-type]


def test_a_parameter_needs_its_minimum_share_and_says_what_is_behind_it() -> None:
    answers = {
        # politikk 100 (w1), enighet 4 → 75 (w2), bekymring 2 → 75 (w1): (100 + 150 + 75) / 4 = 81.25
        "Drammen": {"politikk": "ja", "enighet": 4, "bekymring": 2, "tiltak": ["kafe"], "avtaler": 5},
        # 2 of 3 answered (0.67 ≥ 0.6): politikk 0, enighet 2 → 25 (w2): 50 / 3 = 16.67; «vet ikke» is missing
        "Ål": {"politikk": "nei", "enighet": 2, "bekymring": DONT_KNOW},
        # 1 of 3 (0.33 < 0.6): «ikke nok svar», never a made-up number
        "Lier": {"politikk": "delvis", "enighet": DONT_KNOW},
    }
    result = compute(RULES, SPECS, answers)
    drammen = result["Drammen"]["frivillighet"]
    assert drammen.value == pytest.approx(81.25) and drammen.answered == 3 and drammen.items == 3
    shares = {c.key: c.share for c in drammen.contributions}
    assert shares == pytest.approx({"politikk": 100 / 325, "enighet": 150 / 325, "bekymring": 75 / 325})
    assert result["Drammen"]["moteplasser"].value == pytest.approx((60 + 50) / 2)
    assert result["Ål"]["frivillighet"].value == pytest.approx(50 / 3)
    assert result["Ål"]["moteplasser"].value is None and result["Ål"]["moteplasser"].answered == 0
    lier = result["Lier"]["frivillighet"]
    assert lier.value is None and not lier.enough and (lier.answered, lier.items) == (1, 3)


def test_questions_not_shown_are_not_items() -> None:
    answers = {"Ål": {"politikk": "nei", "enighet": 2}}
    shown = {"Ål": {"politikk", "enighet"}}  # bekymring was hidden by a condition
    value = compute(RULES, SPECS, answers, shown)["Ål"]["frivillighet"]
    assert (value.answered, value.items) == (2, 2) and value.value == pytest.approx(50 / 3)


def test_benchmarks_ranks_and_quartile() -> None:
    assert benchmark([10.0, None, 30.0, 50.0]) == benchmark([50.0, 10.0, 30.0])
    b = benchmark([10.0, 30.0, 50.0, 90.0])
    assert (b.mean, b.median, b.n) == (45.0, 40.0, 4)
    assert benchmark([None]).mean is None
    assert ranks({"a": 50.0, "b": 80.0, "c": 50.0, "d": None}) == {"a": 2, "b": 1, "c": 2, "d": None}
    assert bottom_quartile_cut([10.0, 20.0, 30.0, 40.0, 50.0]) == 20.0
    assert bottom_quartile_cut([10.0, 20.0]) is None  # too few to speak of quartiles


def test_cronbach_alpha_hand_computed() -> None:
    # Two identical items: perfectly consistent, alpha = 1. Needs at least ten complete units.
    rows = [[float(v), float(v)] for v in range(10)]
    assert cronbach_alpha(rows) == pytest.approx(1.0)
    # Hand-computed: items x = 0..9 and y = x for even, x+2 for odd rows.
    x = np.arange(10, dtype=float)
    y = x + np.where(x % 2, 2.0, 0.0)
    k, total = 2, (x + y).var(ddof=1)
    expected = k / (k - 1) * (1 - (x.var(ddof=1) + y.var(ddof=1)) / total)
    assert cronbach_alpha([[a, b] for a, b in zip(x, y, strict=True)]) == pytest.approx(expected)
    assert cronbach_alpha(rows[:9]) is None
    assert cronbach_alpha([[1.0, None]] * 12 + rows[:9]) is None  # incomplete rows do not count


def test_index_and_its_sensitivity() -> None:
    weights = {"frivillighet": 1.0, "moteplasser": 1.0, "kapasitet": 2.0}
    assert index({"frivillighet": 40.0, "moteplasser": 60.0, "kapasitet": 70.0}, weights) == pytest.approx(
        60.0
    )
    # Only a quarter of the weight present: not enough to say anything.
    assert index({"frivillighet": 40.0, "moteplasser": None, "kapasitet": None}, weights) is None
    assert index({"frivillighet": 40.0, "moteplasser": None, "kapasitet": 70.0}, weights) == pytest.approx(
        60.0
    )
    params = {
        "A": {"frivillighet": 100.0, "moteplasser": 0.0, "kapasitet": 50.0},  # 50
        "B": {"frivillighet": 0.0, "moteplasser": 100.0, "kapasitet": 50.0},  # 50
        "C": {"frivillighet": 60.0, "moteplasser": 60.0, "kapasitet": 40.0},  # 50
    }
    result = {(s.parameter, round(s.factor, 1)): s for s in sensitivity(params, weights)}
    assert len(result) == 6
    up = result[("frivillighet", 1.2)]
    assert up.rank_change == {"A": 0, "B": 2, "C": 1}  # all tied at rank 1 before; A pulls ahead
    assert up.max_shift == 2


@parametrize_with_checks([ParameterAggregator(), ParameterAggregator(min_share=0.9)])
def test_sklearn_conventions(estimator: object, check: object) -> None:
    check(estimator)  # type: ignore[operator]


def test_aggregator_matches_compute() -> None:
    X = np.array([[100.0, 75.0, 75.0, np.nan], [0.0, 25.0, np.nan, 30.0], [50.0, np.nan, np.nan, np.nan]])
    out = ParameterAggregator(groups=[0, 0, 0, 1], weights=[1, 2, 1, 1], min_share=[0.6, 0.5]).fit_transform(
        X
    )
    assert out[0, 0] == pytest.approx(81.25) and math.isnan(out[0, 1])
    assert out[1, 0] == pytest.approx(50 / 3) and out[1, 1] == pytest.approx(30.0)
    assert math.isnan(out[2, 0])
    with pytest.raises(ValueError, match="groups"):
        ParameterAggregator(groups=[0, 1]).fit(X)
