"""The settlement recommendation: how many refugees each municipality should be asked to settle.

Stability first. Every municipality starts from its **baseline**, last year's request scaled by one common
factor ``f = total / Σ last year's requests``; a municipality with no request last year starts from its
population times the county's rate (last year's requests per inhabitant). Declared criteria may then move
a municipality up or down from its baseline by at most a declared share (``max_adjustment``, ±20 % by
default), by where it stands among the county's municipalities on each criterion (its percentile rank):

    target_i = baseline_i · (1 + A · Σ_c w_c · s_ic / Σ_c w_c),   s_ic ∈ [−1, 1]

so a criterion never adds shares across municipalities of different size. The county's rules then bound
each number (the council's decision caps it; last year's request is its floor; a municipality that is
asked at all is asked for at least the minimum, and one that is not asked gets 0), and the targets are
scaled by one factor λ, within those bounds, so that the numbers add up to the total:

    x_i = min(U_i, max(L_i, λ · target_i))

The shares are rounded to whole numbers by largest remainder, ties broken by municipality number. The
arithmetic is exact (``Fraction``), which makes the result deterministic in any row order and monotone: a
better value raises a municipality's rank and lowers or keeps everyone else's, so its target rises while
the others' fall or stay, and the common λ can then only move its number up. When the bounds cannot hold
together, ``Infeasible`` says which rules conflict and by how much, in Norwegian, for the adviser.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Literal

from analysis.settlement_text import explain, minors_note, number

INDEX = "integreringsindeks"
Asked = Literal["grunnlag", "vedtak", "alle"]


@dataclass(frozen=True)
class Criterion:
    """A numeric figure that adjusts the baseline; ``direction`` says which end is good.

    ``per_capita`` compares the value per 1,000 inhabitants (a register count such as jobs or places in
    upper secondary) rather than as it stands (a share, a score).
    """

    column: str
    label: str
    weight: float
    direction: Literal["hoy", "lav"] = "hoy"
    per_capita: bool = False


@dataclass(frozen=True)
class Rules:
    """The county's declared rules. Defaults follow the seed county's premises (see docs/recommendation.md)."""

    decision_caps: bool = True  # the council's decision is the most a municipality is asked for
    last_year_floor: bool = True  # never below last year's request, unless the decision is lower
    minimum: int = 10  # a municipality is asked for 0 or at least this many
    asked: Asked = "grunnlag"  # which municipalities are asked (see ``_is_asked``)
    max_adjustment: float = 0.2  # the criteria move a number at most this share from its baseline
    max_change: int | None = None  # stability: at most this many more (or fewer) than last year …
    max_change_share: float | None = None  # … or this share of last year's request, whichever is larger
    criteria: tuple[Criterion, ...] = (Criterion(INDEX, "Integreringsindeks", 0.0),)
    # kommunenummer → {region: share}: how a municipality in two regions counts in each (default: equally)
    region_split: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    # Optional: a region's share of the total stays within this share of its share last year (0.1: ±10 %)
    region_band: float | None = None

    def change_limit(self, last: int) -> int | None:
        limits = [self.max_change] if self.max_change is not None else []
        if self.max_change_share is not None:
            limits.append(math.floor(self.max_change_share * last))
        return max(limits) if limits else None

    @property
    def weighted(self) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if c.weight > 0)


@dataclass(frozen=True)
class Unit:
    """One municipality's figures: last year's request (0: none), the council's decision (None: none),
    its population (None: unknown) and the criteria's values (None: unknown)."""

    kommunenummer: str
    name: str
    region: str
    last_request: int
    decision: int | None
    criteria: Mapping[str, float | None] = field(default_factory=dict)
    population: int | None = None


@dataclass(frozen=True)
class Override:
    """A number set by hand, with the adviser's reason; it replaces the rules for that municipality."""

    number: int
    reason: str


@dataclass(frozen=True)
class Score:
    """Where a municipality stands on one criterion: its value as compared, and its score from −1 to 1."""

    value: float | None  # as compared (per 1,000 inhabitants for a per-capita criterion); None: unknown
    share_below: float | None  # the share of the other municipalities with a worse value
    score: float  # −1 (worst) … 1 (best); 0 when unknown


