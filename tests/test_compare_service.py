"""Comparing two rounds of one questionnaire family, on a real database.

Version 2025.1 and 2026.1 of «sammenlign»: ``avtaler`` is renamed ``avtaler_frivillig`` (lineage),
``enighet`` moves from a 1–4 to a 1–5 scale, the matrix row ``idrett`` gives way to ``kulturhus``,
``antall_lag`` is removed and ``samarbeid`` is new. Ål answers only in 2025 (its 2026 answer is not sent);
Lier only in 2026. Answers through the real services (load_draft, save, submit):

| key                   | 2025 Drammen   | 2025 Ål    | 2025 Hol           | 2026 Drammen | 2026 Lier        | 2026 Hol             |
|-----------------------|----------------|------------|--------------------|--------------|------------------|----------------------|
| politikk              | ja             | nei        | delvis             | ja           | ja               | nei                  |
| vedtaksar             | 2015           | —          | 2020               | 2015         | 2022             | 2020 (hidden: nei)   |
| avtaler → _frivillig  | ja             | nei        | nei                | ja           | ja               | ja                   |
| enighet (1–4 → 1–5)   | 4              | vet_ikke   | 3                  | 5            | 3                | 3                    |
| tiltak (+ annet text) | sprakkafe, annet «Turgruppe» | leksehjelp | leksehjelp, sprakkafe | sprakkafe | sprakkafe, leksehjelp | sprakkafe, leksehjelp |
| moteplasser.bibliotek | 4              | 2          | 3                  | 4            | 4                | 4                    |
| moteplasser.idrett    | 3              | 1          | vet_ikke           | (row removed)                                          |
| moteplasser.kulturhus | (new row)                                        | 1            | 2                | vet_ikke             |
| antall_lag            | 12             | 4          | 7                  | (removed)                                              |
| samarbeid             | (new)                                            | ja           | delvis           | nei                  |
| kommentar             | Gammel         | —          | —                  | Ny           | —                | —                    |
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import date

import pytest
from sqlmodel import Session, col, select

from survey_app import audit
from survey_app.config import Settings
from survey_app.forms import Value
from survey_app.models import Municipality, QuestionnaireVersion, Response, Round
from survey_app.questionnaires import QuestionnaireDef, parse
from survey_app.services import catalog, register, responses, rounds
from survey_app.services import compare as cmp
from survey_app.services import results as res
from tests.factories import REGISTER_CSV, SMALL_QUESTIONNAIRE

OLD_YAML = textwrap.dedent("""\
    id: sammenlign
    title: {nb: Sammenligning, nn: Samanlikning}
    version: "2025.1"
    scales:
      enig:
        labels:
          1: {nb: Helt uenig, nn: Heilt usamd}
          2: {nb: Uenig, nn: Usamd}
          3: {nb: Enig, nn: Samd}
          4: {nb: Helt enig, nn: Heilt samd}
    parameters:
      - {id: p, label: P}
    sections:
      - id: s
        title: {nb: S, nn: S}
        questions:
          - id: politikk
            type: jadelvisnei
            text:
              nb: Har kommunen en frivillighetspolitikk?
              nn: Har kommunen ein frivilligheitspolitikk?
            parameter: {id: p, scores: {ja: 100, delvis: 50, nei: 0}}
          - id: vedtaksar
            type: integer
            text: {nb: "Hvilket år ble den vedtatt?", nn: "Kva år vart han vedteken?"}
            show_if: {question: politikk, any_of: [ja, delvis]}
          - id: avtaler
            type: single
            text: {nb: "Har kommunen avtaler med frivillige?", nn: "Har kommunen avtalar med frivillige?"}
            options:
              - {value: ja, label: {nb: Ja, nn: Ja}}
              - {value: nei, label: {nb: Nei, nn: Nei}}
            parameter: {id: p, scores: {ja: 100, nei: 0}}
          - id: enighet
            type: likert
            text: {nb: "Frivilligheten er godt med.", nn: "Frivilligheita er godt med."}
            scale: enig
            parameter: {id: p}
          - id: tiltak
            type: multi
            text: {nb: "Hvilke tiltak har dere?", nn: "Kva tiltak har de?"}
            other: true
            options:
              - {value: sprakkafe, label: {nb: Språkkafé, nn: Språkkafé}}
              - {value: leksehjelp, label: {nb: Leksehjelp, nn: Leksehjelp}}
          - id: moteplasser
            type: matrix
            text: {nb: "Hvor mye brukes møteplassene?", nn: "Kor mykje blir møteplassane brukte?"}
            scale: enig
            items:
              - {id: bibliotek, text: {nb: Biblioteket, nn: Biblioteket}}
              - {id: idrett, text: {nb: Idrettslag, nn: Idrettslag}}
            parameter: {id: p}
          - {id: antall_lag, type: integer, text: {nb: "Hvor mange lag finnes?", nn: "Kor mange lag finst?"}}
          - {id: kommentar, type: longtext, text: {nb: Kommentarer, nn: Kommentarar}}
