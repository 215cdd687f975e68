"""Comparing two rounds of one questionnaire family: per question over the county, and per municipality.

Everything here reads; nothing commits. Questions are matched through their lineage: a question of the
newer round continues the older round's question with the same id, or else the one its
``lineage.replaces`` names. Answer keys are matched within a matched question: a matrix row by its item
id, the «Annet» text with the «Annet» text.

When a matched question changed its type, its option values or its scale points (``scale_changed``), a
per-option comparison would set unlike answers side by side; only the 0–100 score, which each version
defines for itself, is compared then, unless the newer question's ``lineage.answers`` maps each old
answer to a new one: then the older round's answers are read as their new values and compare option by
option. A question that only got new wording keeps its options and points,
and its ``renamed`` flag (and lineage note) is what tells the adviser to read the comparison with care.

The rows are the caller's, from ``results.load_rows`` (submitted responses by default), one list per round.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from sqlmodel import Session, col, select

from survey_app.forms import Value, display_value, keys_of, selected
from survey_app.models import Municipality, QuestionnaireVersion, Round
from survey_app.question_types import kind_of
from survey_app.questionnaires import Question, QuestionnaireDef
from survey_app.services.catalog import definition_of
from survey_app.services.results import (
    Distribution,
    Row,
    key_label,
    mean_score,
    question_results,
    round_definition,
)
from survey_app.services.snapshots import remembered, state_of


def comparable_rounds(session: Session, *, round_id: int) -> list[Round]:
    """The county's other rounds whose questionnaire is of the same family as this round's, newest first.

    ``LookupError`` when the round does not exist.
    """
    family = round_definition(session, round_id=round_id).family_id
    round_ = session.get(Round, round_id)
    assert round_ is not None  # round_definition found it
    candidates = session.exec(
        select(Round, QuestionnaireVersion)
        .join(QuestionnaireVersion, col(QuestionnaireVersion.id) == col(Round.questionnaire_version_id))
        .where(col(Round.id) != round_id, col(Round.county_id) == round_.county_id)
        .order_by(col(Round.year).desc(), col(Round.id).desc())
    ).all()
    return [r for r, version in candidates if definition_of(version).family_id == family]


# --- questions --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionPair:
    """A question of the newer round and the older round's question it continues (None: new question)."""

    new: Question
    old: Question | None
    renamed: bool  # matched through ``lineage.replaces``, not by id
    scale_changed: bool  # type, option values or scale points differ: only scores compare
    # Old answer value → new (``lineage.answers``): the older round's answers are read as new values.
    answers: Mapping[str, str] | None = None


def match_questions(new_def: QuestionnaireDef, old_def: QuestionnaireDef) -> list[QuestionPair]:
    """Every question of the newer questionnaire, in its order, with the older question it continues.

    The same id wins over ``lineage.replaces``: a question keeps its lineage entry in later versions, and
    by then the question it replaced is gone from the older version too. Two new questions may continue
    one old question (a question split in two).
    """
    pairs: list[QuestionPair] = []
    for question in new_def.questions():
        if old_def.has_question(question.id):
            old, renamed = old_def.question(question.id), False
        elif question.lineage and old_def.has_question(question.lineage.replaces):
            old, renamed = old_def.question(question.lineage.replaces), True
        else:
            pairs.append(QuestionPair(question, None, renamed=False, scale_changed=False))
            continue
        mapping = question.lineage.answers if question.lineage else None
        old_space = _answer_space(old_def, old)
        if mapping and question.type == old.type:
            # Mapped answers compare when every old answer lands on an option the new question has.
            translated = frozenset(mapping.get(v, v) for v in old_space[1])
            if translated <= _answer_space(new_def, question)[1]:
                pairs.append(QuestionPair(question, old, renamed, scale_changed=False, answers=mapping))
                continue
        changed = _answer_space(new_def, question) != old_space
        pairs.append(QuestionPair(question, old, renamed=renamed, scale_changed=changed))
    return pairs


def removed(new_def: QuestionnaireDef, old_def: QuestionnaireDef) -> list[Question]:
    """The older questionnaire's questions, in its order, that no question of the newer one continues."""
    continued = {p.old.id for p in match_questions(new_def, old_def) if p.old is not None}
    return [q for q in old_def.questions() if q.id not in continued]


def _answer_space(definition: QuestionnaireDef, question: Question) -> tuple[str, frozenset[str]]:
    """What an answer can be, by code: the type and its option values (with «Annet») or scale points.

    Labels are left out on purpose: a corrected label keeps its answers comparable, and the questionnaire
    README asks for a new id (so ``renamed``) when the meaning changes. «Vet ikke» is counted apart from
    the options everywhere, so offering it or not does not change the space either.
    """
    return question.type, kind_of(question).answer_space(definition, question)


