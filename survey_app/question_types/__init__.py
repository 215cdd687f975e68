"""Question types as one registry: one module per type, each a ``Kind`` (see ``base``).

A new type is one module here (parse, validate, read, score, export, print, demo) plus one macro in
``templates/_macros/question_types.html``; the rest of the app asks ``kind_of`` and never tests a type
by name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from survey_app.question_types import integer, jadelvisnei, likert, matrix, multi, ranking, single, text
from survey_app.question_types.base import Kind

if TYPE_CHECKING:
    from survey_app.questionnaires import Question

KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        likert.KIND,
        single.KIND,
        multi.KIND,
        jadelvisnei.KIND,
        integer.KIND,
        text.TEXT,
        text.LONGTEXT,
        matrix.KIND,
        ranking.KIND,
    )
}


def kind_of(question: Question) -> Kind:
    return KINDS[question.type]
