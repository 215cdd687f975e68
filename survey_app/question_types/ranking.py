"""``ranking``: pick and order up to ``max_choices`` of the question's options (one select per place).

The answer is the chosen option values in order, most important first. A ranking says what comes first
for a municipality, not how much it matters, so it feeds no parameter; the results page counts how often
each option was ranked and ranked first, and orders them by points (first place ``max_choices`` points,
the last place one).
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from starlette.datastructures import FormData

from survey_app.i18n import t
from survey_app.question_types import _options
from survey_app.question_types.base import LIST_SEPARATOR, Kind, SyntheticTexts, Value, described

if TYPE_CHECKING:
    from survey_app.questionnaires import Question, QuestionnaireDef


class Ranking(Kind):
    name = "ranking"
    macro = "ranking"
    layout = "ranking"
    fields = frozenset({"options", "max_choices"})
    required = frozenset({"options", "max_choices"})
    tally = "ranking"
    answer_seconds = 40

    def choices(
        self, definition: QuestionnaireDef | None, question: Question, lang: str = "nb"
    ) -> list[tuple[str, str]]:
        return _options.options(question, lang)

    def places(self, question: Question) -> list[int]:
        """The places to fill, 1 to ``max_choices``."""
        return list(range(1, (question.max_choices or 1) + 1))

    def parse(self, question: Question, key: str, form: FormData) -> Value:
        # One select per place, in order; an empty place is skipped, a repeated choice kept (then flagged).
        chosen = [v for v in form.getlist(key) if isinstance(v, str) and v]
        return chosen or None

    def validate(
        self, definition: QuestionnaireDef, question: Question, key: str, value: Value, lang: str
    ) -> str | None:
        allowed = {v for v, _ in self.choices(definition, question)}
        if not (isinstance(value, list) and set(value) <= allowed):
            return t("choose_among", lang)
        if len(set(value)) != len(value):
            return t("ranked_twice", lang)
        if question.max_choices is not None and len(value) > question.max_choices:
            return t("too_many_choices", lang, limit=question.max_choices, chosen=len(value))
        return None

    def display(
        self, definition: QuestionnaireDef, question: Question, key: str, value: Value, lang: str
    ) -> str:
        labels = _options.chosen_labels(self.choices(definition, question, lang), value)
        return ", ".join(f"{place}. {label}" for place, label in enumerate(labels, start=1))

    def codebook(self, definition: QuestionnaireDef, question: Question, lang: str) -> str:
        pairs = described(self.choices(definition, question, lang))
        return f"{pairs} ({t('code_ranked', lang, sep=LIST_SEPARATOR)})"

    def hint(self, question: Question, lang: str) -> str:
        return t("blank_ranking", lang, limit=question.max_choices or 1)

    def synthetic(
        self,
        definition: QuestionnaireDef,
        question: Question,
        key: str,
        rng: random.Random,
        texts: SyntheticTexts,
    ) -> Value:
        values = [v for v, _ in self.choices(definition, question)]
        return rng.sample(values, k=min(question.max_choices or 1, len(values)))


KIND = Ranking()