def _key_pairs(new: Question, old: Question) -> list[tuple[str, str]]:
    """The answer keys of ``new`` with the key of ``old`` each continues; keys without one left out."""
    if (new.items is None) != (old.items is None):
        # A matrix row and a whole answer are different things; no key of one continues the other.
        return []
    old_keys = set(keys_of(old))
    pairs: list[tuple[str, str]] = []
    for key in keys_of(new):
        # ``<id>``, ``<id>.<item>`` or ``<id>.annet``: the same suffix on the old id.
        candidate = old.id + key.removeprefix(new.id)
        if candidate in old_keys:
            pairs.append((key, candidate))
    return pairs


# --- per question over the county -------------------------------------------------------------------


@dataclass(frozen=True)
class KeyChange:
    """One answer key of a question in both rounds: distributions, mean and mean 0–100 score.

    ``old`` is None when the older round has no such key (a new question or matrix row).
    ``mean_change`` compares mean scale points or numbers, so it is None when the scale changed; the
    scores (None where the question scores nothing) compare even then.
    """

    key: str
    label: str
    new: Distribution
    old: Distribution | None
    mean_change: float | None
    score_new: float | None
    score_old: float | None
    score_change: float | None


def compare_questions(
    new_def: QuestionnaireDef,
    new_rows: Sequence[Row],
    old_def: QuestionnaireDef,
    old_rows: Sequence[Row],
    lang: str = "nb",
) -> list[tuple[QuestionPair, list[KeyChange]]]:
    """Each countable question of the newer round, in order, with its answer keys compared to the older round.

    Free-text questions are left out; a matrix has one ``KeyChange`` per row of the newer version (a row
    only the older version had is not listed). Scores are means over the municipalities with a scored
    answer, as ``results.profile`` computes them. Kept for the next request while the answers stand.
    """
    states = (state_of(r.response for r in new_rows), state_of(r.response for r in old_rows))
    key = ("compare_questions", id(new_def), id(old_def), lang, states)
    return remembered(key, lambda: _compare_questions(new_def, new_rows, old_def, old_rows, lang))


def _compare_questions(
    new_def: QuestionnaireDef,
    new_rows: Sequence[Row],
    old_def: QuestionnaireDef,
    old_rows: Sequence[Row],
    lang: str,
) -> list[tuple[QuestionPair, list[KeyChange]]]:
    compared: list[tuple[QuestionPair, list[KeyChange]]] = []
    for pair in match_questions(new_def, old_def):
        if kind_of(pair.new).tally is None:
            continue
        old_dists: dict[str, Distribution] = {}
        if pair.old is not None and pair.answers is not None:
            # The older answers read as the new values, counted on the new question's options.
            translated = [_translated(row, pair) for row in old_rows]
            old_dists = {d.key: d for d in question_results(new_def, pair.new, translated, lang)}
        elif pair.old is not None:
            by_key = {d.key: d for d in question_results(old_def, pair.old, old_rows, lang)}
            old_dists = {
                new_key: by_key[old_key]
                for new_key, old_key in _key_pairs(pair.new, pair.old)
                if old_key in by_key
            }
        changes: list[KeyChange] = []
        for new in question_results(new_def, pair.new, new_rows, lang):
            old = old_dists.get(new.key)
            score_new, _ = mean_score(new_def, pair.new, new.key, new_rows)
            score_old: float | None = None
            if old is not None and pair.old is not None:
                old_key = dict(_key_pairs(pair.new, pair.old)).get(new.key, old.key)
                score_old, _ = mean_score(old_def, pair.old, old_key, old_rows)
            mean_change = None
            if old is not None and not pair.scale_changed:
                mean_change = _difference(new.mean, old.mean)
            changes.append(
                KeyChange(
                    key=new.key,
                    label=key_label(pair.new, new.key, lang),
                    new=new,
                    old=old,
                    mean_change=mean_change,
                    score_new=score_new,
                    score_old=score_old,
                    score_change=_difference(score_new, score_old),
                )
            )
        compared.append((pair, changes))
    return compared


def _difference(new: float | None, old: float | None) -> float | None:
    return None if new is None or old is None else new - old


# --- per municipality -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerChange:
    """One answer key a municipality answered differently in the two rounds, as a person reads it."""

    question: Question  # the newer round's
    key: str  # the newer round's key
    label: str
    old: str
    new: str


