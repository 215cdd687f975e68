"""The settlement recommendation: hand-checked scenarios, the infeasible cases, and properties (hypothesis)."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from analysis.settlement import (
    INDEX,
    Criterion,
    Infeasible,
    Override,
    Rules,
    RulesError,
    Unit,
    recommend,
    with_minors,
)

PLAIN = Rules(minimum=0, regional_balance=0.0)


def unit(
    number: str, last: int, decision: int | None = None, index: float | None = 50.0, **more: float
) -> Unit:
    return Unit(number, f"Kommune {number}", f"Region {number[-1]}", last, decision, {INDEX: index, **more})


def numbers(units: list[Unit], total: int, rules: Rules = PLAIN, **kwargs: object) -> dict[str, int]:
    result = recommend(units, total=total, rules=rules, **kwargs)  # type: ignore[arg-type]
    return {a.kommunenummer: a.recommended for a in result.allocations}


# --- hand-checked scenarios ---------------------------------------------------------------------------


def test_what_remains_above_the_floors_is_shared_by_the_index() -> None:
    # Floors 10 + 10 + 10 (the minimum); the 20 left go 60:30:10 → 12, 6, 2.
    units = [unit("0001", 10, index=60), unit("0002", 10, index=30), unit("0003", 0, index=10)]
    assert numbers(units, 50, Rules(minimum=10)) == {"0001": 22, "0002": 16, "0003": 12}


def test_a_council_decision_caps_and_the_rest_moves_on() -> None:
    # 0001 stops at its decision (15); the 15 left go 30:10 → 11.25 and 3.75 to the others, and the one
    # place left after rounding goes to the larger remainder (0003's .75).
    units = [unit("0001", 10, decision=15, index=60), unit("0002", 10, index=30), unit("0003", 0, index=10)]
    assert numbers(units, 50, Rules(minimum=10)) == {"0001": 15, "0002": 21, "0003": 14}


def test_a_decision_below_last_year_wins_over_the_floor() -> None:
    units = [unit("0001", 30, decision=20), unit("0002", 10)]
    result = numbers(units, 50, PLAIN)
    assert result == {"0001": 20, "0002": 30}


def test_a_decision_below_the_minimum_is_followed_and_zero_means_none() -> None:
    units = [unit("0001", 0, decision=5), unit("0002", 0, decision=0), unit("0003", 0)]
    result = recommend(units, total=40, rules=Rules(minimum=10))
    by = {a.kommunenummer: a for a in result.allocations}
    assert (by["0001"].recommended, by["0002"].recommended, by["0003"].recommended) == (5, 0, 35)
    assert "færre enn minstetallet 10; anbefalingen følger vedtaket" in by["0001"].explanation
    assert "vedtatt ikke å bosette" in by["0002"].explanation


def test_stability_limits_the_change_from_last_year() -> None:
    # At most +5 (or 50 % of last year, whichever is larger): 0001 may reach 15, 0002 may reach 30.
    units = [unit("0001", 10, index=90), unit("0002", 20, index=10)]
    rules = Rules(minimum=0, max_change=5, max_change_share=0.5)
    assert numbers(units, 40, rules) == {"0001": 15, "0002": 25}
    result = recommend(units, total=40, rules=rules)
    assert "Stabilitetsregelen gir høyst 15" in result.allocations[0].explanation


def test_regional_balance_gives_each_region_an_equal_share() -> None:
    # All weight on regions: two regions, one with two members → 0001 gets half, the pair a quarter each.
    units = [
        Unit("0001", "A", "Nord", 0, None, {INDEX: 10}),
        Unit("0002", "B", "Sør", 0, None, {INDEX: 90}),
        Unit("0003", "C", "Sør", 0, None, {INDEX: 90}),
    ]
    rules = Rules(minimum=0, regional_balance=1.0)
    assert numbers(units, 40, rules) == {"0001": 20, "0002": 10, "0003": 10}


def test_a_low_is_better_criterion_turns_round() -> None:
    rules = Rules(minimum=0, criteria=(Criterion("ledighet", "Ledighet", 1.0, "lav"),))
    units = [unit("0001", 0, ledighet=2.0), unit("0002", 0, ledighet=4.0), unit("0003", 0, ledighet=3.0)]
    # Turned round: 4+2−x → 4, 2, 3; shares 4:2:3 of 90.
    assert numbers(units, 90, rules) == {"0001": 40, "0002": 20, "0003": 30}


def test_an_unknown_index_gets_the_average_share_and_says_so() -> None:
    # 0002 gets 1/3 of 120; the known two share the other 80 as 20:60.
    units = [unit("0001", 0, index=20), unit("0002", 0, index=None), unit("0003", 0, index=60)]
    result = recommend(units, total=120, rules=PLAIN)
    by = {a.kommunenummer: a for a in result.allocations}
    assert (by["0001"].recommended, by["0002"].recommended, by["0003"].recommended) == (20, 40, 60)
    assert "integreringsindeks ukjent, regnet som en gjennomsnittlig andel" in by["0002"].explanation
    assert by["0002"].unknown == (INDEX,)


def test_an_override_replaces_the_rules_for_one_municipality_and_is_explained() -> None:
    units = [unit("0001", 10, decision=12), unit("0002", 10)]
    result = recommend(units, total=40, rules=PLAIN, overrides={"0001": Override(20, "Ny mottaksavtale.")})
    by = {a.kommunenummer: a for a in result.allocations}
    assert (by["0001"].recommended, by["0002"].recommended) == (20, 20)
    assert "Satt manuelt av fylkeskommunen: Ny mottaksavtale." in by["0001"].explanation
    assert "over kommunestyrets vedtak (12)" in by["0001"].explanation


def test_the_explanation_names_the_floor_the_share_and_the_criteria() -> None:
    units = [unit("0001", 20, decision=25, index=70), unit("0002", 15, index=50)]
    result = recommend(units, total=45, rules=PLAIN)
    text = result.allocations[0].explanation
    assert text.startswith("Anbefalt 25, +5 fra fjorårets anmodning (20).")
    assert "Gulvet er 20, fjorårets anmodning." in text
    assert "I tillegg 5 av de 10 plassene som er fordelt etter kriteriene: integreringsindeks 70" in text
    assert "Kommunestyrets vedtak (25) er taket." in text


# --- infeasible ---------------------------------------------------------------------------------------


def test_decisions_that_sum_below_the_total_are_refused_with_the_shortfall() -> None:
    units = [unit("0001", 10, decision=20), unit("0002", 10, decision=13)]
    with pytest.raises(Infeasible) as caught:
        recommend(units, total=50, rules=PLAIN)
    assert caught.value.conflicts == ["Summen av kommunestyrevedtakene er 17 lavere enn totalen (50)."]


def test_floors_above_the_total_are_refused() -> None:
    units = [unit("0001", 30), unit("0002", 25)]
    with pytest.raises(Infeasible, match="Summen av fjorårets anmodninger er 5 høyere enn totalen"):
        recommend(units, total=50, rules=PLAIN)


def test_the_minimum_can_push_the_floors_over_the_total() -> None:
    units = [unit(f"000{i}", 0) for i in range(1, 6)]
    with pytest.raises(Infeasible, match=r"minstetallet 10 .* er til sammen 50, som er 10 høyere"):
        recommend(units, total=40, rules=Rules(minimum=10))


def test_stability_with_decisions_can_leave_too_little_room() -> None:
    units = [unit("0001", 10), unit("0002", 10, decision=12)]
    with pytest.raises(Infeasible, match=r"stabilitetsregelen .* gir plass til 32, som er 8 lavere"):
        recommend(units, total=40, rules=Rules(minimum=0, max_change=10))


def test_a_criterion_without_any_values_is_an_error() -> None:
    rules = Rules(minimum=0, criteria=(Criterion("innbyggere", "Innbyggere", 1.0),))
    with pytest.raises(RulesError, match="mangler for alle kommunene"):
        recommend([unit("0001", 0)], total=10, rules=rules)


# --- properties ---------------------------------------------------------------------------------------


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[Unit], int, Rules]:
    n = draw(st.integers(1, 25))
    units = []
    for i in range(n):
        last = draw(st.integers(0, 60))
        decision = draw(st.one_of(st.none(), st.integers(0, 90)))
        index = draw(st.one_of(st.none(), st.floats(0, 100, allow_nan=False)))
        people = draw(st.integers(100, 700_000))
        region = draw(st.sampled_from(["Nord", "Sør", "Vest", ""]))
        units.append(
            Unit(f"{3001 + i}", f"K{i}", region, last, decision, {INDEX: index, "innbyggere": people})
        )
    assume(any(u.criteria[INDEX] is not None for u in units))
    rules = Rules(
        decision_caps=draw(st.booleans()),
        last_year_floor=draw(st.booleans()),
        minimum=draw(st.sampled_from([0, 5, 10])),
        max_change=draw(st.one_of(st.none(), st.integers(0, 30))),
        max_change_share=draw(st.one_of(st.none(), st.sampled_from([0.2, 0.5]))),
        criteria=(Criterion(INDEX, "Integreringsindeks", draw(st.sampled_from([0.5, 1.0]))),)
        + ((Criterion("innbyggere", "Innbyggere", 0.5),) if draw(st.booleans()) else ()),
        regional_balance=draw(st.sampled_from([0.0, 0.2, 1.0])),
    )
    total = draw(st.integers(0, 2_000))
    return units, total, rules


def bounds(units: list[Unit], rules: Rules) -> tuple[list[int], list[int | None]]:
    """Each municipality's least and most, written out from the rules as docs/recommendation.md states them."""
    lows: list[int] = []
    highs: list[int | None] = []
    for u in units:
        capped = rules.decision_caps and u.decision is not None
        limit = rules.change_limit(u.last_request)
        high = None if limit is None else max(u.last_request + limit, rules.minimum)
        if capped and (high is None or u.decision <= high):  # type: ignore[operator]
            high = u.decision
        if capped and u.decision < rules.minimum:  # type: ignore[operator]
            lows.append(u.decision)  # type: ignore[arg-type]
            highs.append(u.decision)
            continue
        low = (
            u.last_request
            if rules.last_year_floor
            else max(0, u.last_request - limit if limit is not None else 0)
        )
        if high is not None:
            low = min(low, high)
        lows.append(max(low, rules.minimum))
        highs.append(high)
    return lows, highs


