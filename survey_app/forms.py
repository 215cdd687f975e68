"""From HTML form fields to answer values and back, with the Norwegian validation messages.

Every question stores one or more *answer keys*: its id, ``<id>.<item>`` for each row of a matrix, and
``<id>.annet`` for the free text behind «Annet». Each key is saved and versioned on its own, so two
colleagues filling in different rows of one matrix never collide.

Beside every key the form carries a stamp ``v:<key>`` = ``<version>:<fingerprint>``: the version the
page was showing and a fingerprint of the value it showed. A key whose submitted value still matches
the fingerprint was not touched by this person and is not a change (so a stale, untouched field never
overwrites a colleague's answer); a touched key is saved only if its version is still the stored one.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

from survey_app.i18n import t
from survey_app.question_types import kind_of
from survey_app.question_types.base import Value as Value
from survey_app.question_types.base import other_key as other_key
from survey_app.questionnaires import Question, QuestionnaireDef

VERSION_PREFIX = "v:"
# Longer than any honest answer; above it the value is refused (not stored) with a message.
HARD_LIMIT = 50_000


async def form_data(request: Request) -> FormData:
    """The request's form, read on the event loop so that the route itself can be a plain ``def``.

    Reading the body is the only thing a form route needs the loop for; a sync route runs in the thread
    pool, where its database, file and network work cannot stall other requests. Starlette keeps the
    parsed form on the request, so the CSRF check and this dependency parse it once.
    """
    return await request.form()


FormDataDep = Annotated[FormData, Depends(form_data)]


def free_text_keys(question: Question) -> list[str]:
    """The answer keys of a question that hold free text: the answer itself, or the «Annet» text."""
    return kind_of(question).free_text_keys(question)


def keys_of(question: Question) -> list[str]:
    return kind_of(question).keys(question)


def question_of_key(definition: QuestionnaireDef, key: str) -> Question | None:
    qid = key.split(".", 1)[0]
    if not definition.has_question(qid):
        return None
    question = definition.question(qid)
    return question if key in keys_of(question) else None


def parse_key(question: Question, key: str, form: FormData) -> Value:
    """The value of one answer key as submitted; an unparseable entry is kept as typed (never dropped)."""
    return kind_of(question).parse(question, key, form)


def too_large(value: Value) -> bool:
    if isinstance(value, list):
        return sum(len(v) for v in value) > HARD_LIMIT
    return isinstance(value, str) and len(value) > HARD_LIMIT


def fingerprint(value: Value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]


def stamp(version: int, value: Value) -> str:
    return f"{version}:{fingerprint(value)}"


def submitted_changes(
    definition: QuestionnaireDef, form: FormData, only: Question | None = None
) -> dict[str, tuple[Value, int]]:
    """The answer keys this person changed, each with its new value and the version it was based on.

    A key counts only when the form carries its stamp; a key whose value still matches the stamp's
    fingerprint is left out: the person did not touch it.
    """
    questions = [only] if only else list(definition.questions())
    changes: dict[str, tuple[Value, int]] = {}
    for question in questions:
        for key in keys_of(question):
            marker = form.get(VERSION_PREFIX + key)
            if not isinstance(marker, str):
                continue
            version, _, shown = marker.partition(":")
            value = parse_key(question, key, form)
            if shown and fingerprint(value) == shown:
                continue
            # An unreadable version counts as 0: the change is then a conflict unless nothing is stored yet.
            based_on = int(version) if re.fullmatch(r"[0-9]{1,9}", version) else 0
            changes[key] = (value, based_on)
    return changes


def validate(
    definition: QuestionnaireDef, question: Question, key: str, value: Value, lang: str = "nb"
) -> str | None:
    """A message (bokmål or nynorsk) saying what is wrong with a stored value; None when fine or empty."""
    if value is None:
        return None
    return kind_of(question).validate(definition, question, key, value, lang)


def selected(value: Value) -> set[str]:
    """The chosen options of a choice answer, as strings (for show_if and for ticking boxes)."""
    if value is None:
        return set()
    if isinstance(value, list):
        return set(value)
    return {str(value)}


def display_value(
    definition: QuestionnaireDef, question: Question, key: str, value: Value, lang: str = "nb"
) -> str:
    """An answer as a person reads it: option labels instead of codes, «Ikke besvart» for nothing."""
    if value is None:
        return t("not_answered", lang)
    return kind_of(question).display(definition, question, key, value, lang)
