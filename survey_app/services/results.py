"""Reading a round's answers for the staff results pages: rows, scores, distributions, free text, profiles.

Everything here reads; nothing commits. ``load_rows`` does the database work once (one query for the
responses, one for the regions, one for all the answers of the round) and the other functions are pure
functions of the rows it returns, so a page can ask several questions of the same rows.

Two rules hold throughout: «Vet ikke» is an honest answer counted apart, never a zero; and an answer to a
question that is hidden for that municipality (its ``show_if`` no longer holds) is stale and counts nowhere.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from statistics import fmean, median_low
from typing import Generic, TypeVar

from markupsafe import Markup, escape
from sqlmodel import Session, col, select

from analysis.parameters import score_value
from survey_app import scoring
from survey_app.forms import (
    Value,
    display_value,
    free_text_keys,
    keys_of,
    validate,
)
from survey_app.models import Municipality, Response, ResponseStatus, Round
from survey_app.question_types import kind_of
from survey_app.questionnaires import (
    DONT_KNOW,
    INTERMUNICIPAL,
    NOT_APPLICABLE,
    Question,
    QuestionnaireDef,
    Section,
)
from survey_app.services import catalog
from survey_app.services.register import region_names
from survey_app.services.snapshots import remembered, snapshots, state_of

# Below this many answers a distribution is flagged: with one or two municipalities, shares identify them
# and say little about the county.
SMALL_N = 3

# A reopened response was submitted once; its answers count as submitted ones until it is sent again.
SUBMITTED = (ResponseStatus.submitted, ResponseStatus.reopened)
T = TypeVar("T")


@dataclass(frozen=True)
class Row:
    """One municipality's response with its answers, as the results pages read it."""

    response: Response
    municipality: Municipality
    regions: list[str]  # primary first
    values: dict[str, Value]  # answer key -> stored value (shared with other requests: never change it)
    shown: set[str]  # ids of the questions shown for these answers (likewise)


def round_definition(session: Session, *, round_id: int) -> QuestionnaireDef:
    """The questionnaire definition a round pinned; ``LookupError`` when the round does not exist."""
    round_ = session.get(Round, round_id)
    if round_ is None:
        raise LookupError(f"Runden {round_id} finnes ikke.")
    return catalog.round_definition(session, round_)


def load_rows(
    session: Session, *, round_id: int, include_in_progress: bool = False, region: str | None = None
) -> list[Row]:
    """The round's responses, ordered by kommunenummer.

    By default only submitted ones (a reopened response counts: it was submitted); with
    ``include_in_progress`` also those being filled in. ``region`` (a region's name; empty or None for
    all) keeps the municipalities of that region; a municipality in two regions belongs to both.
    """
    definition = round_definition(session, round_id=round_id)
    statuses = [*SUBMITTED, ResponseStatus.in_progress] if include_in_progress else list(SUBMITTED)
    in_round = (col(Response.round_id) == round_id, col(Response.status).in_(statuses))
    pairs = session.exec(
        select(Response, Municipality)
        .join(Municipality, col(Municipality.id) == col(Response.municipality_id))
        .where(*in_round)
        .order_by(col(Municipality.kommunenummer))
    ).all()
    regions = region_names(session, [m.id for _, m in pairs if m.id is not None])
    if region:
        pairs = [(r, m) for r, m in pairs if m.id is not None and region in regions[m.id]]
    # The round's answers in one query, or only those of responses changed since this process read them.
    kept = snapshots(session, round_id=round_id, definition=definition, responses=[r for r, _ in pairs])
    rows: list[Row] = []
    for response, muni in pairs:
        assert response.id is not None and muni.id is not None
        snapshot = kept[response.id]
        rows.append(Row(response, muni, regions[muni.id], snapshot.values, snapshot.shown))
    return rows


# --- scores ---------------------------------------------------------------------------------------


def score(definition: QuestionnaireDef, question: Question, key: str, value: Value) -> float | None:
    """The 0–100 score of one answer under the question's ``parameter`` mapping.

    None when the question feeds no parameter, the answer is empty, «vet ikke» or invalid, the key is the
    «Annet» text, or the mapping gives the answer no score (a likert ``scores`` that leaves a point out).
    """
    rule = scoring.rules(definition).get(key)
    if rule is None or rule.question_id != question.id or value is None or _is_other_text(question, key):
        return None
    if validate(definition, question, key, value) is not None:
        return None
    return score_value(rule, value)


