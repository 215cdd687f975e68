"""A response's answers as of its present version, read once per process and kept for the staff pages.

Reading a national round's 23,000 answers was half of every results page and of the follow-up page
(docs/benchmarks.md). Every change to an answer goes through ``responses.save``, which bumps the
response's version and stamps ``last_saved_at`` (submit and reopen bump the version too), so a response's
(id, version, last save) names one state of its answers for good: a kept snapshot is never stale, and a
process reads only the responses changed since it last read them. The app stays stateless: a worker
without the snapshot reads it, one with it gets the same answer.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlmodel import Session, col, select

from survey_app.forms import Value
from survey_app.models import Answer, Response
from survey_app.questionnaires import QuestionnaireDef
from survey_app.services.responses import Progress, progress_of, visible_ids


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Shared between requests: read it, never change it."""

    values: dict[str, Value]  # answer key -> stored value
    shown: set[str]  # ids of the questions shown for these answers
    progress: Progress


# Parsed definitions live as long as the process (questionnaires.from_stored), so their id is stable.
_Key = tuple[int, int, datetime | None, int]
_kept: dict[_Key, Snapshot] = {}
# A national round is 357 responses; a few rounds of a few counties fit (tens of MB at most).
KEEP_AT_MOST = 5_000


def snapshots(
    session: Session, *, round_id: int, definition: QuestionnaireDef, responses: Sequence[Response]
) -> dict[int, Snapshot]:
    """The snapshot of each of these responses of one round, by response id."""
    keys: dict[int, _Key] = {}
    for r in responses:
        assert r.id is not None
        keys[r.id] = (r.id, r.version, r.last_saved_at, id(definition))
    found = {rid: _kept.get(key) for rid, key in keys.items()}
    missing = [rid for rid, snapshot in found.items() if snapshot is None]
    if missing:
        # The whole round in one query when most are missing; otherwise only those.
        where = col(Response.round_id) == round_id
        if len(missing) < len(keys) // 2:
            where = col(Response.id).in_(missing)
        values: dict[int, dict[str, Value]] = {rid: {} for rid in missing}
        for response_id, key, value in answer_values(session, where):
            if response_id in values:
                values[response_id][key] = value
        if len(_kept) + len(missing) > KEEP_AT_MOST:
            _kept.clear()
        for rid in missing:
            answers = values[rid]
            snapshot = Snapshot(answers, visible_ids(definition, answers), progress_of(definition, answers))
            found[rid] = _kept[keys[rid]] = snapshot
    return {rid: snapshot for rid, snapshot in found.items() if snapshot is not None}


# --- what is computed from many responses ---------------------------------------------------------------

T = TypeVar("T")
_computed: OrderedDict[Hashable, Any] = OrderedDict()
_computed_lock = threading.Lock()  # the sync routes run in threads
KEEP_COMPUTED = 64  # the pages of the last few dozen rounds, filters and comparisons


def state_of(responses: Iterable[Response]) -> tuple[tuple[int | None, int, datetime | None], ...]:
    """What names these responses' answers for good (see the module's docstring): a key for ``remembered``."""
    return tuple((r.id, r.version, r.last_saved_at) for r in responses)


def remembered(key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, kept under ``key`` for the next request: the key must hold everything the result
    depends on (``state_of`` the responses, the definitions, the language). Shared: never change it."""
    with _computed_lock:
        if key in _computed:
            _computed.move_to_end(key)
            return cast(T, _computed[key])
    value = compute()
    with _computed_lock:
        _computed[key] = value
        while len(_computed) > KEEP_COMPUTED:
            _computed.popitem(last=False)
    return value


def answer_values(session: Session, *where: sa.ColumnElement[bool]) -> Iterator[tuple[int, str, Value]]:
    """(response id, answer key, value) of the answers of the responses ``where`` selects.

    Reading a round's answers is most of every results page (23,000 for a national round), so they are
    read as plain rows, not through the ORM, and on SQLite each distinct JSON text is decoded once (most
    answers are one of a few scale points or options): about half the time of the ORM's way.
    """
    join = select(Answer.response_id, Answer.question_id).join(
        Response, col(Response.id) == col(Answer.response_id)
    )
    if session.get_bind().dialect.name != "sqlite":
        rows = session.connection().execute(join.add_columns(Answer.value).where(*where))
        yield from ((r, k, cast(Value, v)) for r, k, v in rows)
        return
    # SQLite hands back a JSON number as a number (the column's affinity) and anything else as its text.
    raw = sa.type_coerce(Answer.value, sa.Text)
    decoded: dict[str, Value] = {}
    for response_id, key, text in session.connection().execute(join.add_columns(raw).where(*where)):
        if isinstance(text, str):
            value = decoded.get(text, _MISSING)
            if value is _MISSING:
                value = decoded[text] = json.loads(text)
            if isinstance(value, list):
                value = list(value)  # each row its own list
            yield response_id, key, value
        else:
            yield response_id, key, text


_MISSING: Value = cast(Value, object())
