"""``matrix``: several rows (``items``), each answered with one point on the same scale.

Each row is an answer key of its own (``<question>.<item>``), so colleagues filling in different rows never
collide. A matrix is one question: its ``parameter.weight`` is shared by its rows (each row weighs
weight ÷ rows) unless ``weight_per_row`` says every row carries the whole weight.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from analysis.parameters import ScoringRule
from survey_app.i18n import t
from survey_app.question_types import _options
from survey_app.question_types.likert import Likert

if TYPE_CHECKING:
    from survey_app.questionnaires import Question, QuestionnaireDef


class Matrix(Likert):
    name = "matrix"
    macro = "matrix"
    layout = "matrix"
    fields = frozenset({"scale", "items", "not_applicable", "intermunicipal"})
    required = frozenset({"scale", "items"})
    conditions = False

    def seconds(self, question: Question) -> float:
        return 8 * len(question.items or [])

    def keys(self, question: Question) -> list[str]:
        return [f"{question.id}.{item.id}" for item in question.items or []]

    def free_text_keys(self, question: Question) -> list[str]:
        return []

    def is_other(self, question: Question, key: str) -> bool:
        return False  # a row may be called «annet»; it is a row like the others

    def key_label(self, question: Question, key: str, lang: str) -> str:
        item = next((i for i in question.items or [] if key == f"{question.id}.{i.id}"), None)
        return _options.in_lang(item.text, lang) if item is not None else key

    def rules(self, definition: QuestionnaireDef, question: Question) -> list[ScoringRule]:
        mapping = question.parameter
        assert mapping is not None
        keys = self.keys(question)
        weight = mapping.weight if mapping.weight_per_row else mapping.weight / len(keys)
        return [self.key_rule(definition, question, key, weight) for key in keys]

    def hint(self, question: Question, lang: str) -> str:
        return t("blank_choose_per_row", lang)


KIND = Matrix()