@dataclass(frozen=True)
class Allocation:
    kommunenummer: str
    name: str
    region: str
    recommended: int
    last_request: int
    decision: int | None
    population: int | None
    baseline: float  # last year's request × f (or population × the county's rate × f)
    baseline_from: Literal["last_request", "population", "none"]
    adjustment: float  # the criteria's move from the baseline, as a share (−0.2 … 0.2)
    target: float  # baseline × (1 + adjustment)
    asked: bool
    region_factor: float  # how far the regional band scaled the target (1: not at all)
    lower: int
    upper: int | None
    # What set the number: override, not_asked, decision, stability, floor, minimum or target
    bound: str
    scores: dict[str, Score]  # per weighted criterion
    criteria: dict[str, float | None]  # every criterion's value as given; None where unknown
    unknown: tuple[str, ...]  # weighted criteria without a value
    note: str = ""  # the adviser's reason, for an override
    minors: int | None = None  # of the number, unaccompanied minors (None: not asked)
    explanation: str = ""  # the begrunnelse, in plain bokmål

    @property
    def change(self) -> int:
        return self.recommended - self.last_request

    @property
    def per_1000(self) -> float | None:
        """The recommended number per 1,000 inhabitants."""
        return self.recommended * 1000 / self.population if self.population else None


@dataclass(frozen=True)
class RegionTotal:
    """A region's subtotal; a municipality in two regions counts in each by its split."""

    name: str
    last_request: float
    recommended: float
    municipalities: int

    @property
    def change(self) -> float:
        return self.recommended - self.last_request


@dataclass(frozen=True)
class Recommendation:
    allocations: list[Allocation]
    total: int
    rules: Rules
    factor: float  # f = total / Σ last year's references
    scale: float  # λ: how far the targets had to be scaled to meet the total within the bounds
    rate: float | None  # the county's requests per 1,000 inhabitants last year (None: no population)
    last_total: int  # Σ last year's requests
    regions: list[RegionTotal]
    minors: int | None = None  # of the total, unaccompanied minors (None: not asked)


class Infeasible(ValueError):
    """The rules cannot all hold; ``conflicts`` says which and by how much, in Norwegian.

    ``floor_rule`` is set when the floor rule (never below last year) is what fails, as in a decline year:
    then the same figures without that rule may still give a recommendation, which the adviser is offered.
    """

    def __init__(self, conflicts: Sequence[str], *, floor_rule: bool = False) -> None:
        super().__init__(" ".join(conflicts))
        self.conflicts = list(conflicts)
        self.floor_rule = floor_rule


class RulesError(ValueError):
    """The rules or the figures do not make sense (a missing column, a negative number)."""


@dataclass
class _Bounds:
    lower: int
    upper: int | None  # None: no upper bound
    upper_by: str  # decision, stability, override, not_asked or ""
    lower_by: str  # floor, minimum, decision, stability, override, not_asked or ""
    floor_part: int = 0  # how much of ``lower`` the floor rule alone asks for


# --- the baseline -------------------------------------------------------------------------------------


def _references(units: Sequence[Unit]) -> tuple[dict[str, Fraction], Fraction | None]:
    """Each unit's reference number (last year's request, or population × the county's rate) and the rate."""
    known = [u for u in units if u.last_request > 0 and u.population]
    people = sum(u.population or 0 for u in known)
    rate = Fraction(sum(u.last_request for u in known), people) if people else None
    refs = {}
    for u in units:
        if u.last_request > 0:
            refs[u.kommunenummer] = Fraction(u.last_request)
        elif u.population and rate is not None:
            refs[u.kommunenummer] = u.population * rate
        else:
            refs[u.kommunenummer] = Fraction(0)
    return refs, rate


# --- the criteria ---------------------------------------------------------------------------------------