""")

NEW_YAML = textwrap.dedent("""\
    id: sammenlign
    title: {nb: Sammenligning, nn: Samanlikning}
    version: "2026.1"
    scales:
      enig:
        labels:
          1: {nb: Helt uenig, nn: Heilt usamd}
          2: {nb: Uenig, nn: Usamd}
          3: {nb: Enig, nn: Samd}
          4: {nb: Helt enig, nn: Heilt samd}
      fem:
        labels:
          1: {nb: Svært uenig, nn: Svært usamd}
          2: {nb: Uenig, nn: Usamd}
          3: {nb: Nøytral, nn: Nøytral}
          4: {nb: Enig, nn: Samd}
          5: {nb: Svært enig, nn: Svært samd}
    parameters:
      - {id: p, label: P}
    sections:
      - id: s
        title: {nb: S, nn: S}
        questions:
          - id: politikk
            type: jadelvisnei
            text:
              nb: Har kommunen en frivillighetspolitikk?
              nn: Har kommunen ein frivilligheitspolitikk?
            parameter: {id: p, scores: {ja: 100, delvis: 50, nei: 0}}
          - id: vedtaksar
            type: integer
            text: {nb: "Hvilket år ble den vedtatt?", nn: "Kva år vart han vedteken?"}
            show_if: {question: politikk, any_of: [ja, delvis]}
          - id: avtaler_frivillig
            type: single
            text:
              nb: Har kommunen skriftlige avtaler med frivillige lag?
              nn: Har kommunen skriftlege avtalar med frivillige lag?
            options:
              - {value: ja, label: {nb: Ja, nn: Ja}}
              - {value: nei, label: {nb: Nei, nn: Nei}}
            parameter: {id: p, scores: {ja: 100, nei: 0}}
            lineage: {replaces: avtaler, note: Før 2026 talte også muntlige avtaler.}
          - id: enighet
            type: likert
            text: {nb: "Frivilligheten er godt med.", nn: "Frivilligheita er godt med."}
            scale: fem
            parameter: {id: p}
          - id: tiltak
            type: multi
            text: {nb: "Hvilke tiltak har dere?", nn: "Kva tiltak har de?"}
            other: true
            options:
              - {value: sprakkafe, label: {nb: Språkkafé, nn: Språkkafé}}
              - {value: leksehjelp, label: {nb: Leksehjelp, nn: Leksehjelp}}
          - id: moteplasser
            type: matrix
            text: {nb: "Hvor mye brukes møteplassene?", nn: "Kor mykje blir møteplassane brukte?"}
            scale: enig
            items:
              - {id: bibliotek, text: {nb: Biblioteket, nn: Biblioteket}}
              - {id: kulturhus, text: {nb: Kulturhuset, nn: Kulturhuset}}
            parameter: {id: p}
          - id: samarbeid
            type: jadelvisnei
            text: {nb: "Samarbeider dere med nabokommunene?", nn: "Samarbeider de med nabokommunane?"}
            parameter: {id: p, scores: {ja: 100, delvis: 50, nei: 0}}
          - {id: kommentar, type: longtext, text: {nb: Kommentarer, nn: Kommentarar}}
