"""A municipality's response: autosave with lost-update protection, progress, submit and reopen."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from survey_app import audit
from survey_app.db import begin_write
from survey_app.forms import Value, keys_of, other_key, selected, too_large, validate
from survey_app.i18n import t
from survey_app.models import (
    Answer,
    Municipality,
    QuestionnaireVersion,
    Response,
    ResponseStatus,
    Round,
    RoundStatus,
    utcnow,
)
from survey_app.questionnaires import OTHER, Question, QuestionnaireDef, Section
from survey_app.services import prefill
from survey_app.services.catalog import WITHOUT_DEFINITION, definition_of
from survey_app.services.prefill import Prefill


class ReadOnly(Exception):
    """The response cannot be changed now; the message says why, in Norwegian."""


@dataclass(slots=True)
class StoredAnswer:
    """One stored answer as a plain object. Every autosave reads all of its response's answers (a full one
    has ~70); as ORM objects they cost a third of a save's CPU (bench/request_cost.py: 3.3 → 2.3 ms)."""

    id: int
    question_id: str
    value: Value
    version: int
    updated_at: datetime
    updated_by: str


@dataclass
class Draft:
    """A response with everything needed to show or change it."""

    response: Response
    round: Round
    municipality: Municipality
    definition: QuestionnaireDef
    answers: dict[str, StoredAnswer] = field(default_factory=dict)
    # Figures the county knows for prefilled questions (``services.prefill``), whether answered or not.
    known: dict[str, Prefill] = field(default_factory=dict)

    def value(self, key: str) -> Value:
        answer = self.answers.get(key)
        return None if answer is None else answer.value

    def version(self, key: str) -> int:
        answer = self.answers.get(key)
        return 0 if answer is None else answer.version

    def values(self) -> dict[str, Value]:
        return {k: a.value for k, a in self.answers.items()}

    @property
    def lang(self) -> str:
        """The municipality's written standard: its pages and messages are in it."""
        return self.municipality.malform

    @property
    def round_name(self) -> str:
        """The round as the municipality reads it: the questionnaire's title in its målform and the year (the
        round's own title is the staff's working name, in bokmål)."""
        return round_name(self.definition, self.round)

    @property
    def read_only_reason(self) -> str | None:
        if self.response.status == ResponseStatus.submitted:
            return t("read_only_submitted", self.lang)
        if self.round.status == RoundStatus.closed:
            return t("read_only_closed", self.lang)
        return None


def round_name(definition: QuestionnaireDef, round_: Round) -> str:
    """A round's name for a municipality, from a definition already in its målform."""
    return f"{definition.title} {round_.year}"


def load_draft(session: Session, *, response_id: int, read_in: str | None = None) -> Draft:
    """A response to show or change. Its questionnaire is in the municipality's målform, or in ``read_in``
    (staff read any answer in bokmål or nynorsk)."""
    response = session.get(Response, response_id)
    assert response is not None
    round_ = session.get(Round, response.round_id)
    municipality = session.get(Municipality, response.municipality_id)
    assert round_ is not None and municipality is not None
    version = session.get(QuestionnaireVersion, round_.questionnaire_version_id, options=[WITHOUT_DEFINITION])
    assert version is not None
    return draft_of(session, response, round_, municipality, version, read_in=read_in)


def draft_of(
    session: Session,
    response: Response,
    round_: Round,
    municipality: Municipality,
    version: QuestionnaireVersion,
    *,
    read_in: str | None = None,
) -> Draft:
    """The draft of a response whose round, municipality and questionnaire version the caller has read."""
    assert response.id is not None
    # The municipality reads the questionnaire in its own målform: everything built from the draft (pages,
    # messages, receipt, printable form) gets its texts from this one localized definition.
    definition = definition_of(version).in_language(read_in or municipality.malform)
    known = prefill.known(session, definition=definition, municipality=municipality, round_=round_)
    return Draft(response, round_, municipality, definition, _read(session, response.id), known)


# --- what is shown ------------------------------------------------------------------------------


def visible_ids(definition: QuestionnaireDef, values: dict[str, Value]) -> set[str]:
    """Questions shown for these answers (``show_if`` evaluated in questionnaire order).

    A hidden question's answer is stale and satisfies no condition: a question whose only way in is a hidden
    one is hidden too, while an ``any_of`` may still show it through another, shown question.
    """
    shown: set[str] = set()

    def chosen(question_id: str) -> set[str]:
        return selected(values.get(question_id)) if question_id in shown else set()

    for question in definition.questions():
        cond = question.show_if
        if cond is None or cond.holds(chosen):
            shown.add(question.id)
    return shown