def _compared(unit: Unit, c: Criterion) -> Fraction | None:
    value = unit.criteria.get(c.column)
    if value is None:
        return None
    if c.per_capita:
        return Fraction(value) * 1000 / unit.population if unit.population else None
    return Fraction(value)


def _scores(units: Sequence[Unit], c: Criterion) -> dict[str, tuple[Fraction | None, Fraction | None]]:
    """Each unit's compared value and its percentile rank among the known values (0 worst … 1 best).

    A rank, not a distance: one outlier does not squeeze everyone else to the middle, and a unit's own
    better value can only lower the others' ranks, which keeps the allocation monotone.
    """
    values = {u.kommunenummer: _compared(u, c) for u in units}
    known = sorted(v for v in values.values() if v is not None)
    out: dict[str, tuple[Fraction | None, Fraction | None]] = {}
    for k, v in values.items():
        if v is None or len(known) < 2:
            out[k] = (v, None)
            continue
        below = bisect.bisect_left(known, v)
        equal = bisect.bisect_right(known, v) - below - 1  # the others with the same value
        rank = (below + Fraction(equal, 2)) / (len(known) - 1)
        out[k] = (v, rank if c.direction == "hoy" else 1 - rank)
    return out


def _check_criteria(units: Sequence[Unit], rules: Rules) -> None:
    for c in rules.criteria:
        known = [v for u in units if (v := u.criteria.get(c.column)) is not None]
        if any(v < 0 for v in known):
            raise RulesError(
                f"Kriteriet «{c.label}» har negative tall; bare tall fra 0 og oppover kan brukes."
            )
        if not known and c.weight > 0:
            raise RulesError(f"Kriteriet «{c.label}» ({c.column}) mangler for alle kommunene.")


def adjustments(
    units: Sequence[Unit], rules: Rules
) -> tuple[dict[str, Fraction], dict[str, dict[str, Score]]]:
    """Each unit's move from its baseline (a share, at most ``max_adjustment`` either way), and its scores."""
    _check_criteria(units, rules)
    weighted = rules.weighted
    total_weight = sum((Fraction(c.weight) for c in weighted), Fraction(0))
    moves = {u.kommunenummer: Fraction(0) for u in units}
    scores: dict[str, dict[str, Score]] = {u.kommunenummer: {} for u in units}
    reach = Fraction(rules.max_adjustment)
    for c in weighted:
        for k, (value, rank) in _scores(units, c).items():
            score = 2 * rank - 1 if rank is not None else Fraction(0)
            moves[k] += reach * Fraction(c.weight) / total_weight * score
            scores[k][c.column] = Score(
                None if value is None else float(value),
                None if rank is None else float(rank),
                float(score),
            )
    return moves, scores


# --- bounds ---------------------------------------------------------------------------------------------


def _is_asked(unit: Unit, rules: Rules, baseline: Fraction) -> bool:
    """Whether the rules ask this municipality at all (its number is then at least the minimum).

    ``grunnlag``: its baseline reaches the minimum, or the floor rule keeps last year's request;
    ``vedtak``: its council has decided at least the minimum (without a decision, as ``grunnlag``);
    ``alle``: every municipality.
    """
    if rules.asked == "alle":
        return True
    if rules.asked == "vedtak" and unit.decision is not None:
        return unit.decision >= rules.minimum
    return baseline >= rules.minimum or (rules.last_year_floor and unit.last_request > 0)


def _bounds(unit: Unit, rules: Rules, override: Override | None, baseline: Fraction) -> _Bounds:
    if override is not None:
        return _Bounds(override.number, override.number, "override", "override")
    last, decision = unit.last_request, unit.decision
    upper: int | None = None
    upper_by = ""
    limit = rules.change_limit(last)
    if limit is not None:
        upper, upper_by = last + limit, "stability"
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
    # What the floor rule asks for, even where a lower decision has taken over from last year's request.
    floor_part = lower if rules.last_year_floor and last > 0 else 0
    if not _is_asked(unit, rules, baseline) or (upper is not None and upper < rules.minimum):
        # Not asked, or capped below the minimum: 0, never a number from 1 to minimum − 1.
        return _Bounds(0, 0, "not_asked", "not_asked")
    if lower < rules.minimum:
        lower, lower_by = rules.minimum, "minimum"
    if upper is not None and upper < lower:
        upper = lower  # stability never pushes an asked municipality below the minimum
    return _Bounds(lower, upper, upper_by, lower_by, floor_part)