def municipality_changes(
    new_def: QuestionnaireDef,
    new_row: Row,
    old_def: QuestionnaireDef,
    old_row: Row,
    lang: str = "nb",
    *,
    pairs: Sequence[tuple[QuestionPair, list[tuple[str, str]]]] | None = None,
) -> list[AnswerChange]:
    """The answers of one municipality that differ between the rounds, in the newer questionnaire's order.

    Only keys both versions have are compared (a new question or row was not asked before, which says
    nothing about the municipality). Free text counts like any answer. An answer to a question hidden by
    ``show_if`` is stale and counts as no answer, so «2015» can become «Ikke besvart». Answers compare by
    code (a multiple choice as a set), or by what they show when the scale changed: 3 of 1–4 is not 3 of 1–5.

    ``pairs`` (from ``matched_keys``) saves matching the questionnaires again for every municipality.
    """
    changes: list[AnswerChange] = []
    for pair, keys in matched_keys(new_def, old_def) if pairs is None else pairs:
        assert pair.old is not None
        for new_key, old_key in keys:
            new_value = _current(new_row, pair.new, new_key)
            old_value = _current(old_row, pair.old, old_key)
            if pair.answers is not None:
                old_value = _mapped(old_value, pair.answers)
            if not pair.scale_changed and _same(new_value, old_value):
                continue  # the usual case, decided without writing either answer out
            new_text = display_value(new_def, pair.new, new_key, new_value, lang)
            if pair.answers is not None:  # an old answer read as its new value
                old_text = display_value(new_def, pair.new, new_key, old_value, lang)
            else:
                old_text = display_value(old_def, pair.old, old_key, old_value, lang)
            if pair.scale_changed and new_text == old_text:
                continue
            label = key_label(pair.new, new_key, lang)
            changes.append(AnswerChange(pair.new, new_key, label, old=old_text, new=new_text))
    return changes


def matched_keys(
    new_def: QuestionnaireDef, old_def: QuestionnaireDef
) -> list[tuple[QuestionPair, list[tuple[str, str]]]]:
    """The questions both versions have, each with its answer keys paired (newer key, older key)."""
    return [(p, _key_pairs(p.new, p.old)) for p in match_questions(new_def, old_def) if p.old is not None]


def _mapped(value: Value, answers: Mapping[str, str]) -> Value:
    if isinstance(value, list):
        return list(dict.fromkeys(answers.get(v, v) for v in value))
    return answers.get(value, value) if isinstance(value, str) else value


def _translated(row: Row, pair: QuestionPair) -> Row:
    """An older row with the old question's answers under the new question's keys, read as new values."""
    assert pair.old is not None and pair.answers is not None
    values = {
        new_key: _mapped(row.values.get(old_key), pair.answers)
        for new_key, old_key in _key_pairs(pair.new, pair.old)
    }
    shown = {pair.new.id} if pair.old.id in row.shown else set()
    return replace(row, values=values, shown=shown)


def _current(row: Row, question: Question, key: str) -> Value:
    return row.values.get(key) if question.id in row.shown else None


def _same(new: Value, old: Value) -> bool:
    if isinstance(new, list) or isinstance(old, list):
        # A multiple choice: the same options ticked in another order are the same answer.
        return selected(new) == selected(old)
    return new == old


@dataclass(frozen=True)
class MunicipalityDiff:
    """A municipality's changed answers; ``only_in`` names the one round it answered, if only one."""

    municipality: Municipality
    regions: list[str]  # primary first
    changes: list[AnswerChange]
    only_in: Literal["new", "old"] | None


def municipality_ids(new_rows: Sequence[Row], old_rows: Sequence[Row]) -> list[int]:
    """The municipalities with a row in either round, by kommunenummer."""
    by_id = {
        r.municipality.id: r.municipality for r in [*old_rows, *new_rows] if r.municipality.id is not None
    }
    return sorted(by_id, key=lambda i: by_id[i].kommunenummer)


def compare_municipalities(
    new_def: QuestionnaireDef,
    new_rows: Sequence[Row],
    old_def: QuestionnaireDef,
    old_rows: Sequence[Row],
    lang: str = "nb",
) -> list[MunicipalityDiff]:
    """Every municipality with a row in either round, by kommunenummer, with what it answered differently.

    A municipality in both rounds is listed even when nothing changed (``changes`` empty); one in only one
    round has no changes and ``only_in`` set to "new" or "old".
    """
    olds = {r.municipality.id: r for r in old_rows}
    news = {r.municipality.id: r for r in new_rows}
    pairs = matched_keys(new_def, old_def)
    diffs: list[MunicipalityDiff] = []
    for row in new_rows:
        old_row = olds.get(row.municipality.id)
        if old_row is None:
            diffs.append(MunicipalityDiff(row.municipality, row.regions, [], only_in="new"))
        else:
            changes = municipality_changes(new_def, row, old_def, old_row, lang, pairs=pairs)
            diffs.append(MunicipalityDiff(row.municipality, row.regions, changes, only_in=None))
    diffs += [
        MunicipalityDiff(r.municipality, r.regions, [], only_in="old")
        for r in old_rows
        if r.municipality.id not in news
    ]
    return sorted(diffs, key=lambda d: d.municipality.kommunenummer)
