"""The begrunnelse: each municipality's number explained in plain bokmål, naming the rules that set it."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from analysis.settlement import Allocation, Rules


def number(value: float) -> str:
    """Norwegian style: a thin space between thousands, a decimal comma, at most one decimal."""
    rounded = round(value, 1)
    text = f"{rounded:,.1f}" if rounded != int(rounded) else f"{int(rounded):,}"
    return text.replace(",", "\u00a0").replace(".", ",")


def percent(share: float) -> str:
    return f"{number(share * 100)} %"


def signed(change: int) -> str:
    return f"+{change}" if change > 0 else ("±0" if change == 0 else f"−{-change}")


def criteria_text(a: Allocation, rules: Rules) -> str:
    total = sum(c.weight for c in rules.criteria if c.weight > 0)
    parts = []
    for c in rules.criteria:
        if c.weight <= 0:
            continue
        weight = percent((1 - rules.regional_balance) * c.weight / total)
        if c.column in a.unknown:
            value = "ukjent, regnet som en gjennomsnittlig andel"
        else:
            value = number(a.criteria[c.column] or 0)
        better = ", lavt er best" if c.direction == "lav" else ""
        parts.append(f"{c.label.lower()} {value} (vekt {weight}{better})")
    if rules.regional_balance > 0:
        parts.append(f"lik andel per region (vekt {percent(rules.regional_balance)})")
    return ", ".join(parts)


def _floor_reason(a: Allocation, rules: Rules) -> str:
    if a.lower == 0:
        return ""
    reason = {
        "floor": "fjorårets anmodning",
        "minimum": "minstetallet for en kommune som anmodes",
        "stability": "den største nedgangen stabilitetsregelen tillater",
        "decision": f"kommunestyrets vedtak, som er lavere enn fjorårets anmodning ({a.last_request}) og gjelder",
    }[_lower_by(a, rules)]
    return f"Gulvet er {a.lower}, {reason}."


def _lower_by(a: Allocation, rules: Rules) -> str:
    if (
        a.decision is not None
        and rules.decision_caps
        and a.lower == a.decision
        and a.decision < a.last_request
    ):
        return "decision"
    if rules.last_year_floor and a.last_request > 0 and a.lower == a.last_request:
        return "floor"
    if a.lower == rules.minimum:
        return "minimum"
    return "stability"


def explain(a: Allocation, *, rules: Rules, shared: int) -> Allocation:
    """``a`` with its begrunnelse."""
    if a.last_request > 0:
        head = f"Anbefalt {a.recommended}, {signed(a.change)} fra fjorårets anmodning ({a.last_request})."
    else:
        head = f"Anbefalt {a.recommended}; kommunen ble ikke anmodet i fjor."
    body: list[str] = []
    if a.bound == "override":
        body.append(f"Satt manuelt av fylkeskommunen: {a.note}")
        if a.decision is not None and a.recommended > a.decision:
            body.append(f"Det er over kommunestyrets vedtak ({a.decision}).")
    elif a.bound == "below_minimum":
        if a.decision == 0:
            body.append("Kommunestyret har vedtatt ikke å bosette flyktninger; anbefalingen følger vedtaket.")
        else:
            body.append(
                f"Kommunestyret har vedtatt {a.decision}, færre enn minstetallet {rules.minimum}; "
                "anbefalingen følger vedtaket."
            )
    else:
        floor = _floor_reason(a, rules)
        if floor:
            body.append(floor)
        room = a.upper is None or a.upper > a.lower
        if a.from_share > 0:
            extra = "I tillegg" if floor else "Tallet er"
            body.append(
                f"{extra} {a.from_share} av de {shared} plassene som er fordelt etter kriteriene: "
                f"{criteria_text(a, rules)}."
            )
        elif shared > 0 and room:
            body.append(f"Kriteriene ga ingen plasser i tillegg ({criteria_text(a, rules)}).")
        if a.bound == "decision" and a.from_share > 0:
            body.append(f"Kommunestyrets vedtak ({a.decision}) er taket.")
        elif a.bound == "stability":
            body.append(f"Stabilitetsregelen gir høyst {a.upper} (største endring fra i fjor).")
    return dataclasses.replace(a, explanation=" ".join([head, *body]))