def _all_bounds(
    units: Sequence[Unit], rules: Rules, overrides: Mapping[str, Override], total: int
) -> tuple[dict[str, _Bounds], dict[str, Fraction], Fraction]:
    refs, _ = _references(units)
    reference_sum = sum(refs.values(), Fraction(0))
    factor = Fraction(total) / reference_sum if reference_sum else Fraction(0)
    baselines = {k: r * factor for k, r in refs.items()}
    bounds = {
        u.kommunenummer: _bounds(u, rules, overrides.get(u.kommunenummer), baselines[u.kommunenummer])
        for u in units
    }
    return bounds, baselines, factor


def room(
    units: Sequence[Unit], rules: Rules, overrides: Mapping[str, Override] | None = None, *, total: int = 0
) -> tuple[int, int | None]:
    """The least and the most the rules allow in total (None: no upper limit), for ``total``'s baseline."""
    bounds, _, _ = _all_bounds(units, rules, overrides or {}, total)
    uppers = [b.upper for b in bounds.values()]
    most = None if None in uppers else sum(u for u in uppers if u is not None)
    return sum(b.lower for b in bounds.values()), most


# --- the allocation -------------------------------------------------------------------------------------


def _fill(
    lower: Mapping[str, int], upper: Mapping[str, int | None], target: Mapping[str, Fraction], total: int
) -> tuple[dict[str, Fraction], Fraction]:
    """x_i = min(U_i, max(L_i, λ·t_i)) with Σ x_i = total, solving λ exactly; and λ.

    g(λ) = Σ x_i is continuous and piecewise linear; walk its breakpoints (where a unit leaves its floor
    or reaches its cap) in order until it reaches the total. Units without a target stay at their floor;
    if every unit with a target is capped, what is left goes to them in equal parts.
    """
    events: list[tuple[Fraction, int, str]] = []  # (λ, 0 enter / 1 leave, unit)
    const = Fraction(0)
    slope = Fraction(0)
    for k, t in target.items():
        const += lower[k]
        if t <= 0 or (upper[k] is not None and upper[k] == lower[k]):
            continue
        events.append((Fraction(lower[k]) / t, 0, k))
        if upper[k] is not None:
            events.append((Fraction(upper[k]) / t, 1, k))  # type: ignore[arg-type]
    events.sort()
    lam = Fraction(0)
    remaining = Fraction(total)
    for point, kind, k in events:
        if const + slope * point >= remaining:
            break
        lam = point
        if kind == 0:
            const -= lower[k]
            slope += target[k]
        else:
            const += upper[k]  # type: ignore[operator]
            slope -= target[k]
    if slope > 0:
        # Within this segment g(λ) = const + slope·λ; with no slope left the total was reached at ``lam``,
        # or every unit with a target is at its cap and the idle units take the rest (below).
        lam = (remaining - const) / slope
    x = {k: _clamp(lam * t, lower[k], upper[k]) if t > 0 else Fraction(lower[k]) for k, t in target.items()}
    left = remaining - sum(x.values(), Fraction(0))
    if left > 0:
        idle = {k: Fraction(1) for k, t in target.items() if t <= 0}
        if idle:
            more, _ = _fill(
                {k: 0 for k in idle}, {k: _room(upper[k], lower[k]) for k in idle}, idle, int(left)
            )
            x = {k: v + more.get(k, 0) for k, v in x.items()}
    return x, lam


def _room(upper: int | None, lower: int) -> int | None:
    return None if upper is None else upper - lower


