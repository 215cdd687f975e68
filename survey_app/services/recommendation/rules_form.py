"""The scenario page's form: the total, the minors and the rules as text fields, and back, with errors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, cast

from analysis.settlement import INDEX, Asked, Criterion, Rules
from survey_app.services.recommendation.figures import parse_number, whole_number

ASKED_CHOICES: dict[Asked, str] = {
    "grunnlag": "De som har et grunnlag på minst minstetallet, eller ble anmodet i fjor",
    "vedtak": "De der kommunestyret har vedtatt minst minstetallet",
    "alle": "Alle kommunene",
}


@dataclass(frozen=True)
class RulesForm:
    """What the form gave: the rules (None when a field is wrong), the total, the minors and the errors."""

    rules: Rules | None
    total: int
    minors: int | None
    errors: dict[str, str]


def column_label(column: str, labels: Mapping[str, str] | None = None) -> str:
    if column == INDEX:
        return "Integreringsindeks"
    return (labels or {}).get(column) or column.replace("_", " ").capitalize()


def _text(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if value == int(value) else str(value).replace(".", ",")


def form_values(total: int, minors: int | None, rules: Rules, columns: Sequence[str]) -> dict[str, str]:
    """The scenario form's fields as text, from the stored total and rules."""
    by_column = {c.column: c for c in rules.criteria}
    values = {
        "total": str(total),
        "ema": _text(minors),
        "minstetall": str(rules.minimum),
        "anmodes": rules.asked,
        "maks_justering": _text(round(rules.max_adjustment * 100, 2)),
        "vedtak_er_tak": "ja" if rules.decision_caps else "",
        "fjoraret_er_gulv": "ja" if rules.last_year_floor else "",
        "maks_endring": _text(rules.max_change),
        "maks_endring_andel": _text(
            None if rules.max_change_share is None else round(rules.max_change_share * 100, 2)
        ),
        "regionbaand": _text(None if rules.region_band is None else round(rules.region_band * 100, 2)),
    }
    for column in columns:
        c = by_column.get(column)
        values[f"vekt__{column}"] = _text(c.weight if c else 0)
        values[f"retning__{column}"] = c.direction if c else "hoy"
    return values


def rules_from_form(
    form: Mapping[str, str], columns: Sequence[str], labels: Mapping[str, str], previous: Rules
) -> RulesForm:
    """Rules, total and minors from the scenario form, or the errors by field name (in Norwegian).

    What the form does not show (per-capita criteria, the regions' split) is kept from ``previous``.
    """
    errors: dict[str, str] = {}

    def whole(name: str, message: str, *, blank: int | None) -> int | None:
        try:
            return whole_number(form.get(name, ""), blank=blank)
        except ValueError:
            errors[name] = message
            return None

    def percent(name: str, message: str, *, most: float = 100) -> float | None:
        try:
            value = parse_number(form.get(name, ""))
        except ValueError:
            value = -1.0
        if value is None:
            return None
        if not 0 <= value <= most:
            errors[name] = message
            return None
        return value / 100

    total = whole("total", "Skriv et helt tall, 0 eller mer.", blank=None)
    if total is None and "total" not in errors:
        errors["total"] = "Skriv hvor mange fylket skal fordele."
    minors = whole("ema", "Skriv et helt tall, 0 eller mer, eller la feltet stå tomt.", blank=None)
    minimum = whole("minstetall", "Skriv et helt tall, 0 eller mer.", blank=0)
    max_change = whole("maks_endring", "Skriv et helt tall, eller la feltet stå tomt.", blank=None)
    max_share = percent(
        "maks_endring_andel", "Skriv en prosent fra 0 til 1000, eller la feltet stå tomt.", most=1000
    )
    adjustment = percent("maks_justering", "Skriv en prosent fra 0 til 90.", most=90)
    band = percent("regionbaand", "Skriv en prosent fra 0 til 100, eller la feltet stå tomt.")
    asked = form.get("anmodes", "grunnlag")
    if asked not in ASKED_CHOICES:
        errors["anmodes"] = "Velg hvilke kommuner som anmodes."
    previous_by = {c.column: c for c in previous.criteria}
    criteria = []
    for column in columns:
        try:
            weight = parse_number(form.get(f"vekt__{column}", "")) or 0.0
        except ValueError:
            weight = -1.0
        if not 0 <= weight <= 1000:
            errors[f"vekt__{column}"] = "Skriv en vekt fra 0 til 1000."
            continue
        direction: Literal["hoy", "lav"] = "lav" if form.get(f"retning__{column}") == "lav" else "hoy"
        before = previous_by.get(column)
        label = before.label if before else column_label(column, labels)
        criteria.append(Criterion(column, label, weight, direction, before.per_capita if before else False))
    if errors or total is None:
        return RulesForm(None, total or 0, minors, errors)
    rules = Rules(
        decision_caps=form.get("vedtak_er_tak") == "ja",
        last_year_floor=form.get("fjoraret_er_gulv") == "ja",
        minimum=minimum or 0,
        asked=cast(Asked, asked),
        max_adjustment=previous.max_adjustment if adjustment is None else adjustment,
        max_change=max_change,
        max_change_share=max_share,
        criteria=tuple(criteria),
        region_split=previous.region_split,
        region_band=band,
    )
    return RulesForm(rules, total, minors, {})
