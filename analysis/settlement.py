"""The settlement recommendation: how many refugees each municipality should be asked to settle.

The county's rules (``Rules``) turn into a lower and an upper bound per municipality: the council's decision
caps it, last year's request is a floor unless the decision is lower, the stability rule limits the change
from last year, and a municipality that is asked at all is asked for at least the minimum. What remains of
the total above the floors is then shared out in proportion to each municipality's weight (the declared
criteria, plus an optional equal share per region), never above a municipality's upper bound:

    x_i = min(U_i, L_i + λ·w_i),  with λ chosen so that Σ x_i = total.

The shares are rounded to whole numbers by largest remainder, ties broken by municipality number. The
arithmetic is exact (``Fraction``), which makes the result deterministic and monotone: raising one
municipality's weight lowers λ, so every other share falls or stays, so its own share rises or stays, and
largest-remainder rounding keeps that order. When the bounds cannot hold together, ``Infeasible`` says
which rules conflict and by how much, in Norwegian, for the adviser.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal

from analysis.settlement_text import explain

INDEX = "integreringsindeks"


@dataclass(frozen=True)
class Criterion:
    """A numeric column that shares out what remains above the floors; ``direction`` says which end is good."""

    column: str
    label: str
    weight: float
    direction: Literal["hoy", "lav"] = "hoy"


@dataclass(frozen=True)
class Rules:
    """The county's declared rules. Defaults follow the seed county's premises (see docs/recommendation.md)."""

    decision_caps: bool = True  # the council's decision is the most a municipality is asked for
    last_year_floor: bool = True  # never below last year's request, unless the decision is lower
    minimum: int = 10  # a municipality asked at all is asked for at least this many
    max_change: int | None = None  # stability: at most this many more (or fewer) than last year …
    max_change_share: float | None = None  # … or this share of last year's request, whichever is larger
    criteria: tuple[Criterion, ...] = (Criterion(INDEX, "Integreringsindeks", 1.0),)
    regional_balance: float = 0.0  # share of the weight spread equally over the regions

    def change_limit(self, last: int) -> int | None:
        limits = [self.max_change] if self.max_change is not None else []
        if self.max_change_share is not None:
            limits.append(math.floor(self.max_change_share * last))
        return max(limits) if limits else None


@dataclass(frozen=True)
class Unit:
    """One municipality's figures: last year's request, the council's decision (None: none) and the criteria."""

    kommunenummer: str
    name: str
    region: str
    last_request: int
    decision: int | None
    criteria: Mapping[str, float | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Override:
    """A number set by hand, with the adviser's reason; it replaces the rules for that municipality."""

    number: int
    reason: str


@dataclass(frozen=True)
class Allocation:
    kommunenummer: str
    name: str
    region: str
    recommended: int
    last_request: int
    decision: int | None
    lower: int
    upper: int | None
    bound: str  # what set the number: override, decision, below_minimum, stability, floor, minimum, share
    from_share: int  # how many of the number came from the weighted share above the floor
    criteria: dict[str, float | None]  # the values used; None where unknown
    unknown: tuple[str, ...]
    note: str = ""  # the adviser's reason, for an override
    minors: int | None = None  # of the number, unaccompanied minors (None: not asked)
    explanation: str = ""  # the begrunnelse, in plain bokmål

    @property
    def change(self) -> int:
        return self.recommended - self.last_request


@dataclass(frozen=True)
class Recommendation:
    allocations: list[Allocation]
    total: int
    shared: int  # what was shared out by the criteria, above the floors
    rules: Rules
    minors: int | None = None  # of the total, unaccompanied minors (None: not asked)


class Infeasible(ValueError):
    """The rules cannot all hold; ``conflicts`` says which and by how much, in Norwegian."""

    def __init__(self, conflicts: Sequence[str]) -> None:
        super().__init__(" ".join(conflicts))
        self.conflicts = list(conflicts)


class RulesError(ValueError):
    """The rules or the figures do not make sense (a missing column, a negative number)."""


@dataclass
class _Bounds:
    lower: int
    upper: int | None  # None: no upper bound
    upper_by: str  # decision, stability, override or ""
    lower_by: str  # floor, minimum, decision, below_minimum, override or ""


def _bounds(unit: Unit, rules: Rules, override: Override | None) -> _Bounds:
    if override is not None:
        return _Bounds(override.number, override.number, "override", "override")
    last, decision = unit.last_request, unit.decision
    upper: int | None = None
    upper_by = ""
    limit = rules.change_limit(last)
    if limit is not None:
        # Stability never pushes a municipality below the minimum it would be asked for.
        upper, upper_by = max(last + limit, rules.minimum), "stability"
    if rules.decision_caps and decision is not None and (upper is None or decision <= upper):
        upper, upper_by = decision, "decision"
    lower, lower_by = 0, ""
    if rules.last_year_floor and last > 0:
        lower, lower_by = last, "floor"
    elif limit is not None and last - limit > 0:
        lower, lower_by = last - limit, "stability"
    if upper is not None and lower > upper:
        # The decision is lower than last year's request: the decision wins.
        lower, lower_by = upper, upper_by
    if upper is not None and upper < rules.minimum and upper_by == "decision":
        # The council has decided fewer than the minimum: the recommendation follows the decision.
        return _Bounds(upper, upper, "below_minimum", "below_minimum")
    if lower < rules.minimum:
        lower, lower_by = rules.minimum, "minimum"
    return _Bounds(lower, upper, upper_by, lower_by)


def room(
    units: Sequence[Unit], rules: Rules, overrides: Mapping[str, Override] | None = None
) -> tuple[int, int | None]:
    """The least and the most the rules allow in total (None: no upper limit): a feasible total lies between."""
    bounds = [_bounds(u, rules, (overrides or {}).get(u.kommunenummer)) for u in units]
    uppers = [b.upper for b in bounds]
    most = None if None in uppers else sum(u for u in uppers if u is not None)
    return sum(b.lower for b in bounds), most


def _region(unit: Unit) -> str:
    # "Vestby / Jevnaker"-style double membership: the first council is the one that counts for balance.
    return unit.region.split("/")[0].strip()


def _criterion_values(
    units: Sequence[Unit], rules: Rules
) -> tuple[dict[str, dict[str, float | None]], dict[str, tuple[str, ...]]]:
    """Each unit's values of the rules' criteria (None: unknown), and which ones are unknown."""
    values: dict[str, dict[str, float | None]] = {u.kommunenummer: {} for u in units}
    unknown: dict[str, list[str]] = {u.kommunenummer: [] for u in units}
    for c in rules.criteria:
        known = [v for u in units if (v := u.criteria.get(c.column)) is not None]
        if any(v < 0 for v in known):
            raise RulesError(
                f"Kriteriet «{c.label}» har negative tall; bare tall fra 0 og oppover kan brukes."
            )
        if not known and c.weight > 0:
            raise RulesError(f"Kriteriet «{c.label}» ({c.column}) mangler for alle kommunene.")
        for u in units:
            v = u.criteria.get(c.column)
            values[u.kommunenummer][c.column] = v
            if v is None:
                unknown[u.kommunenummer].append(c.column)
    return values, {k: tuple(v) for k, v in unknown.items()}


def _shares(values: Mapping[str, float | None], direction: str) -> dict[str, Fraction]:
    """Each unit's share of one criterion. An unknown value gets the average share, 1/n, and the known values
    share the rest in proportion. Unlike filling in the median, this keeps every other unit's share
    independent of one unit's score, which is what makes the allocation monotone."""
    n = len(values)
    known = {k: Fraction(v) for k, v in values.items() if v is not None}
    if direction == "lav" and known:
        top, bottom = max(known.values()), min(known.values())
        known = {k: top + bottom - v for k, v in known.items()}
    column_sum = sum(known.values(), Fraction(0))
    out = {}
    for k in values:
        if k not in known or not column_sum:
            out[k] = Fraction(1, n)
        else:
            out[k] = Fraction(len(known), n) * known[k] / column_sum
    return out


def weights(units: Sequence[Unit], rules: Rules) -> dict[str, Fraction]:
    """Each unit's share of the weight: the criteria's shares, blended with an equal share per region."""
    values, _ = _criterion_values(units, rules)
    total_weight = sum(Fraction(c.weight) for c in rules.criteria if c.weight > 0)
    w: dict[str, Fraction] = {u.kommunenummer: Fraction(0) for u in units}
    for c in rules.criteria:
        if c.weight <= 0:
            continue
        shares = _shares({k: v[c.column] for k, v in values.items()}, c.direction)
        for k in w:
            w[k] += Fraction(c.weight) / total_weight * shares[k]
    balance = Fraction(rules.regional_balance)
    if balance > 0:
        members: dict[str, int] = {}
        for u in units:
            members[_region(u)] = members.get(_region(u), 0) + 1
        for u in units:
            equal = Fraction(1, len(members) * members[_region(u)])
            w[u.kommunenummer] = (1 - balance) * w[u.kommunenummer] + balance * equal
    return w


def _fill(
    lower: Mapping[str, int], upper: Mapping[str, int | None], w: Mapping[str, Fraction], amount: int
) -> dict[str, Fraction]:
    """Share ``amount`` out as x_i = min(U_i − L_i, λ·w_i) over the units with weight, solving λ exactly."""
    given: dict[str, Fraction] = {k: Fraction(0) for k in lower}
    active = [k for k in lower if w[k] > 0 and (upper[k] is None or upper[k] > lower[k])]  # type: ignore[operator]
    # A unit saturates when λ reaches (U − L)/w; walk the saturation points in order.
    saturating = sorted(
        (Fraction(upper[k] - lower[k], 1) / w[k], k)  # type: ignore[operator]
        for k in active
        if upper[k] is not None
    )
    slope = sum((w[k] for k in active), Fraction(0))
    filled = Fraction(0)  # Σ min(U − L, λw) at the current λ
    lam = Fraction(0)
    remaining = Fraction(amount)
    for point, k in saturating:
        reach = filled + slope * (point - lam)
        if reach >= remaining:
            break
        filled, lam = reach, point
        slope -= w[k]
    # With no slope left everyone with weight is full; the caller shares out what is left.
    if slope > 0:
        lam += (remaining - filled) / slope
    for k in active:
        room = upper[k]
        share = lam * w[k]
        given[k] = share if room is None else min(Fraction(room - lower[k]), share)
    return given


def _round(exact: Mapping[str, Fraction], total: int) -> dict[str, int]:
    """Largest remainder to whole numbers that add up to ``total``; ties go to the lower municipality number."""
    floors = {k: math.floor(v) for k, v in exact.items()}
    left = total - sum(floors.values())
    order = sorted(exact, key=lambda k: (-(exact[k] - floors[k]), k))
    for k in order[:left]:
        floors[k] += 1
    return floors


def recommend(
    units: Sequence[Unit], *, total: int, rules: Rules, overrides: Mapping[str, Override] | None = None
) -> Recommendation:
    """Whole numbers per municipality that add up to ``total`` and respect ``rules``, or ``Infeasible``."""
    overrides = overrides or {}
    if total < 0:
        raise RulesError("Totalen kan ikke være negativ.")
    if len({u.kommunenummer for u in units}) != len(units):
        raise RulesError("Hver kommune kan bare stå én gang.")
    bounds = {u.kommunenummer: _bounds(u, rules, overrides.get(u.kommunenummer)) for u in units}
    _check_feasible(units, bounds, total, rules)
    values, unknown = _criterion_values(units, rules)
    w = weights(units, rules)
    lower = {k: b.lower for k, b in bounds.items()}
    upper = {k: b.upper for k, b in bounds.items()}
    rest = total - sum(lower.values())
    extra = _fill(lower, upper, w, rest)
    left = rest - sum(extra.values())
    if left > 0:
        # Everyone with weight is at their upper bound: share the rest equally among those without weight.
        equal = {k: Fraction(1) if w[k] == 0 else Fraction(0) for k in lower}
        more = _fill(lower, upper, equal, int(left))
        extra = {k: extra[k] + more[k] for k in extra}
    numbers = _round({k: lower[k] + extra[k] for k in lower}, total)
    allocations = []
    for u in units:
        k = u.kommunenummer
        b = bounds[k]
        n = numbers[k]
        allocations.append(
            Allocation(
                kommunenummer=k,
                name=u.name,
                region=u.region,
                recommended=n,
                last_request=u.last_request,
                decision=u.decision,
                lower=b.lower,
                upper=b.upper,
                bound=_what_set(b, n),
                from_share=n - b.lower,
                criteria=dict(values[k]),
                unknown=unknown[k],
                note=overrides[k].reason if k in overrides else "",
            )
        )
    return Recommendation([explain(a, rules=rules, shared=rest) for a in allocations], total, rest, rules)


def _what_set(b: _Bounds, n: int) -> str:
    if b.lower_by in ("override", "below_minimum"):
        return b.lower_by
    if b.upper is not None and n == b.upper and n > b.lower:
        return b.upper_by
    if n == b.lower:
        return b.lower_by or "share"
    return "share"


def _check_feasible(units: Sequence[Unit], bounds: Mapping[str, _Bounds], total: int, rules: Rules) -> None:
    floor_sum = sum(b.lower for b in bounds.values())
    if floor_sum > total:
        over = floor_sum - total
        last_sum = sum(min(u.last_request, bounds[u.kommunenummer].lower) for u in units)
        if rules.last_year_floor and last_sum > total:
            raise Infeasible(
                [
                    f"Summen av fjorårets anmodninger er {last_sum - total} høyere enn totalen ({total}), "
                    "og regelen om at ingen skal gå ned fra i fjor kan da ikke holde. "
                    f"Øk totalen til minst {floor_sum}, eller slå av regelen."
                ]
            )
        raise Infeasible(
            [
                f"Gulvene (fjorårets anmodning, minstetallet {rules.minimum} og overstyringer) er til sammen "
                f"{floor_sum}, som er {over} høyere enn totalen ({total}). "
                f"Øk totalen til minst {floor_sum}, senk minstetallet eller fjern overstyringer."
            ]
        )
    if all(b.upper is not None for b in bounds.values()):
        cap_sum = sum(b.upper for b in bounds.values() if b.upper is not None)
        if cap_sum < total:
            short = total - cap_sum
            kinds = {b.upper_by for b in bounds.values()}
            if "stability" not in kinds:
                what = "Summen av kommunestyrevedtakene"
                if "override" in kinds:
                    what += " og overstyringene"
                raise Infeasible([f"{what} er {short} lavere enn totalen ({total})."])
            raise Infeasible(
                [
                    "Kommunestyrevedtakene og stabilitetsregelen (høyst "
                    f"{_limit_text(rules)} mer enn i fjor) gir plass til {cap_sum}, som er {short} lavere enn "
                    f"totalen ({total}). Senk totalen, eller tillat større endring fra i fjor."
                ]
            )


def _limit_text(rules: Rules) -> str:
    parts = []
    if rules.max_change is not None:
        parts.append(str(rules.max_change))
    if rules.max_change_share is not None:
        parts.append(f"{round(rules.max_change_share * 100)} %")
    return " eller ".join(parts)


def with_minors(
    result: Recommendation, units: Sequence[Unit], decisions: Mapping[str, int | None], *, total: int
) -> Recommendation:
    """How many of each municipality's number should be unaccompanied minors ("herav enslige mindreårige").

    Only a municipality whose council has decided to take minors (``decisions``; None: no decision) is
    asked, never for more than it decided nor more than its whole number; the same criteria share them out.
    """
    numbers = {a.kommunenummer: a.recommended for a in result.allocations}
    caps = [
        dataclasses.replace(
            u, last_request=0, decision=min(decisions.get(u.kommunenummer) or 0, numbers[u.kommunenummer])
        )
        for u in units
    ]
    rules = dataclasses.replace(result.rules, decision_caps=True, last_year_floor=False, minimum=0)
    rules = dataclasses.replace(rules, max_change=None, max_change_share=None)
    try:
        minors = recommend(caps, total=total, rules=rules)
    except Infeasible as error:
        room = sum(u.decision or 0 for u in caps)
        raise Infeasible(
            [
                f"Kommunestyrevedtakene om enslige mindreårige gir plass til {room} innenfor de anbefalte tallene, "
                f"som er {total - room} lavere enn antallet enslige mindreårige ({total})."
            ]
        ) from error
    got = {a.kommunenummer: a.recommended for a in minors.allocations}
    allocations = []
    for a in result.allocations:
        n = got[a.kommunenummer]
        decided = decisions.get(a.kommunenummer)
        if n:
            note = f" Av disse er {n} enslige mindreårige (kommunestyret har vedtatt inntil {decided})."
        elif decided:
            note = " Ingen av dem er enslige mindreårige."
        else:
            note = ""
        allocations.append(dataclasses.replace(a, minors=n, explanation=a.explanation + note))
    return dataclasses.replace(result, allocations=allocations, minors=total)
