"""``single``: one answer among the question's options (radio buttons)."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from analysis.parameters import ScoringRule
from survey_app.i18n import t
from survey_app.question_types import _options
from survey_app.question_types.base import (
    MISSING_ANSWERS,
    OTHER,
    Kind,
    SyntheticTexts,
    Value,
    declared_missing,
    described,
    missing_choices,
    rule,
)

if TYPE_CHECKING:
    from survey_app.questionnaires import Question, QuestionnaireDef


class Single(Kind):
    name = "single"
    macro = "choice"
    layout = "choices"
    fields = frozenset({"options", "other", "dont_know", "not_applicable", "intermunicipal"})
    required = frozenset({"options"})
    scoring = "choices"
    conditions = True
    tally = "choices"
    fixed_dont_know = False  # «Vet ikke» only where the question asks for it (``dont_know: true``)

    def base_choices(self, question: Question, lang: str) -> list[tuple[str, str]]:
        return _options.options(question, lang)

    def choices(
        self, definition: QuestionnaireDef | None, question: Question, lang: str = "nb"
    ) -> list[tuple[str, str]]:
        missing = declared_missing(question, dont_know=self.fixed_dont_know or question.dont_know)
        return self.base_choices(question, lang) + missing_choices(missing, lang)

    def validate(
        self, definition: QuestionnaireDef, question: Question, key: str, value: Value, lang: str
    ) -> str | None:
        if self.is_other(question, key):
            return super().validate(definition, question, key, value, lang)
        allowed = {v for v, _ in self.choices(definition, question)}
        return None if value in allowed else t("choose_one", lang)

    def display(
        self, definition: QuestionnaireDef, question: Question, key: str, value: Value, lang: str
    ) -> str:
        return _options.shown(
            self.choices(definition, question, lang), value, is_other=self.is_other(question, key)
        )

    def rules(self, definition: QuestionnaireDef, question: Question) -> list[ScoringRule]:
        assert question.parameter is not None
        return [rule(question, question.id, "points", points=question.parameter.scores)]

    def codebook(self, definition: QuestionnaireDef, question: Question, lang: str) -> str:
        return described(self.choices(definition, question, lang))

    def hint(self, question: Question, lang: str) -> str:
        return t("blank_choose_one", lang)

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
        values = [v for v, _ in self.choices(definition, question)]
        missing = [v for v in values if v in MISSING_ANSWERS]
        if missing and rng.random() < 0.07:
            return rng.choice(missing)
        return rng.choice([v for v in values if v not in MISSING_ANSWERS and v != OTHER])


KIND = Single()
