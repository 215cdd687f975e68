"""``likert``: one point on a scale (named under ``scales`` or written on the question), radio buttons."""

from __future__ import annotations

import random
import re
from typing import TYPE_CHECKING, ClassVar

from starlette.datastructures import FormData

from analysis.parameters import ScoringRule
from survey_app.i18n import t
from survey_app.question_types import _options
from survey_app.question_types.base import (
    DONT_KNOW,
    MISSING_ANSWERS,
    Kind,
    Layout,
    SyntheticTexts,
    Value,
    declared_missing,
    described,
    missing_choices,
    rule,
    text_value,
)

if TYPE_CHECKING:
    from survey_app.questionnaires import Question, QuestionnaireDef


class Likert(Kind):
    name = "likert"
    macro = "choice"
    layout: ClassVar[Layout] = "scale"
    fields = frozenset({"scale", "not_applicable", "intermunicipal"})
    required = frozenset({"scale"})
    scoring = "scale"
    tally = "scale"
    numbered = True
    answer_seconds = 8

    def points(self, definition: QuestionnaireDef, question: Question, lang: str) -> list[tuple[str, str]]:
        labels = definition.scale_of(question).labels
        return [(str(p), _options.in_lang(label, lang)) for p, label in sorted(labels.items())]

    def missing(self, definition: QuestionnaireDef, question: Question) -> list[str]:
        scale = definition.scale_of(question)
        return declared_missing(question, dont_know=scale.dont_know, scale_flags=scale)

    def choices(
        self, definition: QuestionnaireDef | None, question: Question, lang: str = "nb"
    ) -> list[tuple[str, str]]:
        assert definition is not None, "a scale is read from the questionnaire"
        return self.points(definition, question, lang) + missing_choices(
            self.missing(definition, question), lang
        )

    def parse(self, question: Question, key: str, form: FormData) -> Value:
        raw = text_value(form.get(key))
        # Bounded: int() refuses more than 4300 digits, and no scale has a value that long.
        return int(raw) if raw is not None and re.fullmatch(r"-?[0-9]{1,9}", raw) else raw

    def validate(
        self, definition: QuestionnaireDef, question: Question, key: str, value: Value, lang: str
    ) -> str | None:
        ok = value in definition.scale_of(question).labels or value in self.missing(definition, question)
        return None if ok else t("choose_one", lang)

    def display(
        self, definition: QuestionnaireDef, question: Question, key: str, value: Value, lang: str
    ) -> str:
        if isinstance(value, str) and value in MISSING_ANSWERS:
            return super().display(definition, question, key, value, lang)
        label = definition.scale_of(question).labels.get(value) if isinstance(value, int) else None
        return f"{value} – {_options.in_lang(label, lang)}" if label else str(value)

    def rules(self, definition: QuestionnaireDef, question: Question) -> list[ScoringRule]:
        return [self.key_rule(definition, question, question.id)]

    def key_rule(
        self, definition: QuestionnaireDef, question: Question, key: str, weight: float | None = None
    ) -> ScoringRule:
        mapping = question.parameter
        assert mapping is not None
        if mapping.scores:
            return rule(question, key, "points", points=mapping.scores, weight=weight)
        labels = definition.scale_of(question).labels
        return rule(question, key, "linear", low=min(labels), high=max(labels), weight=weight)

    def codebook(self, definition: QuestionnaireDef, question: Question, lang: str) -> str:
        return described(self.choices(definition, question, lang))

    def answer_space(self, definition: QuestionnaireDef, question: Question) -> frozenset[str]:
        return frozenset(str(p) for p in definition.scale_of(question).labels)

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
        missing = self.missing(definition, question)
        if DONT_KNOW in missing and rng.random() < 0.07:
            return DONT_KNOW
        if len(missing) > 1 and rng.random() < 0.04:
            return rng.choice(missing[1:])
        points = sorted(definition.scale_of(question).labels)
        # Skewed towards the middle and upper part, as real self-reports are.
        return points[min(len(points) - 1, int(rng.triangular(0, len(points), len(points) * 0.65)))]


KIND = Likert()