def is_answered(question: Question, values: dict[str, Value]) -> bool:
    return all(values.get(k) is not None for k in _main_keys(question))


# Keyed by the question object (parsed definitions live as long as the process); the question is kept in
# the value so its id cannot be reused. The follow-up page asks this for every question of every response.
_main_keys_cache: dict[int, tuple[Question, tuple[str, ...]]] = {}


def _main_keys(question: Question) -> tuple[str, ...]:
    """The answer keys that must hold a value for the question to count as answered (not «Annet» text)."""
    hit = _main_keys_cache.get(id(question))
    if hit is None or hit[0] is not question:
        other = other_key(question) if question.has_other else None
        hit = _main_keys_cache[id(question)] = (question, tuple(k for k in keys_of(question) if k != other))
    return hit[1]


@dataclass(frozen=True)
class Issue:
    section: Section
    question: Question
    message: str


def issues(draft: Draft, *, require: bool = True) -> list[Issue]:
    """What stops submission: invalid values anywhere visible, and (``require``) unanswered required questions."""
    values = draft.values()
    shown = visible_ids(draft.definition, values)
    found: list[Issue] = []
    for section in draft.definition.sections:
        for question in section.questions:
            if question.id not in shown:
                continue
            problem = question_problem(draft.definition, question, values, require=require, lang=draft.lang)
            if problem:
                found.append(Issue(section, question, problem))
    return found


def question_problem(
    definition: QuestionnaireDef,
    question: Question,
    values: dict[str, Value],
    *,
    require: bool,
    lang: str = "nb",
) -> str | None:
    for key in keys_of(question):
        message = validate(definition, question, key, values.get(key), lang)
        if message:
            return message
    if require and question.required and not is_answered(question, values):
        return t("answer_required", lang)
    chose_other = question.has_other and OTHER in selected(values.get(question.id))
    if require and chose_other and values.get(other_key(question)) is None:
        return t("describe_other", lang)
    return None


@dataclass(frozen=True)
class Progress:
    answered: int
    total: int
    required_answered: int
    required_total: int


def progress(draft: Draft, section: Section | None = None) -> Progress:
    return progress_of(draft.definition, draft.values(), section)


def progress_of(
    definition: QuestionnaireDef, values: dict[str, Value], section: Section | None = None
) -> Progress:
    """Answered and required counts over the shown questions (of one section, or all)."""
    shown = visible_ids(definition, values)
    questions = [q for q in (section.questions if section else definition.questions()) if q.id in shown]
    # By id: ``q in answered`` would compare whole pydantic models, once per pair (the follow-up page
    # computes this for every municipality of the round).
    answered = {q.id for q in questions if is_answered(q, values)}
    required = [q for q in questions if q.required]
    return Progress(
        len(answered), len(questions), sum(1 for q in required if q.id in answered), len(required)
    )


# --- saving ---------------------------------------------------------------------------------------


class Outcome(enum.StrEnum):
    saved = "saved"
    unchanged = "unchanged"
    conflict = "conflict"
    refused = "refused"


@dataclass(frozen=True)
class KeyResult:
    key: str
    outcome: Outcome
    version: int
    mine: Value = None
    theirs: Value = None
    their_author: str = ""
    their_time: datetime | None = None
    message: str | None = None


def save(
    session: Session, *, draft: Draft, changes: dict[str, tuple[Value, int]], editor: str
) -> list[KeyResult]:
    """Store changed answers. A change based on an older version than the stored one is not applied:
    it comes back as a conflict carrying both values, so neither person's text disappears silently.
    """
    if draft.read_only_reason:
        raise ReadOnly(draft.read_only_reason)
    begin_write(session)
    # Whether the response may change is decided here, inside the write transaction with the response's row
    # locked: a submit that committed after this request read its draft must win, never be undone.
    status = _lock_status(session, draft)
    # The draft was read at the start of this request, not re-read here inside the write lock: a colleague
    # who saved since is caught by the statements themselves (the update compares the version it read, the
    # insert does nothing on an existing key) and comes back as a conflict; a change equal to what the draft
    # holds is «unchanged», as if this request had come just before the colleague's.
    now = utcnow()
    results: list[KeyResult] = []
    for key, (value, base) in changes.items():
        existing = draft.answers.get(key)
        if too_large(value):
            results.append(
                KeyResult(
                    key,
                    Outcome.refused,
                    draft.version(key),
                    mine=value,
                    message=t("too_large", draft.lang),
                )
            )
        elif existing is not None and existing.value == value:
            results.append(KeyResult(key, Outcome.unchanged, existing.version))
        elif existing is None:
            results.append(
                _insert(session, draft, key, value, editor, now)
                if value is not None
                else KeyResult(key, Outcome.unchanged, 0)
            )
        elif base != existing.version:
            results.append(_conflict(key, value, existing))
        else:
            results.append(_update(session, draft, key, value, existing, editor, now))
    if any(r.outcome == Outcome.saved for r in results):
        _touch(session, draft, status, now)
    session.commit()
    return results