""")

# Same family under another id: an abridged questionnaire sent one year.
SHORT_YAML = textwrap.dedent("""\
    id: sammenlign-kort
    family: sammenlign
    title: {nb: "Sammenligning, kort", nn: "Samanlikning, kort"}
    sections:
      - id: s
        title: {nb: S, nn: S}
        questions:
          - id: politikk
            type: jadelvisnei
            text:
              nb: Har kommunen en frivillighetspolitikk?
              nn: Har kommunen ein frivilligheitspolitikk?
""")

OLD: dict[str, dict[str, Value]] = {
    "3005": {
        "politikk": "ja",
        "vedtaksar": 2015,
        "avtaler": "ja",
        "enighet": 4,
        "tiltak": ["sprakkafe", "annet"],
        "tiltak.annet": "Turgruppe",
        "moteplasser.bibliotek": 4,
        "moteplasser.idrett": 3,
        "antall_lag": 12,
        "kommentar": "Gammel",
    },
    "3043": {
        "politikk": "nei",
        "avtaler": "nei",
        "enighet": "vet_ikke",
        "tiltak": ["leksehjelp"],
        "moteplasser.bibliotek": 2,
        "moteplasser.idrett": 1,
        "antall_lag": 4,
    },
    "3044": {
        "politikk": "delvis",
        "vedtaksar": 2020,
        "avtaler": "nei",
        "enighet": 3,
        "tiltak": ["leksehjelp", "sprakkafe"],
        "moteplasser.bibliotek": 3,
        "moteplasser.idrett": "vet_ikke",
        "antall_lag": 7,
    },
}
NEW: dict[str, dict[str, Value]] = {
    "3005": {
        "politikk": "ja",
        "vedtaksar": 2015,
        "avtaler_frivillig": "ja",
        "enighet": 5,
        "tiltak": ["sprakkafe"],
        "moteplasser.bibliotek": 4,
        "moteplasser.kulturhus": 1,
        "samarbeid": "ja",
        "kommentar": "Ny",
    },
    "3049": {
        "politikk": "ja",
        "vedtaksar": 2022,
        "avtaler_frivillig": "ja",
        "enighet": 3,
        "tiltak": ["sprakkafe", "leksehjelp"],
        "moteplasser.bibliotek": 4,
        "moteplasser.kulturhus": 2,
        "samarbeid": "delvis",
    },
    "3044": {
        "politikk": "nei",
        "vedtaksar": 2020,  # kept from when politikk said otherwise: hidden, stale
        "avtaler_frivillig": "ja",
        "enighet": 3,
        "tiltak": ["sprakkafe", "leksehjelp"],
        "moteplasser.bibliotek": 4,
        "moteplasser.kulturhus": "vet_ikke",
        "samarbeid": "nei",
    },
    "3043": {"politikk": "ja"},  # saved, never sent
}


@dataclass
class Rounds:
    old: Round
    new: Round
    short: Round
    other: Round

    @property
    def ids(self) -> tuple[int, int]:
        assert self.old.id is not None and self.new.id is not None
        return self.new.id, self.old.id


def _round(session: Session, settings: Settings, yaml_text: str, year: int, county_id: int) -> Round:
    version = catalog.import_questionnaire(session, definition=parse(yaml_text), actor=audit.SYSTEM)
    return rounds.create_round(
        session,
        county_id=county_id,
        version=version,
        year=year,
        title=f"Runde {year}",
        opens_on=date(year, 1, 1),
        closes_on=date(2099, 1, 31),
        municipalities=list(session.exec(select(Municipality).order_by(Municipality.kommunenummer))),
        secret_key=settings.resolved_secret_key(),
        invitation_days=30,
        actor=audit.SYSTEM,
    )


def _answer(
    session: Session, round_: Round, answers: dict[str, dict[str, Value]], *, unsent: str = ""
) -> None:
    for number, values in answers.items():
        response = session.exec(
            select(Response)
            .join(Municipality, col(Municipality.id) == col(Response.municipality_id))
            .where(Response.round_id == round_.id, Municipality.kommunenummer == number)
        ).one()
        assert response.id is not None
        draft = responses.load_draft(session, response_id=response.id)
        saved = responses.save(
            session, draft=draft, changes={k: (v, 0) for k, v in values.items()}, editor="test"
        )
        assert all(r.outcome == responses.Outcome.saved for r in saved), saved
        if number != unsent:
            assert responses.submit(session, draft=draft, signer_name="Kari", signer_role="Leder") == []


@pytest.fixture
def two_rounds(session: Session, settings: Settings) -> Rounds:
    csv = REGISTER_CSV + "3044,Hol,Hallingdal\n"
    county = register.load_register(
        session, rows=register.parse_register(csv), county_name="Testfylket", actor=audit.SYSTEM
    )
    assert county.id is not None
    short = _round(session, settings, SHORT_YAML, 2024, county.id)
    old = _round(session, settings, OLD_YAML, 2025, county.id)
    other = _round(session, settings, SMALL_QUESTIONNAIRE, 2025, county.id)
    new = _round(session, settings, NEW_YAML, 2026, county.id)
    _answer(session, old, OLD)
    _answer(session, new, NEW, unsent="3043")
    return Rounds(old, new, short, other)


@dataclass
class Loaded:
    new_def: QuestionnaireDef
    new_rows: list[res.Row]
    old_def: QuestionnaireDef
    old_rows: list[res.Row]


@pytest.fixture
def loaded(session: Session, two_rounds: Rounds) -> Loaded:
    new_id, old_id = two_rounds.ids
    return Loaded(
        res.round_definition(session, round_id=new_id),
        res.load_rows(session, round_id=new_id),
        res.round_definition(session, round_id=old_id),
        res.load_rows(session, round_id=old_id),
    )


# --- rounds -----------------------------------------------------------------------------------------


def test_the_two_versions_are_one_questionnaire(session: Session, two_rounds: Rounds) -> None:
    assert two_rounds.old.questionnaire_version_id != two_rounds.new.questionnaire_version_id
    old_version = session.get(QuestionnaireVersion, two_rounds.old.questionnaire_version_id)
    new_version = session.get(QuestionnaireVersion, two_rounds.new.questionnaire_version_id)
    assert old_version is not None and new_version is not None
    assert old_version.questionnaire_id == new_version.questionnaire_id
    assert (old_version.version_no, new_version.version_no) == (1, 2)


def test_comparable_rounds_share_the_family_newest_first(session: Session, two_rounds: Rounds) -> None:
    new_id, old_id = two_rounds.ids
    # The 2025 round of «liten-test» is of another family; «sammenlign-kort» is of this one.
    assert [r.id for r in cmp.comparable_rounds(session, round_id=new_id)] == [old_id, two_rounds.short.id]
    assert [r.id for r in cmp.comparable_rounds(session, round_id=old_id)] == [new_id, two_rounds.short.id]
    assert two_rounds.other.id is not None
    assert cmp.comparable_rounds(session, round_id=two_rounds.other.id) == []


def test_comparable_rounds_stay_in_the_county(
    session: Session, two_rounds: Rounds, settings: Settings
) -> None:
    county = register.load_register(
        session,
        rows=register.parse_register("kommunenummer,name,region\n4601,Bergen,Bjørgvin\n"),
        county_name="Annetfylket",
        actor=audit.SYSTEM,
    )
    assert county.id is not None
    theirs = _round(session, settings, NEW_YAML, 2027, county.id)
    new_id, old_id = two_rounds.ids
    assert [r.id for r in cmp.comparable_rounds(session, round_id=new_id)] == [old_id, two_rounds.short.id]
    assert theirs.id is not None and cmp.comparable_rounds(session, round_id=theirs.id) == []


def test_comparable_rounds_of_an_unknown_round(session: Session) -> None:
    with pytest.raises(LookupError):
        cmp.comparable_rounds(session, round_id=999_999)


# --- matching questions -----------------------------------------------------------------------------


def test_questions_match_by_id_or_lineage(loaded: Loaded) -> None:
    pairs = cmp.match_questions(loaded.new_def, loaded.old_def)
    assert [(p.new.id, p.old.id if p.old else None, p.renamed, p.scale_changed) for p in pairs] == [
        ("politikk", "politikk", False, False),
        ("vedtaksar", "vedtaksar", False, False),
        ("avtaler_frivillig", "avtaler", True, False),
        ("enighet", "enighet", False, True),
        ("tiltak", "tiltak", False, False),
        ("moteplasser", "moteplasser", False, False),  # rows changed, the scale did not
        ("samarbeid", None, False, False),
        ("kommentar", "kommentar", False, False),
    ]
    assert [q.id for q in cmp.removed(loaded.new_def, loaded.old_def)] == ["antall_lag"]
    # Read the other way round, the new questions are the removed ones (lineage points backwards only).
    assert [q.id for q in cmp.removed(loaded.old_def, loaded.new_def)] == ["avtaler_frivillig", "samarbeid"]


def _one(question: str, scales: str = "") -> QuestionnaireDef:
    body = textwrap.indent(question, " " * 6)
    return parse(f"id: q\ntitle: Q\n{scales}sections:\n  - id: s\n    title: S\n    questions:\n{body}")


CHOICE = """\
- id: a
  type: single
  text: A
  options: [{value: x, label: X}, {value: y, label: Y}]