def _clamp(value: Fraction, lower: int, upper: int | None) -> Fraction:
    value = max(value, Fraction(lower))
    return value if upper is None else min(value, Fraction(upper))


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
    for k, o in overrides.items():
        if 0 < o.number < rules.minimum:
            raise RulesError(
                f"Overstyringen for {k} er {o.number}: en kommune anmodes om 0 eller minst {rules.minimum}."
            )
    refs, rate = _references(units)
    if total > 0 and not any(refs.values()) and len(overrides) < len(units):
        raise RulesError(
            "Ingen kommune har en anmodning fra i fjor eller et kjent innbyggertall, så grunnlaget kan ikke "
            "regnes ut. Fyll inn fjorårets anmodning (forrige_anmodning) eller innbyggere."
        )
    bounds, baselines, factor = _all_bounds(units, rules, overrides, total)
    _check_feasible(units, bounds, total, rules)
    moves, scores = adjustments(units, rules)
    targets = {k: b * (1 + moves[k]) for k, b in baselines.items()}
    lower = {k: b.lower for k, b in bounds.items()}
    upper = {k: b.upper for k, b in bounds.items()}
    fill_targets = {k: targets[k] if bounds[k].upper != 0 else Fraction(0) for k in targets}
    region_factors = {k: Fraction(1) for k in targets}
    if rules.region_band is not None:
        region_factors = _region_band(units, bounds, fill_targets, total, rules)
        fill_targets = {k: t * region_factors[k] for k, t in fill_targets.items()}
    exact, lam = _fill(lower, upper, fill_targets, total)
    numbers = _round(exact, total)
    weighted = {c.column for c in rules.weighted}
    allocations = []
    for u in units:
        k = u.kommunenummer
        b = bounds[k]
        n = numbers[k]
        allocation = Allocation(
            kommunenummer=k,
            name=u.name,
            region=u.region,
            recommended=n,
            last_request=u.last_request,
            decision=u.decision,
            population=u.population,
            baseline=float(baselines[k]),
            baseline_from="last_request" if u.last_request > 0 else ("population" if refs[k] else "none"),
            adjustment=float(moves[k]),
            target=float(targets[k]),
            asked=b.lower_by != "not_asked",
            region_factor=float(region_factors[k]),
            lower=b.lower,
            upper=b.upper,
            bound=_what_set(b, exact[k]),
            scores=scores[k],
            criteria={c.column: u.criteria.get(c.column) for c in rules.criteria},
            unknown=tuple(c for c in weighted if scores[k][c].share_below is None),
            note=overrides[k].reason if k in overrides else "",
        )
        allocations.append(allocation)
    last_total = sum(u.last_request for u in units)
    result = Recommendation(
        allocations=[],
        total=total,
        rules=rules,
        factor=float(factor),
        scale=float(lam),
        rate=None if rate is None else float(rate * 1000),
        last_total=last_total,
        regions=region_totals(allocations, rules),
    )
    return replace(result, allocations=[explain(a, result=result) for a in allocations])


def _what_set(b: _Bounds, exact: Fraction) -> str:
    if b.lower_by in ("override", "not_asked"):
        return b.lower_by
    if b.upper is not None and exact == b.upper and b.upper > b.lower:
        return b.upper_by
    if exact == b.lower and b.lower_by:
        return b.lower_by
    return "target"