# Autosave is the app's hottest path (every pause in typing, from every municipality): its statements are
# Core statements on the tables, each doing its read-back with RETURNING, instead of ORM flushes,
# savepoints and refreshes (bench/request_cost.py measures a whole autosave: docs/benchmarks.md).
_ANSWER = cast(sa.Table, Answer.__table__)  # type: ignore[attr-defined]
_RESPONSE = cast(sa.Table, Response.__table__)  # type: ignore[attr-defined]
_STORED = (
    _ANSWER.c.id,
    _ANSWER.c.question_id,
    _ANSWER.c.value,
    _ANSWER.c.version,
    _ANSWER.c.updated_at,
    _ANSWER.c.updated_by,
)
# Built once: building a statement (and its cache key) anew on every save cost as much as running it.
_ANSWERS_OF = sa.select(*_STORED).where(_ANSWER.c.response_id == sa.bindparam("response_id"))
_ANSWERS_AMONG = _ANSWERS_OF.where(_ANSWER.c.question_id.in_(sa.bindparam("keys", expanding=True)))
_INSERT_VALUES = {
    "response_id": sa.bindparam("response_id"),
    "question_id": sa.bindparam("key"),
    "value": sa.bindparam("value", type_=_ANSWER.c.value.type),
    "version": 1,
    "updated_at": sa.bindparam("at", type_=_ANSWER.c.updated_at.type),
    "updated_by": sa.bindparam("by"),
}
# INSERT … ON CONFLICT DO NOTHING: a colleague's first value for the same key comes back as no row.
_INSERT_ANSWER = {
    name: insert(_ANSWER)
    .values(_INSERT_VALUES)
    .on_conflict_do_nothing(index_elements=["response_id", "question_id"])
    .returning(_ANSWER.c.id)
    for name, insert in (("sqlite", sqlite_insert), ("postgresql", postgresql_insert))
}
_UPDATE_ANSWER = (
    sa.update(_ANSWER)
    .where(_ANSWER.c.id == sa.bindparam("answer_id"), _ANSWER.c.version == sa.bindparam("base"))
    .values(
        value=sa.bindparam("value", type_=_ANSWER.c.value.type),
        version=_ANSWER.c.version + 1,
        updated_at=sa.bindparam("at", type_=_ANSWER.c.updated_at.type),
        updated_by=sa.bindparam("by"),
    )
    .returning(_ANSWER.c.version)
)
_TOUCH = (
    sa.update(_RESPONSE)
    .where(_RESPONSE.c.id == sa.bindparam("response_id"))
    .values(
        version=_RESPONSE.c.version + 1,
        last_saved_at=sa.bindparam("at", type_=_RESPONSE.c.last_saved_at.type),
        status=sa.bindparam("status", type_=_RESPONSE.c.status.type),
        started_at=sa.func.coalesce(_RESPONSE.c.started_at, sa.bindparam("at")),
    )
    .returning(_RESPONSE.c.version, _RESPONSE.c.status, _RESPONSE.c.started_at)
)


def _read(session: Session, response_id: int, keys: list[str] | None = None) -> dict[str, StoredAnswer]:
    """The response's stored answers (of ``keys`` only, when given), by key."""
    if keys is None:
        rows = session.execute(_ANSWERS_OF, {"response_id": response_id})
    else:
        rows = session.execute(_ANSWERS_AMONG, {"response_id": response_id, "keys": keys})
    return {row[1]: StoredAnswer(*row) for row in rows}


def _insert(session: Session, draft: Draft, key: str, value: Value, editor: str, now: datetime) -> KeyResult:
    response_id = draft.response.id
    assert response_id is not None
    new_id = session.execute(
        _INSERT_ANSWER[session.get_bind().dialect.name],
        {"response_id": response_id, "key": key, "value": value, "at": now, "by": editor},
    ).scalar_one_or_none()
    if new_id is None:
        # A colleague saved the first value for this key a moment ago (PostgreSQL: SQLite's write lock
        # keeps anyone else from inserting between our read and this insert).
        theirs = draft.answers[key] = _read(session, response_id, [key])[key]
        return _conflict(key, value, theirs)
    draft.answers[key] = StoredAnswer(new_id, key, value, 1, now, editor)
    return KeyResult(key, Outcome.saved, 1, mine=value)