def _is_other_text(question: Question, key: str) -> bool:
    # A matrix may have a row called «annet»; only a choice question's «annet» key is free text.
    return kind_of(question).is_other(question, key)


def _usable(definition: QuestionnaireDef, question: Question, key: str, value: Value) -> bool:
    """An answer that can be counted: present and valid (an unsubmitted response may hold anything)."""
    return value is not None and value != [] and validate(definition, question, key, value) is None


# --- distributions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class OptionCount:
    value: str
    label: str
    count: int  # chose it (a ranking: ranked it at all)
    share: float  # of n, 0..1
    first: int = 0  # a ranking: ranked it first
    points: int = 0  # a ranking: first place scores as many points as there are places, the last one


@dataclass(frozen=True)
class Distribution:
    """How the municipalities answered one answer key.

    ``n`` counts those with a countable answer (for multi: at least one option chosen, so shares can sum
    over 1); «vet ikke», «ikke aktuelt» and «løses interkommunalt» are counted in ``dont_know``,
    ``not_applicable`` and ``intermunicipal``, outside ``n`` and the shares; ``missing`` counts those the
    question was shown to who left it empty. A municipality the question was hidden from is in none. A
    ranking's options come in order of points, the most first.
    """

    key: str
    label: str
    options: list[OptionCount]
    dont_know: int
    n: int
    missing: int
    mean: float | None  # mean scale point (likert, matrix) or mean number (integer)
    small: bool  # n < SMALL_N
    not_applicable: int = 0
    intermunicipal: int = 0
    ranked: bool = False


def round_results(
    definition: QuestionnaireDef, rows: Sequence[Row], lang: str = "nb"
) -> list[tuple[Section, list[tuple[Question, list[Distribution]]]]]:
    """Every question's distributions, section by section; kept for the next request while the answers
    stand (the results page of a national round computes 23,000 answers into them)."""
    key = ("round_results", id(definition), lang, state_of(r.response for r in rows))
    return remembered(
        key,
        lambda: [
            (section, [(q, question_results(definition, q, rows, lang)) for q in section.questions])
            for section in definition.sections
        ],
    )


def question_results(
    definition: QuestionnaireDef, question: Question, rows: Sequence[Row], lang: str = "nb"
) -> list[Distribution]:
    """One distribution per answer key of a question (a matrix: one per row); [] for free text."""
    kind = kind_of(question)
    if kind.tally is None:
        return []
    keyed = [
        (key, kind.key_label(question, key, lang))
        for key in kind.keys(question)
        if not kind.is_other(question, key)
    ]
    return [_distribution(definition, question, key, label, rows, lang) for key, label in keyed]


def _distribution(
    definition: QuestionnaireDef, question: Question, key: str, label: str, rows: Sequence[Row], lang: str
) -> Distribution:
    kind = kind_of(question)
    choices = kind.value_choices(definition, question, lang)
    counts = dict.fromkeys((v for v, _ in choices), 0)
    firsts = dict.fromkeys(counts, 0)
    points = dict.fromkeys(counts, 0)
    places = question.max_choices or 1
    numbers: list[int] = []
    missing_answers = {DONT_KNOW: 0, NOT_APPLICABLE: 0, INTERMUNICIPAL: 0}
    n = missing = 0
    usable = _Memo(lambda value: _usable(definition, question, key, value))
    for row in rows:
        if question.id not in row.shown:
            continue
        value = row.values.get(key)
        if not usable(value):
            missing += 1
        elif isinstance(value, str) and value in missing_answers:
            missing_answers[value] += 1
        else:
            n += 1
            chosen_all = value if isinstance(value, list) else [value]
            for place, chosen in enumerate(chosen_all):
                if str(chosen) in counts:  # an integer has no options to count
                    counts[str(chosen)] += 1
                    firsts[str(chosen)] += place == 0
                    points[str(chosen)] += places - place
            if isinstance(value, int):
                numbers.append(value)
    ranked = kind.tally == "ranking"
    options = [
        OptionCount(
            v,
            lbl,
            counts[v],
            counts[v] / n if n else 0.0,
            firsts[v] if ranked else 0,
            points[v] if ranked else 0,
        )
        for v, lbl in choices
    ]
    if ranked:
        options.sort(key=lambda o: (-o.points, -o.first))
    mean = fmean(numbers) if numbers else None  # only scale points and integers are numbers
    return Distribution(
        key,
        label,
        options,
        missing_answers[DONT_KNOW],
        n,
        missing,
        mean,
        n < SMALL_N,
        missing_answers[NOT_APPLICABLE],
        missing_answers[INTERMUNICIPAL],
        ranked,
    )