def _check_feasible(units: Sequence[Unit], bounds: Mapping[str, _Bounds], total: int, rules: Rules) -> None:
    conflicts: list[str] = []
    floor_rule = False
    floor_sum = sum(b.lower for b in bounds.values())
    if floor_sum > total:
        from_floor = sum(b.floor_part for b in bounds.values())
        if rules.last_year_floor and from_floor > total:
            floor_rule = True
            lowered = any(
                b.floor_part < u.last_request for u in units if (b := bounds[u.kommunenummer]).floor_part
            )
            what = (
                "Fjorårets anmodninger (eller vedtaket, der det er lavere) er til sammen"
                if lowered
                else ("Summen av fjorårets anmodninger er")
            )
            conflicts.append(
                f"{what} {from_floor}, som er {from_floor - total} høyere enn totalen ({total}). "
                "Regelen om at ingen kommune går ned fra i fjor kan derfor ikke holde i år."
            )
        else:
            asked = sum(1 for b in bounds.values() if b.lower_by == "minimum")
            fixed = sum(1 for b in bounds.values() if b.lower_by == "override")
            parts = [f"fjorårets anmodning ({from_floor})"] if from_floor else []
            if asked:
                parts.append(f"minstetallet {rules.minimum} for {asked} kommuner")
            if fixed:
                parts.append(f"{fixed} overstyringer")
            conflicts.append(
                f"Gulvene ({', '.join(parts)}) er til sammen {floor_sum}, som er {floor_sum - total} høyere "
                f"enn totalen ({total}). Senk minstetallet, anmod færre kommuner eller fjern overstyringer."
            )
    if all(b.upper is not None for b in bounds.values()):
        cap_sum = sum(b.upper or 0 for b in bounds.values())
        if cap_sum < total:
            short = total - cap_sum
            kinds = {b.upper_by for b in bounds.values()}
            if "stability" in kinds:
                conflicts.append(
                    f"Kommunestyrevedtakene og stabilitetsregelen (høyst {_limit_text(rules)} mer enn i fjor) "
                    f"gir plass til {cap_sum}, som er {short} lavere enn totalen ({total}). Tillat større "
                    "endring fra i fjor, eller be om flere vedtak."
                )
            else:
                what = "Summen av kommunestyrevedtakene"
                if "override" in kinds:
                    what += " og overstyringene"
                outside = sum(1 for b in bounds.values() if b.upper_by == "not_asked")
                note = f" ({outside} kommuner anmodes ikke)" if outside else ""
                conflicts.append(f"{what}{note} er {short} lavere enn totalen ({total}).")
    if conflicts:
        raise Infeasible(conflicts, floor_rule=floor_rule)


def _limit_text(rules: Rules) -> str:
    parts = []
    if rules.max_change is not None:
        parts.append(str(rules.max_change))
    if rules.max_change_share is not None:
        parts.append(f"{round(rules.max_change_share * 100)} %")
    return " eller ".join(parts)


# --- regions --------------------------------------------------------------------------------------------


def memberships(kommunenummer: str, region: str, rules: Rules) -> dict[str, float]:
    """The regions a municipality counts in and by how much: the declared split, or equal parts."""
    declared = rules.region_split.get(kommunenummer)
    if declared:
        return dict(declared)
    names = [r.strip() for r in region.split("/") if r.strip()]
    if not names:
        return {"": 1.0}
    return {n: 1 / len(names) for n in names}


