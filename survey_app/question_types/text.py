"""``text`` (one line) and ``longtext`` (a box): free text, read and coded by the advisers, never scored."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, ClassVar

from babel.numbers import format_decimal

from survey_app.i18n import t
from survey_app.question_types.base import Kind, Layout, SyntheticTexts, Value, length_problem

if TYPE_CHECKING:
    from survey_app.questionnaires import Question, QuestionnaireDef


class Text(Kind):
    name = "text"
    macro = "text"
    layout: ClassVar[Layout] = "line"
    fields = frozenset({"max_length"})
    free_text = True
    default_max_length: ClassVar[int] = 300
    answer_seconds = 30

    def keys(self, question: Question) -> list[str]:
        return [question.id]

    def free_text_keys(self, question: Question) -> list[str]:
        return [question.id]

    def validate(
        self, definition: QuestionnaireDef, question: Question, key: str, value: Value, lang: str
    ) -> str | None:
        return length_problem(value, question.max_length or self.default_max_length, lang)

    def display(
        self, definition: QuestionnaireDef, question: Question, key: str, value: Value, lang: str
    ) -> str:
        return str(value)

    def hint(self, question: Question, lang: str) -> str:
        if question.max_length is not None:
            limit = format_decimal(question.max_length, format="#,##0", locale="nb_NO")  # 4 000
            return t("blank_max_length", lang, limit=limit)
        return ""

    def synthetic(
        self,
        definition: QuestionnaireDef,
        question: Question,
        key: str,
        rng: random.Random,
        texts: SyntheticTexts,
    ) -> Value:
        return texts.short(rng)


class LongText(Text):
    name = "longtext"
    macro = "longtext"
    layout = "box"
    carries_themes = True

    def seconds(self, question: Question) -> float:
        # A required reflection takes a few minutes to write; an optional one is often skipped or short.
        return 180 if question.required else 60

    default_max_length = 10_000

    def synthetic(
        self,
        definition: QuestionnaireDef,
        question: Question,
        key: str,
        rng: random.Random,
        texts: SyntheticTexts,
    ) -> Value:
        return texts.long(rng)


TEXT = Text()
LONGTEXT = LongText()