# --- free text ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FreeText:
    question: Question
    key: str
    municipality: Municipality
    regions: list[str]
    text: str  # as the viewer may read it: masked when ``free_texts`` was asked to mask


def free_texts(
    definition: QuestionnaireDef,
    rows: Sequence[Row],
    *,
    question_id: str | None = None,
    query: str | None = None,
    masked: bool = False,
) -> list[FreeText]:
    """Every non-empty free text of a shown question, by municipality, then in questionnaire order.

    ``question_id`` keeps one question; ``query`` keeps texts containing all its words, ignoring case.
    ``masked`` (a reader's view, ``templating.reads_masked``) gives each text with its personal data masked
    and searches the masked text, never the text as written: a search that matched what the page hides
    would tell a reader a fødselsnummer digit by digit, one search at a time.
    """
    words = _fold(query).split() if query else []
    as_read = _masked_texts(definition, rows) if masked else None
    found: list[FreeText] = []
    for row in rows:
        for question in definition.questions():
            if question.id not in row.shown or question_id not in (None, question.id):
                continue
            for key in free_text_keys(question):
                text = row.values.get(key)
                if not isinstance(text, str) or not text.strip():
                    continue
                if as_read is not None:
                    text = as_read[row.response.id, key]
                folded = _fold(text)
                if all(word in folded for word in words):
                    found.append(FreeText(question, key, row.municipality, row.regions, text))
    return found


def _masked_texts(definition: QuestionnaireDef, rows: Sequence[Row]) -> dict[tuple[int | None, str], str]:
    """Every free text of the rows, masked, by (response id, answer key); kept while the answers stand, as
    a reader's search asks again at every pause in the typing."""

    def compute() -> dict[tuple[int | None, str], str]:
        # Imported here: the masker loads scikit-learn, which command-line tools need not wait for.
        from analysis.privacy import mask

        return {
            (row.response.id, key): mask(text)
            for row in rows
            for question in definition.questions()
            for key in free_text_keys(question)
            if isinstance(text := row.values.get(key), str)
        }

    return remembered(("masked_free_texts", id(definition), state_of(r.response for r in rows)), compute)


def _fold(text: str) -> str:
    # NFC first: a pasted «å» may be «a» plus a combining ring, which would not match a typed «å».
    return unicodedata.normalize("NFC", text).casefold()


def highlight(text: str, query: str | None) -> Markup:
    """``text`` as HTML with every occurrence of the words of ``query`` marked (``<mark>``), matched the way
    ``free_texts`` matches them (NFC, ignoring case).

    The text is escaped before anything is marked, so an answer cannot bring its own HTML. Give it the
    text as the viewer may read it (masked for a reader): what is marked is then what was searched.
    """
    text = unicodedata.normalize("NFC", text)
    words = [w for w in _fold(query).split() if w] if query else []
    # Folding may lengthen a character (ß → ss): keep, for each folded character, where it came from.
    folded: list[str] = []
    origin: list[int] = []
    for i, char in enumerate(text):
        for f in char.casefold():
            folded.append(f)
            origin.append(i)
    haystack = "".join(folded)
    spans: list[tuple[int, int]] = []
    for word in words:
        start = haystack.find(word)
        while start != -1:
            end = start + len(word)
            spans.append((origin[start], origin[end - 1] + 1))
            start = haystack.find(word, end)
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    out: list[str] = []
    at = 0
    for start, end in merged:
        out.append(escape(text[at:start]))
        out.append(Markup("<mark>%s</mark>") % text[start:end])
        at = end
    out.append(escape(text[at:]))
    return Markup("").join(out)