def _region_band(
    units: Sequence[Unit],
    bounds: Mapping[str, _Bounds],
    targets: Mapping[str, Fraction],
    total: int,
    rules: Rules,
) -> dict[str, Fraction]:
    """Per unit, the factor that keeps each region's share of the total within ``region_band`` of its share
    last year: one multiplier per region, on its members' targets (a member of two regions gets the
    split-weighted mean), found by proportional fitting. Regions without requests last year are free.
    ``Infeasible`` names a region whose floors or caps alone break its band."""
    shares = {u.kommunenummer: memberships(u.kommunenummer, u.region, rules) for u in units}
    last_total = sum(u.last_request for u in units)
    if not last_total:
        return {k: Fraction(1) for k in targets}
    last: dict[str, Fraction] = {}
    for u in units:
        for name, share in shares[u.kommunenummer].items():
            last[name] = last.get(name, Fraction(0)) + Fraction(share) * u.last_request
    band = Fraction(rules.region_band or 0)
    limits = {
        name: (value / last_total * total * (1 - band), value / last_total * total * (1 + band))
        for name, value in last.items()
        if value > 0 and name
    }
    conflicts = []
    for name, (low, high) in sorted(limits.items()):
        members = [(k, Fraction(s[name])) for k, s in shares.items() if name in s]
        floor = sum((share * bounds[k].lower for k, share in members), Fraction(0))
        uppers = [bounds[k].upper for k, _ in members]
        if floor > high:
            conflicts.append(
                f"Gulvene i {name} er til sammen {number(float(floor))}, som er {number(float(floor - high))} "
                f"over det regionbåndet tillater (høyst {number(float(high))})."
            )
        elif (
            None not in uppers
            and sum((s * (b or 0) for (_, s), b in zip(members, uppers, strict=True)), Fraction(0)) < low
        ):
            conflicts.append(
                f"Takene i {name} gir for lite til at regionbåndet holder (minst {number(float(low))})."
            )
    if conflicts:
        raise Infeasible(conflicts)
    lower = {k: b.lower for k, b in bounds.items()}
    upper = {k: b.upper for k, b in bounds.items()}
    factor = {name: Fraction(1) for name in limits}

    def unit_factors() -> dict[str, Fraction]:
        return {
            k: sum(
                (Fraction(s) * factor.get(name, Fraction(1)) for name, s in shares[k].items()), Fraction(0)
            )
            for k in targets
        }

    for _ in range(100):
        per_unit = unit_factors()
        x, _ = _fill(lower, upper, {k: t * per_unit[k] for k, t in targets.items()}, total)
        moved = False
        for name, (low, high) in sorted(limits.items()):
            now = sum((Fraction(s[name]) * x[k] for k, s in shares.items() if name in s), Fraction(0))
            goal = high if now > high else (low if now < low else None)
            if goal is not None and now > 0 and abs(now - goal) > Fraction(1, 1000):
                # Rounded to keep the fractions small; the fitting goes on until the totals are within 1/1000.
                factor[name] = Fraction(factor[name] * goal / now).limit_denominator(10**6)
                moved = True
        if not moved:
            return per_unit
    raise Infeasible(
        [
            f"Regionbåndet (høyst ±{round(float(band) * 100)} % endring i regionenes andel) lar seg ikke holde sammen med tak og gulv."
        ]
    )


def region_totals(allocations: Sequence[Allocation], rules: Rules) -> list[RegionTotal]:
    """Each region's subtotal this year and last, by name; «» collects the municipalities in none."""
    last: dict[str, float] = {}
    now: dict[str, float] = {}
    count: dict[str, int] = {}
    for a in allocations:
        for name, share in memberships(a.kommunenummer, a.region, rules).items():
            last[name] = last.get(name, 0.0) + share * a.last_request
            now[name] = now.get(name, 0.0) + share * a.recommended
            count[name] = count.get(name, 0) + 1
    return [RegionTotal(n, last[n], now[n], count[n]) for n in sorted(now, key=lambda n: (n == "", n))]


# --- unaccompanied minors -------------------------------------------------------------------------------


def with_minors(result: Recommendation, decisions: Mapping[str, int | None], *, total: int) -> Recommendation:
    """How many of each municipality's number should be unaccompanied minors ("herav enslige mindreårige").

    Only a municipality whose council has decided to take minors (``decisions``; None: no decision) is
    asked, never for more than it decided nor more than its whole number; the minors are shared in
    proportion to the recommended numbers within those caps.
    """
    numbers = {a.kommunenummer: a.recommended for a in result.allocations}
    caps = {k: min(decisions.get(k) or 0, n) for k, n in numbers.items()}
    room_left = sum(caps.values())
    if total > room_left:
        raise Infeasible(
            [
                f"Kommunestyrevedtakene om enslige mindreårige gir plass til {room_left} innenfor de anbefalte "
                f"tallene, som er {total - room_left} lavere enn antallet enslige mindreårige ({total})."
            ]
        )
    target = {k: Fraction(n) if caps[k] else Fraction(0) for k, n in numbers.items()}
    exact, _ = _fill({k: 0 for k in numbers}, {k: c for k, c in caps.items()}, target, total)
    got = _round(exact, total)
    allocations = [
        replace(
            a,
            minors=got[a.kommunenummer],
            explanation=a.explanation + minors_note(got[a.kommunenummer], decisions.get(a.kommunenummer)),
        )
        for a in result.allocations
    ]
    return replace(result, allocations=allocations, minors=total)