@st.composite
def feasible_cases(draw: st.DrawFn) -> tuple[list[Unit], int, Rules]:
    """Cases whose total lies between the sum of the floors and the sum of the caps."""
    units, _, rules = draw(cases())
    lows, highs = bounds(units, rules)
    most = sum(lows) + 500 if None in highs else sum(h or 0 for h in highs)
    assume(sum(lows) <= most)
    return units, draw(st.integers(sum(lows), most)), rules


def feasible(units: list[Unit], total: int, rules: Rules) -> list[int] | None:
    try:
        result = recommend(units, total=total, rules=rules)
    except Infeasible:
        return None
    return [a.recommended for a in result.allocations]


@settings(max_examples=100, deadline=None)
@given(feasible_cases())
def test_the_numbers_are_whole_add_up_and_keep_every_rule(case: tuple[list[Unit], int, Rules]) -> None:
    units, total, rules = case
    got = feasible(units, total, rules)
    assume(got is not None)
    assert got is not None
    assert sum(got) == total
    for u, n in zip(units, got, strict=True):
        assert n >= 0
        capped = rules.decision_caps and u.decision is not None
        if capped:
            assert n <= u.decision  # type: ignore[operator]
        if capped and u.decision < rules.minimum:  # type: ignore[operator]
            assert n == u.decision
            continue
        if rules.last_year_floor:
            assert n >= (min(u.last_request, u.decision) if capped else u.last_request)  # type: ignore[type-var]
        assert n >= rules.minimum or (capped and n == u.decision)
        limit = rules.change_limit(u.last_request)
        if limit is not None:
            assert n <= max(u.last_request + limit, rules.minimum)