def _update(
    session: Session, draft: Draft, key: str, value: Value, existing: StoredAnswer, editor: str, now: datetime
) -> KeyResult:
    # Compare-and-set in one statement, so two processes cannot both win on the same version.
    stored = session.execute(
        _UPDATE_ANSWER,
        {"answer_id": existing.id, "base": existing.version, "value": value, "at": now, "by": editor},
    ).scalar_one_or_none()
    if stored is None:
        assert draft.response.id is not None
        theirs = draft.answers[key] = _read(session, draft.response.id, [key])[key]
        return _conflict(key, value, theirs)
    # What the row now holds, without reading it back.
    existing.value, existing.version, existing.updated_at, existing.updated_by = value, stored, now, editor
    return KeyResult(key, Outcome.saved, stored, mine=value)


def _conflict(key: str, value: Value, theirs: StoredAnswer) -> KeyResult:
    return KeyResult(
        key,
        Outcome.conflict,
        theirs.version,
        mine=value,
        theirs=theirs.value,
        their_author=theirs.updated_by,
        their_time=theirs.updated_at,
    )


# The response's status and its round's, the response's row locked (FOR UPDATE on PostgreSQL; SQLite's
# write transaction already holds the whole database).
_ROUND = cast(sa.Table, Round.__table__)  # type: ignore[attr-defined]
_STATUS_LOCKED = (
    sa.select(_RESPONSE.c.status, _ROUND.c.status.label("round_status"))
    .join_from(_RESPONSE, _ROUND, _ROUND.c.id == _RESPONSE.c.round_id)
    .where(_RESPONSE.c.id == sa.bindparam("response_id"))
    .with_for_update(of=_RESPONSE)
)


def _lock_status(session: Session, draft: Draft) -> ResponseStatus:
    """The response's status as committed now, its row locked; ``ReadOnly`` (nothing written) when it was
    submitted or its round closed since the draft was read."""
    row = session.execute(_STATUS_LOCKED, {"response_id": draft.response.id}).one()
    status = ResponseStatus(row.status)
    if status == ResponseStatus.submitted or RoundStatus(row.round_status) == RoundStatus.closed:
        session.rollback()
        set_committed_value(draft.response, "status", status)
        set_committed_value(draft.round, "status", RoundStatus(row.round_status))
        raise ReadOnly(draft.read_only_reason or t("read_only_submitted", draft.lang))
    return status


def _touch(session: Session, draft: Draft, status: ResponseStatus, now: datetime) -> None:
    response = draft.response
    if status == ResponseStatus.not_started:
        status = ResponseStatus.in_progress
    row = session.execute(_TOUCH, {"response_id": response.id, "at": now, "status": status}).one()
    for name, new in (
        ("version", row.version),
        ("status", row.status),
        ("started_at", row.started_at),
        ("last_saved_at", now),
    ):
        set_committed_value(response, name, new)


# --- submitting and reopening ---------------------------------------------------------------------


def submit(session: Session, *, draft: Draft, signer_name: str, signer_role: str) -> list[Issue]:
    """Submit when nothing is missing; returns what is missing instead, changing nothing."""
    begin_write(session)
    # The row is locked for the rest of the transaction, so no save can slip in between the check of what is
    # missing and the status change; the answers are read again under the lock, as they are now.
    session.refresh(draft.response, with_for_update=True)
    session.refresh(draft.round)
    if draft.read_only_reason:
        session.rollback()
        raise ReadOnly(draft.read_only_reason)
    assert draft.response.id is not None
    draft.answers = _read(session, draft.response.id)
    found = issues(draft)
    if found:
        session.rollback()  # nothing changed: let go of the row
        return found
    response = draft.response
    response.status = ResponseStatus.submitted
    response.submitted_at = utcnow()
    response.signed_by_name = signer_name.strip()[:200]
    response.signed_by_role = signer_role.strip()[:200]
    response.version += 1
    audit.record(
        session,
        actor=audit.municipality_actor(draft.municipality, response.signed_by_name),
        action="response.submit",
        object_type="response",
        object_id=response.id,
        details={"version": response.version},
    )
    session.commit()
    return []


def reopen(session: Session, *, response: Response, actor: str, reason: str = "") -> Response:
    """Let the municipality change a submitted response again."""
    begin_write(session)
    session.refresh(response)
    if response.status != ResponseStatus.submitted:
        raise ReadOnly("Bare innsendte svar kan gjenåpnes.")
    response.status = ResponseStatus.reopened
    response.reopened_at = utcnow()
    response.version += 1
    audit.record(
        session,
        actor=actor,
        action="response.reopen",
        object_type="response",
        object_id=response.id,
        details={"reason": reason[:500]},
    )
    session.commit()
    return response