"""
FOUR = "scales:\n  fire:\n    labels: {1: En, 2: To, 3: Tre, 4: Fire}\n"


@pytest.mark.parametrize(
    ("new", "new_scales", "expected"),
    [
        (CHOICE, "", ("a", False, False)),
        (CHOICE.replace("label: X", "label: Eks"), "", ("a", False, False)),  # wording of an option only
        (
            CHOICE.replace(
                "{value: x, label: X}, {value: y, label: Y}", "{value: y, label: Y}, {value: x, label: X}"
            ),
            "",
            ("a", False, False),
        ),
        (CHOICE.replace("value: y", "value: z"), "", ("a", False, True)),
        (CHOICE.replace("text: A", "text: A\n  other: true"), "", ("a", False, True)),
        (CHOICE.replace("type: single", "type: multi"), "", ("a", False, True)),
        (CHOICE.replace("id: a", "id: b\n  lineage: {replaces: a}"), "", ("a", True, False)),
        (CHOICE.replace("id: a", "id: b\n  lineage: {replaces: borte}"), "", (None, False, False)),
        (CHOICE.replace("id: a", "id: b"), "", (None, False, False)),  # no lineage: a new question
        ("- {id: a, type: likert, text: A, scale: fire}\n", FOUR, ("a", False, True)),  # type
    ],
)
def test_match_flags(new: str, new_scales: str, expected: tuple[str | None, bool, bool]) -> None:
    [pair] = cmp.match_questions(_one(new, new_scales), _one(CHOICE))
    assert (pair.old.id if pair.old else None, pair.renamed, pair.scale_changed) == expected


LIKERT = "- {id: l, type: likert, text: L, scale: fire}\n"


@pytest.mark.parametrize(
    ("new", "changed"),
    [
        (LIKERT, False),
        ("- {id: l, type: likert, text: L, scale: {labels: {1: A, 2: B, 3: C, 4: D}}}\n", False),  # inline
        (
            LIKERT.replace(
                "scale: fire", "scale: {labels: {1: En, 2: To, 3: Tre, 4: Fire}, dont_know: false}"
            ),
            False,
        ),
        (
            "- {id: l, type: likert, text: L, scale: {labels: {1: En, 2: To, 3: Tre, 4: Fire, 5: Fem}}}\n",
            True,
        ),
        ("- {id: l, type: likert, text: L, scale: {labels: {0: Ingen, 1: En, 2: To, 3: Tre}}}\n", True),
    ],
)
def test_scale_points_decide_a_scale_change(new: str, changed: bool) -> None:
    [pair] = cmp.match_questions(_one(new, FOUR), _one(LIKERT, FOUR))
    assert pair.old is not None and pair.scale_changed is changed


def test_the_same_id_wins_over_lineage() -> None:
    old = _one(CHOICE + CHOICE.replace("id: a", "id: b"))
    new = _one(CHOICE.replace("id: a", "id: b\n  lineage: {replaces: a}") + CHOICE)
    pairs = cmp.match_questions(new, old)
    assert [(p.new.id, p.old.id if p.old else None, p.renamed) for p in pairs] == [
        ("b", "b", False),
        ("a", "a", False),
    ]


def test_a_split_question_continues_one_old_question() -> None:
    old = _one(CHOICE)
    new = _one(
        CHOICE.replace("id: a", "id: b\n  lineage: {replaces: a}")
        + CHOICE.replace("id: a", "id: c\n  lineage: {replaces: a}")
    )
    assert [(p.new.id, p.old.id if p.old else None) for p in cmp.match_questions(new, old)] == [
        ("b", "a"),
        ("c", "a"),
    ]
    assert cmp.removed(new, old) == []


# --- per question -----------------------------------------------------------------------------------


def _changes(loaded: Loaded) -> dict[str, cmp.KeyChange]:
    compared = cmp.compare_questions(loaded.new_def, loaded.new_rows, loaded.old_def, loaded.old_rows)
    return {c.key: c for _, changes in compared for c in changes}


def counts(dist: res.Distribution | None) -> dict[str, int]:
    assert dist is not None
    return {o.value: o.count for o in dist.options}


def test_compared_keys_in_order_free_text_left_out(loaded: Loaded) -> None:
    compared = cmp.compare_questions(loaded.new_def, loaded.new_rows, loaded.old_def, loaded.old_rows)
    assert [(p.new.id, [c.key for c in changes]) for p, changes in compared] == [
        ("politikk", ["politikk"]),
        ("vedtaksar", ["vedtaksar"]),
        ("avtaler_frivillig", ["avtaler_frivillig"]),
        ("enighet", ["enighet"]),
        ("tiltak", ["tiltak"]),
        ("moteplasser", ["moteplasser.bibliotek", "moteplasser.kulturhus"]),
        ("samarbeid", ["samarbeid"]),
    ]


def test_choice_question_scores(loaded: Loaded) -> None:
    c = _changes(loaded)["politikk"]
    assert c.label == "Har kommunen en frivillighetspolitikk?"
    assert counts(c.old) == {"ja": 1, "delvis": 1, "nei": 1}
    assert counts(c.new) == {"ja": 2, "delvis": 0, "nei": 1}
    # 2025: 100, 0, 50; 2026: 100, 100, 0.
    assert c.score_old == 50.0 and c.score_new == pytest.approx(200 / 3)
    assert c.score_change == pytest.approx(50 / 3)
    assert c.mean_change is None  # a choice has no mean


def test_integer_mean_without_the_hidden_answer(loaded: Loaded) -> None:
    c = _changes(loaded)["vedtaksar"]
    assert c.old is not None
    # 2025: Drammen 2015, Hol 2020 (Ål not asked); 2026: Drammen 2015, Lier 2022 (Hol's 2020 is stale).
    assert (c.old.n, c.old.mean, c.new.n, c.new.mean) == (2, 2017.5, 2, 2018.5)
    assert c.mean_change == 1.0
    assert (c.score_new, c.score_old, c.score_change) == (None, None, None)  # feeds no parameter


def test_renamed_question_compares_with_its_predecessor(loaded: Loaded) -> None:
    c = _changes(loaded)["avtaler_frivillig"]
    assert c.label == "Har kommunen skriftlige avtaler med frivillige lag?"
    assert c.old is not None and c.old.key == "avtaler"
    assert counts(c.old) == {"ja": 1, "nei": 2} and counts(c.new) == {"ja": 3, "nei": 0}
    assert c.score_old == pytest.approx(100 / 3) and c.score_new == 100.0
    assert c.score_change == pytest.approx(200 / 3)


def test_changed_scale_compares_only_scores(loaded: Loaded) -> None:
    c = _changes(loaded)["enighet"]
    assert c.old is not None
    assert (c.old.n, c.old.dont_know, c.old.mean) == (2, 1, 3.5)
    assert counts(c.old) == {"1": 0, "2": 0, "3": 1, "4": 1}
    assert counts(c.new) == {"1": 0, "2": 0, "3": 2, "4": 0, "5": 1}
    assert c.new.mean == pytest.approx(11 / 3)
    assert c.mean_change is None  # 3.5 of 1–4 and 3.7 of 1–5 are not on one line
    # 2025: 4 of 1–4 = 100, 3 of 1–4 = 66.7, «vet ikke» nothing; 2026: 5 of 1–5 = 100, 3 = 50, 3 = 50.
    assert c.score_old == pytest.approx(250 / 3) and c.score_new == pytest.approx(200 / 3)
    assert c.score_change == pytest.approx(-50 / 3)


def test_multiple_choice_without_scores(loaded: Loaded) -> None:
    c = _changes(loaded)["tiltak"]
    assert counts(c.old) == {"sprakkafe": 2, "leksehjelp": 2, "annet": 1}
    assert counts(c.new) == {"sprakkafe": 3, "leksehjelp": 2, "annet": 0}
    assert (c.mean_change, c.score_new, c.score_old, c.score_change) == (None, None, None, None)


def test_matrix_rows_match_by_item(loaded: Loaded) -> None:
    changes = _changes(loaded)
    library = changes["moteplasser.bibliotek"]
    assert library.label == "Biblioteket" and library.old is not None
    assert library.old.key == "moteplasser.bibliotek"
    assert (library.old.mean, library.new.mean, library.mean_change) == (3.0, 4.0, 1.0)
    # 2025: 4, 2, 3 of 1–4 = 100, 33.3, 66.7; 2026: all 4 = 100.
    assert library.score_old == pytest.approx(200 / 3) and library.score_new == 100.0
    assert library.score_change == pytest.approx(100 / 3)
    culture = changes["moteplasser.kulturhus"]
    assert culture.label == "Kulturhuset" and culture.old is None
    assert (culture.new.n, culture.new.dont_know, culture.new.mean) == (2, 1, 1.5)
    assert culture.score_new == pytest.approx(50 / 3)
    assert (culture.mean_change, culture.score_old, culture.score_change) == (None, None, None)


def test_new_question_has_only_the_new_round(loaded: Loaded) -> None:
    c = _changes(loaded)["samarbeid"]
    assert c.old is None and counts(c.new) == {"ja": 1, "delvis": 1, "nei": 1}
    assert (c.score_new, c.score_old, c.score_change, c.mean_change) == (50.0, None, None, None)


# --- per municipality -------------------------------------------------------------------------------


def _lines(diff: cmp.MunicipalityDiff) -> list[tuple[str, str, str, str]]:
    return [(c.key, c.label, c.old, c.new) for c in diff.changes]


def test_municipalities_in_either_round(loaded: Loaded) -> None:
    diffs = cmp.compare_municipalities(loaded.new_def, loaded.new_rows, loaded.old_def, loaded.old_rows)
    assert [(d.municipality.kommunenummer, d.only_in, d.regions) for d in diffs] == [
        ("3005", None, ["Drammensregionen"]),
        ("3043", "old", ["Hallingdal"]),
        ("3044", None, ["Hallingdal"]),
        ("3049", "new", ["Drammensregionen"]),
    ]
    drammen, aal, hol, lier = diffs
    assert aal.changes == [] and lier.changes == []
    assert _lines(drammen) == [
        ("enighet", "Frivilligheten er godt med.", "4 – Helt enig", "5 – Svært enig"),
        ("tiltak", "Hvilke tiltak har dere?", "Språkkafé, Annet", "Språkkafé"),
        ("tiltak.annet", "Annet", "Turgruppe", "Ikke besvart"),
        ("kommentar", "Kommentarer", "Gammel", "Ny"),
    ]
    assert _lines(hol) == [
        ("politikk", "Har kommunen en frivillighetspolitikk?", "Delvis", "Nei"),
        # Still stored, but hidden behind «nei»: no longer an answer.
        ("vedtaksar", "Hvilket år ble den vedtatt?", "2020", "Ikke besvart"),
        ("avtaler_frivillig", "Har kommunen skriftlige avtaler med frivillige lag?", "Nei", "Ja"),
        # The same 3, but «Enig» on the old scale and «Nøytral» on the new one.
        ("enighet", "Frivilligheten er godt med.", "3 – Enig", "3 – Nøytral"),
        ("moteplasser.bibliotek", "Biblioteket", "3 – Enig", "4 – Helt enig"),
    ]
    assert all(c.question is loaded.new_def.question(c.key.split(".")[0]) for c in hol.changes)


def test_same_choices_in_another_order_are_no_change(loaded: Loaded) -> None:
    old_hol, new_hol = (
        next(r for r in rows if r.municipality.kommunenummer == "3044")
        for rows in (loaded.old_rows, loaded.new_rows)
    )
    assert old_hol.values["tiltak"] != new_hol.values["tiltak"]  # stored in another order
    changes = cmp.municipality_changes(loaded.new_def, new_hol, loaded.old_def, old_hol)
    assert "tiltak" not in {c.key for c in changes}


def test_municipality_changes_in_nynorsk(loaded: Loaded) -> None:
    old, new = (
        next(r for r in rows if r.municipality.kommunenummer == "3005")
        for rows in (loaded.old_rows, loaded.new_rows)
    )
    changes = {
        c.key: c for c in cmp.municipality_changes(loaded.new_def, new, loaded.old_def, old, lang="nn")
    }
    assert (changes["tiltak.annet"].label, changes["tiltak.annet"].new) == ("Anna", "Ikkje svart på")
    assert changes["tiltak"].old == "Språkkafé, Anna"


def test_a_round_compared_with_itself_has_no_changes(loaded: Loaded) -> None:
    assert all(
        p.old is not None and not p.renamed and not p.scale_changed
        for p in cmp.match_questions(loaded.new_def, loaded.new_def)
    )
    assert cmp.removed(loaded.new_def, loaded.new_def) == []
    diffs = cmp.compare_municipalities(loaded.new_def, loaded.new_rows, loaded.new_def, loaded.new_rows)
    assert [(d.only_in, d.changes) for d in diffs] == [(None, [])] * 3
    for _, changes in cmp.compare_questions(loaded.new_def, loaded.new_rows, loaded.new_def, loaded.new_rows):
        for c in changes:
            assert c.old == c.new and c.mean_change in (None, 0.0) and c.score_change in (None, 0.0)
