"""``integer``: a whole number, with optional ``min``, ``max``, ``unit`` and a «Vet ikke» box."""

from __future__ import annotations

import random
import re
from typing import TYPE_CHECKING

from starlette.datastructures import FormData

from analysis.parameters import ScoringRule
from survey_app.i18n import t
from survey_app.question_types import _options
from survey_app.question_types.base import DONT_KNOW, Kind, SyntheticTexts, Value, rule, text_value

if TYPE_CHECKING:
    from survey_app.questionnaires import Question, QuestionnaireDef


def number(raw: str) -> int | str:
    compact = re.sub(r"[\s\u00a0]", "", raw)
    return int(compact) if re.fullmatch(r"-?\d{1,15}", compact) else raw


YEAR_UNITS = frozenset({"år", "årstal", "årstall"})
EARLIEST_YEAR = 1900


def is_year(question: Question) -> bool:
    """Whether an integer question asks for a year (an average year says nothing: «snitt 2011,9»).

    A year by its bounds (``min`` from 1900) or by its unit «år», unless its ``max`` shows a number of
    years instead (a duration: «hvor mange år», max 50).
    """
    if question.type != Integer.name:
        return False
    if question.min is not None and question.min >= EARLIEST_YEAR:
        return True
    unit = str(question.unit).strip().casefold() if question.unit else ""
    return unit in YEAR_UNITS and (question.max is None or question.max >= EARLIEST_YEAR)


class Integer(Kind):
    name = "integer"
    macro = "integer"
    layout = "number"
    fields = frozenset({"min", "max", "unit", "dont_know", "prefill"})
    scoring = "range"
    tally = "number"
    answer_seconds = 30  # a figure looked up beforehand, typed in

    def check(self, question: Question) -> str | None:
        if question.min is not None and question.max is not None and question.min > question.max:
            return "«min» er større enn «max»"
        return None

    def keys(self, question: Question) -> list[str]:
        return [question.id]

    def choices(
        self, definition: QuestionnaireDef | None, question: Question, lang: str = "nb"
    ) -> list[tuple[str, str]]:
        return [(DONT_KNOW, t("dont_know", lang))] if question.dont_know else []

    def parse(self, question: Question, key: str, form: FormData) -> Value:
        if not question.dont_know:
            raw = text_value(form.get(key))
            return None if raw is None else number(raw)
        # A number field with a «Vet ikke» box: the number, ``vet_ikke``, or both as typed (then flagged).
        entries = [v for v in form.getlist(key) if isinstance(v, str)]
        dont_know = DONT_KNOW in entries
        raw = text_value(next((v for v in entries if v != DONT_KNOW), None))
        if raw is None:
            return DONT_KNOW if dont_know else None
        # A number and a ticked box cannot both be meant; both are kept, so nothing typed is lost.
        return [raw, DONT_KNOW] if dont_know else number(raw)

    def validate(
        self, definition: QuestionnaireDef, question: Question, key: str, value: Value, lang: str
    ) -> str | None:
        if question.dont_know and value == DONT_KNOW:
            return None
        if question.dont_know and isinstance(value, list):
            return t("number_or_dont_know", lang)
        if not isinstance(value, int):
            return t("whole_number", lang)
        if question.min is not None and value < question.min:
            return t("number_min", lang, min=question.min)
        if question.max is not None and value > question.max:
            return t("number_max", lang, max=question.max)
        return None

    def display(
        self, definition: QuestionnaireDef, question: Question, key: str, value: Value, lang: str
    ) -> str:
        if isinstance(value, list):
            return ", ".join(t("dont_know", lang) if v == DONT_KNOW else v for v in value)
        if not isinstance(value, int):
            return super().display(definition, question, key, value, lang)
        # Norwegian groups thousands with a space, but a year (2020) is written without one.
        shown = f"{value:,}".replace(",", "\u00a0") if abs(value) >= 10_000 else str(value)
        # A year is a year: «2013», not «2013 år».
        if not question.unit or is_year(question):
            return shown
        return f"{shown} {_options.in_lang(question.unit, lang)}"

    def rules(self, definition: QuestionnaireDef, question: Question) -> list[ScoringRule]:
        assert question.parameter is not None and question.parameter.range is not None
        low, high = question.parameter.range
        return [rule(question, question.id, "linear", low=low, high=high)]

    def codebook(self, definition: QuestionnaireDef, question: Question, lang: str) -> str:
        parts = [t("code_integer", lang)]
        if question.min is not None:
            parts.append(t("code_min", lang, n=question.min))
        if question.max is not None:
            parts.append(t("code_max", lang, n=question.max))
        if question.unit:
            parts.append(t("code_unit", lang, unit=_options.in_lang(question.unit, lang)))
        if question.dont_know:
            parts.append(f"{DONT_KNOW} = {t('dont_know', lang)}")
        return ", ".join(parts)

    def value_choices(
        self, definition: QuestionnaireDef, question: Question, lang: str
    ) -> list[tuple[str, str]]:
        return []

    def answer_space(self, definition: QuestionnaireDef, question: Question) -> frozenset[str]:
        return frozenset()

    def hint(self, question: Question, lang: str) -> str:
        # Plain digits: most limits are years, which are never grouped («1990», not «1 990»).
        if question.min is not None and question.max is not None:
            return t("blank_integer_between", lang, min=question.min, max=question.max)
        if question.min is not None:
            return t("blank_integer_min", lang, min=question.min)
        if question.max is not None:
            return t("blank_integer_max", lang, max=question.max)
        return t("blank_integer", lang)

    def synthetic(
        self,
        definition: QuestionnaireDef,
        question: Question,
        key: str,
        rng: random.Random,
        texts: SyntheticTexts,
    ) -> Value:
        if question.dont_know and rng.random() < 0.07:
            return DONT_KNOW
        low = question.min if question.min is not None else 0
        high = question.max if question.max is not None else 100
        if high - low > 200 and low < 1900:  # counts: keep them realistic, not uniform up to max
            high = low + 60
        return rng.randint(low, high)


KIND = Integer()