@settings(max_examples=50, deadline=None)
@given(feasible_cases(), st.randoms(use_true_random=False))
def test_the_same_figures_give_the_same_numbers_in_any_order(
    case: tuple[list[Unit], int, Rules], rnd: object
) -> None:
    units, total, rules = case
    got = feasible(units, total, rules)
    assume(got is not None)
    shuffled = list(units)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    again = recommend(shuffled, total=total, rules=rules)
    by = {a.kommunenummer: a.recommended for a in again.allocations}
    assert [by[u.kommunenummer] for u in units] == got


@settings(max_examples=100, deadline=None)
@given(feasible_cases(), st.data())
def test_a_better_score_never_lowers_a_municipalitys_number(
    case: tuple[list[Unit], int, Rules], data: st.DataObject
) -> None:
    units, total, rules = case
    got = feasible(units, total, rules)
    assume(got is not None)
    assert got is not None
    i = data.draw(st.integers(0, len(units) - 1))
    before = units[i].criteria[INDEX]
    assume(before is not None)
    better = data.draw(st.floats(before, 100, allow_nan=False))
    changed = list(units)
    changed[i] = dataclasses.replace(units[i], criteria={**units[i].criteria, INDEX: better})
    after = feasible(changed, total, rules)
    assert after is not None  # the bounds do not depend on the score
    assert after[i] >= got[i]


@settings(max_examples=100, deadline=None)
@given(cases())
def test_it_refuses_exactly_when_the_bounds_cannot_hold(case: tuple[list[Unit], int, Rules]) -> None:
    units, total, rules = case
    lows, highs = bounds(units, rules)
    possible = sum(lows) <= total and (None in highs or sum(h or 0 for h in highs) >= total)
    assert (feasible(units, total, rules) is not None) == possible


@settings(max_examples=50, deadline=None)
@given(feasible_cases(), st.data())
def test_minors_stay_within_the_decision_and_the_number(
    case: tuple[list[Unit], int, Rules], data: st.DataObject
) -> None:
    units, total, rules = case
    result = recommend(units, total=total, rules=rules)
    decisions = {u.kommunenummer: data.draw(st.one_of(st.none(), st.integers(0, 20))) for u in units}
    room = sum(min(decisions[a.kommunenummer] or 0, a.recommended) for a in result.allocations)
    minors = data.draw(st.integers(0, room + 3))
    try:
        got = with_minors(result, units, decisions, total=minors)
    except Infeasible:
        assert minors > room
        return
    assert minors <= room
    assert sum(a.minors or 0 for a in got.allocations) == minors
    for a in got.allocations:
        assert 0 <= (a.minors or 0) <= min(decisions[a.kommunenummer] or 0, a.recommended)
