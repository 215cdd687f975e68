"""Reading a round's results: rows, distributions, scores, free text and profiles, on a real database.

Three municipalities answer through the real services (load_draft, save, submit):

| key                   | Drammen 3005 (sent) | Ål 3043 (sent)      | Lier 3049 (in progress) |
|-----------------------|---------------------|---------------------|-------------------------|
| politikk              | ja                  | nei                 | delvis                  |
| vedtaksar             | 2015                | 1999 (hidden: nei)  | — (shown, missing)      |
| enighet (1–4)         | 4                   | vet_ikke            | 2                       |
| tiltak                | sprakkafe, annet    | leksehjelp          | sprakkafe, leksehjelp   |
| moteplasser.bibliotek | 4                   | 2                   | 3                       |
| moteplasser.idrett    | vet_ikke            | —                   | 1                       |
| enhet                 | flyktning           | kultur              | —                       |
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from survey_app import audit
from survey_app.config import Settings
from survey_app.forms import Value
from survey_app.models import ResponseStatus
from survey_app.questionnaires import QuestionnaireDef, parse
from survey_app.services import register, responses
from survey_app.services import results as res
from tests.factories import REGISTER_CSV, World, make_world

DRAMMEN: dict[str, Value] = {
    "politikk": "ja",
    "vedtaksar": 2015,
    "enighet": 4,
    "tiltak": ["sprakkafe", "annet"],
    "tiltak.annet": "Turgruppe for kvinner",
    "moteplasser.bibliotek": 4,
    "moteplasser.idrett": "vet_ikke",
    "kommentar": "Vi trenger flere møteplasser på Åssiden.",
    "enhet": "flyktning",
    "stilling": '=HYPERLINK("http://x.test")',
}
AAL: dict[str, Value] = {
    "politikk": "nei",
    "vedtaksar": 1999,  # saved while «ja» was chosen, then politikk changed: hidden and stale
    "enighet": "vet_ikke",
    "tiltak": ["leksehjelp"],
    "moteplasser.bibliotek": 2,
    "kommentar": "Behov for samarbeid om språkpraksis.",
    "enhet": "kultur",
    "stilling": "Kommunalsjef",
}
LIER: dict[str, Value] = {
    "politikk": "delvis",
    "enighet": 2,
    "tiltak": ["sprakkafe", "leksehjelp"],
    "moteplasser.bibliotek": 3,
    "moteplasser.idrett": 1,
    "kommentar": "ØNSKER mer samarbeid med frivilligheten.",
    "stilling": "Rådgiver",
}


def answer(
    session: Session, world: World, kommunenummer: str, values: dict[str, Value], *, send: bool
) -> None:
    """Answer as the municipality would, through the response services."""
    response = world.response(session, kommunenummer)
    assert response.id is not None
    draft = responses.load_draft(session, response_id=response.id)
    saved = responses.save(
        session, draft=draft, changes={k: (v, 0) for k, v in values.items()}, editor="test"
    )
    assert all(r.outcome == responses.Outcome.saved for r in saved), saved
    if send:
        assert (
            responses.submit(session, draft=draft, signer_name="Kari Leder", signer_role="Kommunalsjef") == []
        )


@pytest.fixture
def world(session: Session, settings: Settings) -> World:
    world = make_world(session, settings)
    answer(session, world, "3005", DRAMMEN, send=True)
    answer(session, world, "3043", AAL, send=True)
    answer(session, world, "3049", LIER, send=False)
    return world


def load(session: Session, world: World, **kwargs: Any) -> list[res.Row]:
    assert world.round.id is not None
    return res.load_rows(session, round_id=world.round.id, **kwargs)


def definition(session: Session, world: World) -> QuestionnaireDef:
    assert world.round.id is not None
    return res.round_definition(session, round_id=world.round.id)


def numbers(rows: list[res.Row]) -> list[str]:
    return [r.municipality.kommunenummer for r in rows]


def by_key(dists: list[res.Distribution]) -> dict[str, res.Distribution]:
    return {d.key: d for d in dists}


def counts(dist: res.Distribution) -> dict[str, tuple[int, float]]:
    return {o.value: (o.count, o.share) for o in dist.options}


# --- rows -------------------------------------------------------------------------------------------


def test_rows_are_submitted_responses_by_default(session: Session, world: World) -> None:
    rows = load(session, world)
    assert numbers(rows) == ["3005", "3043"]
    drammen = rows[0]
    assert drammen.municipality.name == "Drammen" and drammen.regions == ["Drammensregionen"]
    assert drammen.values == DRAMMEN
    assert drammen.response.status == ResponseStatus.submitted
    assert "vedtaksar" in drammen.shown and "vedtaksar" not in rows[1].shown


def test_in_progress_responses_on_request(session: Session, world: World) -> None:
    rows = load(session, world, include_in_progress=True)
    assert numbers(rows) == ["3005", "3043", "3049"]
    assert rows[2].response.status == ResponseStatus.in_progress and rows[2].values == LIER


def test_a_reopened_response_still_counts(session: Session, world: World) -> None:
    responses.reopen(session, response=world.response(session, "3043"), actor="test")
    rows = load(session, world)
    assert numbers(rows) == ["3005", "3043"]
    assert rows[1].response.status == ResponseStatus.reopened


def test_region_filter_matches_every_region_of_a_municipality(session: Session, world: World) -> None:
    # Lier joins a second regional council, as Vestby and Jevnaker do.
    two_regions = REGISTER_CSV.replace("Lier,Drammensregionen", "Lier,Drammensregionen / Vestregionen")
    register.load_register(
        session, rows=register.parse_register(two_regions), county_name="Testfylket", actor=audit.SYSTEM
    )
    everyone = {"include_in_progress": True}
    assert numbers(load(session, world, region="Drammensregionen", **everyone)) == ["3005", "3049"]
    assert numbers(load(session, world, region="Vestregionen", **everyone)) == ["3049"]
    assert numbers(load(session, world, region="Hallingdal", **everyone)) == ["3043"]
    assert load(session, world, region="Finnes ikke", **everyone) == []
    lier = load(session, world, region="Vestregionen", **everyone)[0]
    assert lier.regions == ["Drammensregionen", "Vestregionen"]  # primary first


@contextmanager
def statements(engine: sa.Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def test_answers_and_regions_load_in_one_query_each(
    session: Session, world: World, engine: sa.Engine
) -> None:
    session.expire_all()
    with statements(engine) as seen:
        rows = load(session, world, include_in_progress=True)
    assert len(rows) == 3
    assert sum(bool(re.search(r"\bFROM answer\b", s)) for s in seen) == 1, seen
    assert sum(bool(re.search(r"\bFROM municipality_region\b", s)) for s in seen) == 1, seen


def test_unknown_round_is_a_lookup_error(session: Session) -> None:
    with pytest.raises(LookupError):
        res.load_rows(session, round_id=999_999)


# --- distributions --------------------------------------------------------------------------------


def test_choice_distribution(session: Session, world: World) -> None:
    d = definition(session, world)
    rows = load(session, world, include_in_progress=True)
    [dist] = res.question_results(d, d.question("politikk"), rows)
    assert (dist.key, dist.label) == ("politikk", "Har kommunen en frivillighetspolitikk?")
    assert [(o.value, o.label, o.count) for o in dist.options] == [
        ("ja", "Ja", 1),
        ("delvis", "Delvis", 1),
        ("nei", "Nei", 1),
    ]
    assert all(o.share == pytest.approx(1 / 3) for o in dist.options)
    assert (dist.n, dist.dont_know, dist.missing, dist.mean, dist.small) == (3, 0, 0, None, False)


def test_submitted_only_is_small(session: Session, world: World) -> None:
    d = definition(session, world)
    [dist] = res.question_results(d, d.question("politikk"), load(session, world))
    assert dist.n == 2 and dist.small and res.SMALL_N == 3
    assert counts(dist) == {"ja": (1, 0.5), "delvis": (0, 0.0), "nei": (1, 0.5)}


def test_likert_keeps_dont_know_apart(session: Session, world: World) -> None:
    d = definition(session, world)
    [dist] = res.question_results(d, d.question("enighet"), load(session, world, include_in_progress=True))
    # 4, vet_ikke, 2: «vet ikke» is neither in n nor in the shares, and not a zero in the mean.
    assert (dist.n, dist.dont_know, dist.missing) == (2, 1, 0)
    assert dist.mean == 3.0 and dist.small
    assert counts(dist) == {"1": (0, 0.0), "2": (1, 0.5), "3": (0, 0.0), "4": (1, 0.5)}
    assert [o.label for o in dist.options] == ["Helt uenig", "Uenig", "Enig", "Helt enig"]


def test_hidden_question_is_neither_counted_nor_missing(session: Session, world: World) -> None:
    d = definition(session, world)
    [dist] = res.question_results(d, d.question("vedtaksar"), load(session, world, include_in_progress=True))
    # Drammen 2015 counts; Ål's stale 1999 is hidden; Lier was shown the question and left it empty.
    assert (dist.n, dist.dont_know, dist.missing, dist.mean, dist.small) == (1, 0, 1, 2015.0, True)
    assert dist.options == []


def test_multi_shares_are_of_municipalities_and_sum_over_one(session: Session, world: World) -> None:
    d = definition(session, world)
    [dist] = res.question_results(d, d.question("tiltak"), load(session, world, include_in_progress=True))
    assert dist.n == 3 and not dist.small and dist.mean is None
    assert [(o.value, o.label, o.count) for o in dist.options] == [
        ("sprakkafe", "Språkkafé", 2),
        ("leksehjelp", "Leksehjelp", 2),
        ("annet", "Annet", 1),
    ]
    assert sum(o.share for o in dist.options) == pytest.approx(5 / 3)


def test_matrix_has_one_distribution_per_row(session: Session, world: World) -> None:
    d = definition(session, world)
    dists = res.question_results(d, d.question("moteplasser"), load(session, world, include_in_progress=True))
    assert [(x.key, x.label) for x in dists] == [
        ("moteplasser.bibliotek", "Biblioteket"),
        ("moteplasser.idrett", "Idrettslag"),
    ]
    library, sports = dists
    assert (library.n, library.mean, library.small, library.dont_know) == (3, 3.0, False, 0)
    assert (sports.n, sports.dont_know, sports.missing, sports.mean) == (1, 1, 1, 1.0)


def test_single_with_a_missing_answer_and_free_text_has_none(session: Session, world: World) -> None:
    d = definition(session, world)
    rows = load(session, world, include_in_progress=True)
    [dist] = res.question_results(d, d.question("enhet"), rows)
    assert (dist.n, dist.missing) == (2, 1)
    assert counts(dist) == {"flyktning": (1, 0.5), "kultur": (1, 0.5)}
    assert res.question_results(d, d.question("kommentar"), rows) == []
    assert res.question_results(d, d.question("stilling"), rows) == []


def test_nynorsk_labels_for_fixed_answers(session: Session, world: World) -> None:
    d = definition(session, world)
    [dist] = res.question_results(d, d.question("tiltak"), load(session, world), lang="nn")
    assert dist.options[-1].label == "Anna"


def test_an_invalid_unsubmitted_answer_counts_as_missing(session: Session, world: World) -> None:
    response = world.response(session, "3049")
    assert response.id is not None
    draft = responses.load_draft(session, response_id=response.id)
    responses.save(session, draft=draft, changes={"vedtaksar": ("tjue", 0)}, editor="test")
    d = definition(session, world)
    [dist] = res.question_results(d, d.question("vedtaksar"), load(session, world, include_in_progress=True))
    assert (dist.n, dist.missing, dist.mean) == (1, 1, 2015.0)


# --- scores ---------------------------------------------------------------------------------------

SCORED = parse(
    textwrap.dedent("""\
    id: poeng
    title: Poeng
    scales:
      fem:
        labels: {1: En, 2: To, 3: Tre, 4: Fire, 5: Fem}
    parameters:
      - {id: p, label: P}
    sections:
      - id: s
        title: S
        questions:
          - {id: lik, type: likert, text: L, scale: fem, parameter: {id: p}}
          - {id: snu, type: likert, text: R, scale: fem, parameter: {id: p, reverse: true}}
          - {id: egne, type: likert, text: E, scale: fem, parameter: {id: p, scores: {1: 0, 2: 10, 3: 20, 4: 70, 5: 90}}}
          - id: mat
            type: matrix
            text: M
            scale: fem
            items: [{id: a, text: A}, {id: annet, text: Annet}]
            parameter: {id: p}
          - {id: jdn, type: jadelvisnei, text: J, parameter: {id: p, scores: {ja: 100, delvis: 40, nei: 0}}}
          - id: en
            type: single
            text: S
            other: true
            options: [{value: a, label: A}, {value: b, label: B}]
            parameter: {id: p, scores: {a: 80, b: 20, annet: 10}}
          - id: flere
            type: multi
            text: F
            other: true
            options: [{value: a, label: A}, {value: b, label: B}, {value: c, label: C}]
            parameter: {id: p, scores: {a: 60, b: 50, c: 5, annet: 0}}
          - {id: tall, type: integer, text: T, min: 0, max: 1000, parameter: {id: p, range: [10, 60]}}
          - {id: tallsnu, type: integer, text: U, parameter: {id: p, range: [0, 10], reverse: true}}
          - {id: uten, type: likert, text: U, scale: fem}
    """)
)


@pytest.mark.parametrize(
    ("qid", "key", "value", "expected"),
    [
        ("lik", "lik", 1, 0.0),
        ("lik", "lik", 2, 25.0),
        ("lik", "lik", 5, 100.0),
        ("lik", "lik", "vet_ikke", None),
        ("lik", "lik", None, None),
        ("lik", "lik", 6, None),  # not on the scale
        ("snu", "snu", 2, 75.0),
        ("egne", "egne", 5, 90.0),
        ("egne", "egne", 1, 0.0),
        ("egne", "egne", 3, 20.0),  # mapped points, not the straight line (which would give 50)
        ("mat", "mat.a", 4, 75.0),
        ("mat", "mat.annet", 3, 50.0),  # a matrix row called «annet» is a row, not free text
        ("jdn", "jdn", "delvis", 40.0),
        ("jdn", "jdn", "vet_ikke", None),
        ("en", "en", "a", 80.0),
        ("en", "en", "annet", 10.0),
        ("en", "en.annet", "Noe annet", None),
        ("en", "en", "zzz", None),
        ("flere", "flere", ["a"], 60.0),
        ("flere", "flere", ["b", "c"], 55.0),
        ("flere", "flere", ["a", "b", "c"], 100.0),  # 115, capped
        ("flere", "flere", [], None),
        ("flere", "flere", ["x"], None),
        ("tall", "tall", 35, 50.0),
        ("tall", "tall", 5, 0.0),  # below the range, inside min–max
        ("tall", "tall", 600, 100.0),
        ("tall", "tall", 2000, None),  # above max: invalid
        ("tall", "tall", "tjue", None),
        ("tallsnu", "tallsnu", 2, 80.0),
        ("tallsnu", "tallsnu", 20, 0.0),
        ("uten", "uten", 5, None),  # no parameter
    ],
)
def test_score(qid: str, key: str, value: Value, expected: float | None) -> None:
    got = res.score(SCORED, SCORED.question(qid), key, value)
    assert got == (pytest.approx(expected) if expected is not None else None)


# --- free text ------------------------------------------------------------------------------------


def test_free_texts_of_shown_questions_in_order(session: Session, world: World) -> None:
    d = definition(session, world)
    texts = res.free_texts(d, load(session, world, include_in_progress=True))
    assert [(f.municipality.kommunenummer, f.key) for f in texts] == [
        ("3005", "tiltak.annet"),
        ("3005", "kommentar"),
        ("3005", "stilling"),
        ("3043", "kommentar"),
        ("3043", "stilling"),
        ("3049", "kommentar"),
        ("3049", "stilling"),
    ]
    first = texts[0]
    assert first.text == "Turgruppe for kvinner" and first.question.id == "tiltak"
    assert first.regions == ["Drammensregionen"]


def test_free_text_for_one_question(session: Session, world: World) -> None:
    d = definition(session, world)
    texts = res.free_texts(d, load(session, world, include_in_progress=True), question_id="tiltak")
    assert [f.text for f in texts] == ["Turgruppe for kvinner"]


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("åssiden", ["3005"]),
        ("ÅSSIDEN trenger", ["3005"]),
        ("A\u030assiden", ["3005"]),  # «Å» typed as A plus a combining ring
        ("samarbeid", ["3043", "3049"]),
        ("ønsker samarbeid", ["3049"]),
        ("samarbeid åssiden", []),
    ],
)
def test_free_text_search(session: Session, world: World, query: str, found: list[str]) -> None:
    d = definition(session, world)
    rows = load(session, world, include_in_progress=True)
    texts = res.free_texts(d, rows, question_id="kommentar", query=query)
    assert [f.municipality.kommunenummer for f in texts] == found
    # An empty search keeps everything.
    assert len(res.free_texts(d, rows, question_id="kommentar", query="  ")) == 3


# --- profile ----------------------------------------------------------------------------------------


def test_profile_beside_region_and_county(session: Session, world: World) -> None:
    d = definition(session, world)
    rows = load(session, world, include_in_progress=True)
    drammen = rows[0].municipality.id
    assert drammen is not None
    lines = {line.key: line for line in res.profile(d, rows, drammen)}
    assert list(lines) == [
        "politikk",
        "vedtaksar",
        "enighet",
        "tiltak",
        "tiltak.annet",
        "moteplasser.bibliotek",
        "moteplasser.idrett",
        "kommentar",
        "enhet",
        "stilling",
    ]
    politikk = lines["politikk"]
    # Drammen ja = 100; its region without it is Lier (delvis = 50); the county is 100, 0 and 50.
    assert (politikk.answer, politikk.score) == ("Ja", 100.0)
    assert (politikk.region_mean, politikk.region_n) == (50.0, 1)
    assert (politikk.county_mean, politikk.county_n) == (50.0, 3)
    enighet = lines["enighet"]
    # 4 on 1–4 scores 100; Lier's 2 scores 33.3; Ål's «vet ikke» scores nothing.
    assert enighet.score == 100.0 and enighet.answer == "4 – Helt enig"
    assert enighet.region_mean == pytest.approx(100 / 3) and enighet.region_n == 1
    assert enighet.county_mean == pytest.approx((100 + 100 / 3) / 2) and enighet.county_n == 2
    free = lines["kommentar"]
    assert free.answer == DRAMMEN["kommentar"] and free.score is None and free.county_n == 0
    assert (lines["tiltak.annet"].label, lines["tiltak.annet"].answer) == ("Annet", "Turgruppe for kvinner")
    assert lines["moteplasser.idrett"].label == "Idrettslag"
    assert lines["moteplasser.idrett"].answer == "Vet ikke"
    assert lines["tiltak"].answer == "Språkkafé, Annet"


def test_profile_leaves_out_hidden_questions_and_a_region_of_one(session: Session, world: World) -> None:
    d = definition(session, world)
    rows = load(session, world, include_in_progress=True)
    aal = rows[1].municipality.id
    assert aal is not None
    lines = {line.key: line for line in res.profile(d, rows, aal, lang="nn")}
    assert "vedtaksar" not in lines  # hidden for Ål
    assert "tiltak.annet" not in lines  # «Annet» not chosen, nothing written
    politikk = lines["politikk"]
    assert (politikk.answer, politikk.score) == ("Nei", 0.0)
    assert (politikk.region_mean, politikk.region_n) == (None, 0)  # alone in Hallingdal
    assert lines["enighet"].answer == "Veit ikkje" and lines["enighet"].score is None


def test_profile_of_a_municipality_without_a_row(session: Session, world: World) -> None:
    d = definition(session, world)
    rows = load(session, world)
    lier = world.response(session, "3049").municipality_id
    with pytest.raises(LookupError):
        res.profile(d, rows, lier)


def test_rows_and_results_follow_every_change(session: Session, world: World) -> None:
    """Rows and round results are kept per process between requests (services/snapshots.py); a change to
    an answer bumps its response's version, so the next read sees it."""
    d = definition(session, world)

    def politikk() -> tuple[Value, dict[str, tuple[int, float]]]:
        rows = load(session, world, include_in_progress=True)
        lier = next(r for r in rows if r.municipality.kommunenummer == "3049")
        sections = res.round_results(d, rows)
        dists = [
            dist for _, questions in sections for q, ds in questions if q.id == "politikk" for dist in ds
        ]
        return lier.values["politikk"], counts(dists[0])

    assert politikk() == ("delvis", {"ja": (1, 1 / 3), "delvis": (1, 1 / 3), "nei": (1, 1 / 3)})
    response = world.response(session, "3049")
    assert response.id is not None
    draft = responses.load_draft(session, response_id=response.id)
    saved = responses.save(
        session, draft=draft, changes={"politikk": ("ja", draft.version("politikk"))}, editor=""
    )
    assert saved[0].outcome == responses.Outcome.saved
    assert politikk() == ("ja", {"ja": (2, 2 / 3), "delvis": (0, 0.0), "nei": (1, 1 / 3)})