# --- years: an integer that is a year is summed up by its median and range, never by a mean -------------


@dataclass(frozen=True)
class YearSummary:
    n: int
    median: int  # a year someone answered (the lower middle one of an even count), never x,5
    earliest: int
    latest: int


def year_summary(definition: QuestionnaireDef, question: Question, rows: Sequence[Row]) -> YearSummary | None:
    """The median, earliest and latest year answered to a year question (``is_year``), counting what its
    distribution counts: valid answers of municipalities the question is shown to. None when nobody has."""
    years = [
        value
        for row in rows
        if question.id in row.shown
        and isinstance(value := row.values.get(question.id), int)
        and _usable(definition, question, question.id, value)
    ]
    if not years:
        return None
    return YearSummary(len(years), median_low(years), min(years), max(years))


# --- one municipality beside its region and the county --------------------------------------------


@dataclass(frozen=True)
class ProfileLine:
    question: Question
    key: str
    label: str
    answer: str
    score: float | None
    region_mean: float | None  # other municipalities of its primary region
    region_n: int
    county_mean: float | None  # all rows, the municipality's own included
    county_n: int


def profile(
    definition: QuestionnaireDef, rows: Sequence[Row], municipality_id: int, lang: str = "nb"
) -> list[ProfileLine]:
    """One municipality's answers, each scored beside the mean score of its region and of the county.

    Every answer key of every question shown to it, free text included (its score is None); an empty
    «Annet» text is left out, since the choice above it already says «Annet» was not chosen. The region is
    the municipality's primary region, without the municipality itself; the county is every row passed in.
    ``LookupError`` when the municipality has no row.
    """
    own = next((r for r in rows if r.municipality.id == municipality_id), None)
    if own is None:
        raise LookupError(f"Kommunen {municipality_id} har ikke svar blant radene.")
    primary = own.regions[0] if own.regions else None
    peers = [r for r in rows if r is not own and primary is not None and primary in r.regions]
    lines: list[ProfileLine] = []
    for question in definition.questions():
        if question.id not in own.shown:
            continue
        for key in keys_of(question):
            value = own.values.get(key)
            if value is None and _is_other_text(question, key):
                continue
            region_mean, region_n = mean_score(definition, question, key, peers)
            county_mean, county_n = mean_score(definition, question, key, rows)
            lines.append(
                ProfileLine(
                    question=question,
                    key=key,
                    label=key_label(question, key, lang),
                    answer=display_value(definition, question, key, value, lang),
                    score=score(definition, question, key, value),
                    region_mean=region_mean,
                    region_n=region_n,
                    county_mean=county_mean,
                    county_n=county_n,
                )
            )
    return lines


def key_label(question: Question, key: str, lang: str = "nb") -> str:
    """What an answer key is called: the row text of a matrix row, «Annet» for the «Annet» text."""
    return kind_of(question).key_label(question, key, lang)


def mean_score(
    definition: QuestionnaireDef, question: Question, key: str, rows: Iterable[Row]
) -> tuple[float | None, int]:
    if question.parameter is None:
        return None, 0
    scored = _Memo(lambda value: score(definition, question, key, value))
    scores = [s for r in rows if question.id in r.shown and (s := scored(r.values.get(key))) is not None]
    return (fmean(scores) if scores else None), len(scores)


class _Memo(Generic[T]):
    """A function of one answer value, computed once per distinct value.

    A key has few distinct values across a round (the points of a scale, the options of a choice), and
    validating or scoring each of 357 municipalities' answers anew was most of the profile page.
    """

    def __init__(self, fn: Callable[[Value], T]) -> None:
        self.fn = fn
        self.seen: dict[object, T] = {}

    def __call__(self, value: Value) -> T:
        # A list (multiple choice) is not hashable; its tuple is, and keeps the order that validate sees.
        marker = (type(value), tuple(value) if isinstance(value, list) else value)
        try:
            return self.seen[marker]
        except KeyError:
            result = self.seen[marker] = self.fn(value)
            return result
        except TypeError:  # something unhashable stored by hand: not worth remembering
            return self.fn(value)
