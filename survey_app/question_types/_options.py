"""What the types answered by picking options share: their options as (value, label), «Annet» included."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from survey_app.i18n import t
from survey_app.question_types.base import OTHER, Value

if TYPE_CHECKING:
    from survey_app.questionnaires import Question


def in_lang(text: object, lang: str) -> str:
    """A questionnaire text in ``lang`` (a translated ``LocalText``), or as it is."""
    chosen = getattr(text, "in_lang", None)
    return chosen(lang) if chosen is not None else str(text)


def options(question: Question, lang: str) -> list[tuple[str, str]]:
    found = [(o.value, in_lang(o.label, lang)) for o in question.options or []]
    if question.other:
        found.append((OTHER, t("other", lang)))
    return found


def chosen_labels(pairs: list[tuple[str, str]], value: Value) -> list[str]:
    labels = dict(pairs)
    chosen = value if isinstance(value, list) else [str(value)]
    return [labels.get(v, v) for v in chosen]


def shown(pairs: list[tuple[str, str]], value: Value, *, is_other: bool) -> str:
    """How a pick answer reads: its options' labels, or the «Annet» text as the respondent wrote it."""
    return str(value) if is_other else ", ".join(chosen_labels(pairs, value))


def listed(form_values: Sequence[object]) -> list[str]:
    """The non-empty entries of a repeated form field, in order, each once."""
    return list(dict.fromkeys(v for v in form_values if isinstance(v, str) and v))
