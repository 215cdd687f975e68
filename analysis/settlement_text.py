"""The begrunnelse: each municipality's number explained in plain bokmål, naming the rules that set it."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from analysis.settlement import Allocation, Recommendation, Rules


def number(value: float, decimals: int = 1) -> str:
    """Norwegian style: a no-break space between thousands, a decimal comma, at most ``decimals`` decimals."""
    rounded = round(value, decimals)
    text = f"{rounded:,.{decimals}f}" if rounded != int(rounded) else f"{int(rounded):,}"
    return text.replace(",", "\u00a0").replace(".", ",").replace("-", "−")


def percent(share: float) -> str:
    return f"{number(share * 100)} %"


def signed(change: float) -> str:
    if change == 0:
        return "±0"
    return f"+{number(change)}" if change > 0 else number(change)


def signed_percent(share: float) -> str:
    return "±0 %" if round(share * 100, 1) == 0 else f"{signed(round(share * 100, 1))} %"


def weight_shares(rules: Rules) -> dict[str, float]:
    """Each weighted criterion's share of the adjustment."""
    total = sum(c.weight for c in rules.weighted)
    return {c.column: c.weight / total for c in rules.weighted}


def _criteria_text(a: Allocation, rules: Rules) -> str:
    shares = weight_shares(rules)
    parts = []
    for c in rules.weighted:
        score = a.scores.get(c.column)
        if score is None or score.share_below is None:
            parts.append(f"{c.label.lower()} ukjent, ingen justering (vekt {percent(shares[c.column])})")
            continue
        value = number(score.value or 0) + (" per 1\u00a0000 innbyggere" if c.per_capita else "")
        where = f"bedre enn {percent(score.share_below)} av kommunene"
        parts.append(f"{c.label.lower()} {value}, {where} (vekt {percent(shares[c.column])})")
    return "; ".join(parts)


def _baseline_text(a: Allocation, result: Recommendation) -> str:
    f = number(result.factor, 3)
    if a.baseline_from == "last_request":
        return (
            f"Grunnlaget er {number(a.baseline)}: fjorårets anmodning ganget med {f}, forholdet mellom årets "
            f"total ({number(result.total)}) og summen av fjorårets anmodninger."
        )
    if a.baseline_from == "population" and result.rate is not None:
        return (
            f"Grunnlaget er {number(a.baseline)}: {number(a.population or 0)} innbyggere ganget med fylkets "
            f"rate i fjor ({number(result.rate, 2)} per 1\u00a0000 innbyggere) og med den felles faktoren {f}."
        )
    return "Innbyggertallet er ukjent, så kommunen har ikke noe grunnlag."


def explain(a: Allocation, *, result: Recommendation) -> Allocation:
    """``a`` with its begrunnelse."""
    rules = result.rules
    if a.last_request > 0:
        head = f"Anbefalt {a.recommended}, {signed(a.change)} fra fjorårets anmodning ({a.last_request})."
    else:
        head = f"Anbefalt {a.recommended}; kommunen ble ikke anmodet i fjor."
    body: list[str] = []
    if a.bound == "override":
        body.append(f"Satt manuelt av fylkeskommunen: {a.note}")
        if a.decision is not None and a.recommended > a.decision:
            body.append(f"Det er over kommunestyrets vedtak ({a.decision}).")
        return dataclasses.replace(a, explanation=" ".join([head, *body]))
    if a.bound == "not_asked":
        body.append(_not_asked(a, rules))
        return dataclasses.replace(a, explanation=" ".join([head, *body]))
    body.append(_baseline_text(a, result))
    if rules.weighted:
        move = signed_percent(a.adjustment)
        body.append(
            f"Kriteriene justerer grunnlaget med {move} (høyst ±{percent(rules.max_adjustment)}): "
            f"{_criteria_text(a, rules)}."
        )
    if abs(a.region_factor - 1) >= 0.0005:
        body.append(
            f"Regionbåndet (høyst ±{percent(rules.region_band or 0)} endring i regionens andel) skalerer målet "
            f"med {number(a.region_factor, 3)}."
        )
    body.append(_bound_text(a, result))
    return dataclasses.replace(a, explanation=" ".join(p for p in [head, *body] if p))


def _not_asked(a: Allocation, rules: Rules) -> str:
    if a.decision == 0 and rules.decision_caps:
        return "Kommunestyret har vedtatt ikke å bosette flyktninger; kommunen anmodes ikke."
    if a.decision is not None and rules.decision_caps and a.decision < rules.minimum:
        return (
            f"Kommunestyret har vedtatt {a.decision}, færre enn minstetallet {rules.minimum}; kommunen anmodes "
            "derfor ikke (en kommune anmodes om 0 eller minst minstetallet)."
        )
    if rules.asked == "vedtak" and a.decision is not None:
        return f"Kommunen anmodes ikke: kommunestyrets vedtak ({a.decision}) er under minstetallet {rules.minimum}."
    return (
        f"Kommunen anmodes ikke: grunnlaget ({number(a.baseline)}) er under minstetallet {rules.minimum}, "
        "og en kommune anmodes om 0 eller minst minstetallet."
    )


def _bound_text(a: Allocation, result: Recommendation) -> str:
    rules = result.rules
    if a.bound == "decision":
        if a.decision is not None and a.decision < a.last_request:
            return f"Kommunestyrets vedtak ({a.decision}) er lavere enn fjorårets anmodning og gjelder."
        return f"Kommunestyrets vedtak ({a.decision}) er taket."
    if a.bound == "stability":
        if a.recommended >= a.last_request:
            return f"Stabilitetsregelen gir høyst {a.upper} (største endring fra i fjor)."
        return f"Stabilitetsregelen gir minst {a.lower} (største nedgang fra i fjor)."
    if a.bound == "floor":
        return f"Fjorårets anmodning ({a.last_request}) er gulvet: ingen kommune går ned fra i fjor."
    if a.bound == "minimum":
        return f"En kommune som anmodes, anmodes om minst {rules.minimum}."
    if abs(result.scale - 1) >= 0.0005:
        return (
            f"Tallet er målet ({number(a.target)}) ganget med {number(result.scale, 3)}, slik at summen blir "
            "totalen når tak og gulv for de andre kommunene holder."
        )
    return ""


def minors_note(minors: int, decided: int | None) -> str:
    if minors:
        return f" Av disse er {minors} enslige mindreårige (kommunestyret har vedtatt inntil {decided})."
    if decided:
        return " Ingen av dem er enslige mindreårige."
    return ""
