"""``multi``: any number of the question's options, or at most ``max_choices`` (check boxes)."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from starlette.datastructures import FormData

from analysis.parameters import ScoringRule
from survey_app.i18n import t
from survey_app.question_types import _options
from survey_app.question_types.base import (
    LIST_SEPARATOR,
    OTHER,
    Kind,
    SyntheticTexts,
    Value,
    described,
    rule,
    text_value,
)

if TYPE_CHECKING:
    from survey_app.questionnaires import Question, QuestionnaireDef


class Multi(Kind):
    name = "multi"
    macro = "choice"
    layout = "choices"
    fields = frozenset({"options", "other", "max_choices"})
    required = frozenset({"options"})
    scoring = "choices"
    conditions = True
    tally = "choices"
    many = True
    answer_seconds = 15

    def choices(
        self, definition: QuestionnaireDef | None, question: Question, lang: str = "nb"
    ) -> list[tuple[str, str]]:
        return _options.options(question, lang)

    def parse(self, question: Question, key: str, form: FormData) -> Value:
        if self.is_other(question, key):
            return text_value(form.get(key))
        return _options.listed(form.getlist(key)) or None

    def validate(
        self, definition: QuestionnaireDef, question: Question, key: str, value: Value, lang: str
    ) -> str | None:
        if self.is_other(question, key):
            return super().validate(definition, question, key, value, lang)
        allowed = {v for v, _ in self.choices(definition, question)}
        if not (isinstance(value, list) and set(value) <= allowed):
            return t("choose_among", lang)
        if question.max_choices is not None and len(value) > question.max_choices:
            return t("too_many_choices", lang, limit=question.max_choices, chosen=len(value))
        return None

    def display(
        self, definition: QuestionnaireDef, question: Question, key: str, value: Value, lang: str
    ) -> str:
        return _options.shown(
            self.choices(definition, question, lang), value, is_other=self.is_other(question, key)
        )

    def rules(self, definition: QuestionnaireDef, question: Question) -> list[ScoringRule]:
        assert question.parameter is not None
        return [rule(question, question.id, "sum", points=question.parameter.scores)]

    def codebook(self, definition: QuestionnaireDef, question: Question, lang: str) -> str:
        pairs = described(self.choices(definition, question, lang))
        return f"{pairs} ({t('code_many', lang, sep=LIST_SEPARATOR)})"

    def hint(self, question: Question, lang: str) -> str:
        if question.max_choices is not None:
            return t("max_choices_help", lang, limit=question.max_choices)  # as the web form says it
        return t("blank_choose_many", lang)

    def synthetic(
        self,
        definition: QuestionnaireDef,
        question: Question,
        key: str,
        rng: random.Random,
        texts: SyntheticTexts,
    ) -> Value:
        if self.is_other(question, key):
            return texts.other()
        values = [v for v, _ in self.choices(definition, question) if v != OTHER]
        most = min(question.max_choices or 3, 3, len(values))
        return rng.sample(values, k=rng.randint(1, most))


KIND = Multi()
