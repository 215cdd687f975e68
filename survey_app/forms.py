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
from survey_app.questionnaires import DONT_KNOW, OTHER, Question, QuestionnaireDef

VERSION_PREFIX = "v:"
# Longer than any honest answer; above it the value is refused (not stored) with a message.
HARD_LIMIT = 50_000
DEFAULT_MAX_LENGTH = {"text": 300, "longtext": 10_000}

Value = str | int | list[str] | None


async def form_data(request: Request) -> FormData:
    """The request's form, read on the event loop so that the route itself can be a plain ``def``.

    Reading the body is the only thing a form route needs the loop for; a sync route runs in the thread
    pool, where its database, file and network work cannot stall other requests. Starlette keeps the
    parsed form on the request, so the CSRF check and this dependency parse it once.
    """
    return await request.form()


FormDataDep = Annotated[FormData, Depends(form_data)]


def other_key(question: Question) -> str:
    return f"{question.id}.{OTHER}"


FREE_TEXT_TYPES = ("text", "longtext")


def free_text_keys(question: Question) -> list[str]:
    """The answer keys of a question that hold free text: the answer itself, or the «Annet» text."""
    if question.type in FREE_TEXT_TYPES:
        return [question.id]
    return [other_key(question)] if question.type != "matrix" and question.has_other else []


def keys_of(question: Question) -> list[str]:
    if question.type == "matrix":
        return [f"{question.id}.{item.id}" for item in question.items or []]
    return [question.id, other_key(question)] if question.has_other else [question.id]


def question_of_key(definition: QuestionnaireDef, key: str) -> Question | None:
    qid = key.split(".", 1)[0]
    if not definition.has_question(qid):
        return None
    question = definition.question(qid)
    return question if key in keys_of(question) else None


def parse_key(question: Question, key: str, form: FormData) -> Value:
    """The value of one answer key as submitted; an unparseable entry is kept as typed (never dropped)."""
    if key == other_key(question) and question.type != "matrix":
        return _text(form.get(key))
    if question.type == "multi":
        chosen = list(dict.fromkeys(v for v in form.getlist(key) if isinstance(v, str) and v))
        return chosen or None
    if question.type == "integer" and question.dont_know:
        return _number_or_dont_know(form, key)
    raw = _text(form.get(key))
    if raw is None:
        return None
    if question.type in ("likert", "matrix"):
        # Bounded: int() refuses more than 4300 digits, and no scale has a value that long.
        return int(raw) if re.fullmatch(r"-?[0-9]{1,9}", raw) else raw
    if question.type == "integer":
        return _number(raw)
    return raw


def _number(raw: str) -> int | str:
    compact = re.sub(r"[\s\u00a0]", "", raw)
    return int(compact) if re.fullmatch(r"-?\d{1,15}", compact) else raw


def _number_or_dont_know(form: FormData, key: str) -> Value:
    """A number field with a «Vet ikke» box: the number, ``vet_ikke``, or both as typed (then flagged)."""
    entries = [v for v in form.getlist(key) if isinstance(v, str)]
    dont_know = DONT_KNOW in entries
    raw = _text(next((v for v in entries if v != DONT_KNOW), None))
    if raw is None:
        return DONT_KNOW if dont_know else None
    # A number and a ticked box cannot both be meant; both are kept, so nothing typed is lost.
    return [raw, DONT_KNOW] if dont_know else _number(raw)


def _text(raw: object) -> str | None:
    if not isinstance(raw, str):
        return None
    # Control characters (pasted from word processors) would break XML exports (XLSX, archive PDF).
    text = _CONTROL.sub("", raw.replace("\r\n", "\n"))
    return text if text.strip() else None


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


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
    if key == other_key(question) and question.type != "matrix":
        return _length_problem(value, 1_000, lang)
    kind = question.type
    if kind in ("likert", "matrix"):
        scale = definition.scale_of(question)
        ok = value in scale.labels or (scale.dont_know and value == DONT_KNOW)
        return None if ok else t("choose_one", lang)
    if kind in ("single", "jadelvisnei"):
        return None if value in {v for v, _ in question.choice_values()} else t("choose_one", lang)
    if kind == "multi":
        allowed = {v for v, _ in question.choice_values()}
        if not (isinstance(value, list) and set(value) <= allowed):
            return t("choose_among", lang)
        if question.max_choices is not None and len(value) > question.max_choices:
            return t("too_many_choices", lang, limit=question.max_choices, chosen=len(value))
        return None
    if kind == "integer":
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
    return _length_problem(value, question.max_length or DEFAULT_MAX_LENGTH[kind], lang)


def _length_problem(value: Value, limit: int, lang: str) -> str | None:
    if isinstance(value, str) and len(value) > limit:
        return t("text_too_long", lang, length=len(value), limit=limit)
    return None


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
    if key == other_key(question) and question.type != "matrix":
        return str(value)
    if value == DONT_KNOW and (question.type in ("likert", "matrix") or question.dont_know):
        return t("dont_know", lang)
    if question.type == "integer" and isinstance(value, list):
        return ", ".join(t("dont_know", lang) if v == DONT_KNOW else v for v in value)
    if question.type in ("likert", "matrix"):
        label = definition.scale_of(question).labels.get(value) if isinstance(value, int) else None
        return f"{value} – {label}" if label else str(value)
    if question.type in ("single", "multi", "jadelvisnei"):
        labels = dict(question.choice_values(lang))
        chosen = value if isinstance(value, list) else [str(value)]
        return ", ".join(labels.get(v, v) for v in chosen)
    if question.type == "integer" and isinstance(value, int):
        # Norwegian groups thousands with a space, but a year (2020) is written without one.
        number = f"{value:,}".replace(",", "\u00a0") if abs(value) >= 10_000 else str(value)
        return f"{number} {question.unit}" if question.unit else number
    return str(value)
