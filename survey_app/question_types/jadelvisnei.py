"""``jadelvisnei``: the fixed answers «Ja», «Delvis», «Nei» and «Vet ikke» (radio buttons)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from survey_app.i18n import t
from survey_app.question_types.single import Single

if TYPE_CHECKING:
    from survey_app.questionnaires import Question

# The fixed answers: value and the i18n key of its label.
JA_DELVIS_NEI: tuple[tuple[str, str], ...] = (("ja", "yes"), ("delvis", "partly"), ("nei", "no"))


class JaDelvisNei(Single):
    name = "jadelvisnei"
    fields = frozenset({"not_applicable", "intermunicipal"})
    required = frozenset()
    fixed_dont_know = True

    def base_choices(self, question: Question, lang: str) -> list[tuple[str, str]]:
        return [(value, t(key, lang)) for value, key in JA_DELVIS_NEI]


KIND = JaDelvisNei()
