"""The questionnaire schema: the shipped files are valid, and every kind of error names its line.

The error cases are small inline files. The line each problem must be reported on is marked in the YAML
itself with ``# <--``, so a reader sees at a glance where the check has to point.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from survey_app.questionnaires import (
    DONT_KNOW,
    OTHER,
    QUESTION_TYPES,
    Item,
    Lineage,
    Option,
    ParameterDef,
    ParameterMapping,
    Problem,
    Question,
    QuestionnaireDef,
    QuestionnaireError,
    Scale,
    Section,
    ShowIf,
    estimate_minutes,
    load_file,
    parse,
    shipped_files,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
SHIPPED = shipped_files(REPO_ROOT / "questionnaires")
SURVEY = "kommuneundersokelse-sivilsamfunn"
CONSULTATION = "konsultasjon-samarbeid"
MARK = "# <--"


def shipped(questionnaire_id: str) -> QuestionnaireDef:
    return next(d for d in map(load_file, SHIPPED) if d.id == questionnaire_id)


def marked_line(text: str, mark: str = MARK) -> int:
    """The 1-based line of ``text`` that carries ``mark``."""
    # Split on newlines only: splitlines() would also break at control characters YAML does not.
    found = [n for n, line in enumerate(text.split("\n"), start=1) if mark in line]
    assert len(found) == 1, f"expected one line marked {mark!r}, found {found}"
    return found[0]


def problems_of(text: str) -> list[Problem]:
    with pytest.raises(QuestionnaireError) as caught:
        parse(text, "skjema.yaml")
    return caught.value.problems


# --- the shipped questionnaires ----------------------------------------------------------------------


def test_both_shipped_questionnaires_load() -> None:
    assert [p.name for p in SHIPPED] == [f"{SURVEY}.yaml", f"{CONSULTATION}.yaml"]
    for path in SHIPPED:
        load_file(path)  # raises QuestionnaireError listing every problem as FILE:LINE: message


def test_survey_is_answerable_within_an_hour_in_its_scored_blocks() -> None:
    survey = shipped(SURVEY)
    # Answerable: under an hour for a prepared coordinator, by the estimate the start page shows.
    assert estimate_minutes(survey) < 60 and estimate_minutes(survey, "nn") < 60
    # Its blocks are its parameters, each with a section of its own; qualification and NAV is asked but
    # not scored (it describes what is there, which the adviser reads beside the parameters).
    blocks = [
        "frivillighetspolitikk",
        "sivilsamfunn_intro",
        "moteplasser",
        "sosial_kontroll",
        "kapasitet",
        "medverknad",
        "mangfald",
    ]
    assert [p.id for p in survey.parameters] == blocks
    assert {s.id for s in survey.sections} >= {*blocks, "kvalifisering_nav"}
    for block in blocks:
        section = survey.section(block)
        assert section is not None
        fed_here = [q.id for q in section.questions if q.parameter and q.parameter.id == block]
        assert fed_here, f"no question of section {block} feeds parameter {block}"


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_parameters_used_and_declared_match(path: Path) -> None:
    definition = load_file(path)
    declared = {p.id for p in definition.parameters}
    used = {q.parameter.id for q in definition.questions() if q.parameter}
    assert used <= declared, f"used but not declared: {used - declared}"
    assert declared <= used, f"declared but fed by no question: {declared - used}"


def test_consultation_has_its_seven_topics_and_ranks_them() -> None:
    consultation = shipped(CONSULTATION)
    topics = [
        "samarbeid_fylket",
        "planer",
        "kvalifisering",
        "frivillighet",
        "godt_integreringsarbeid",
        "sosial_kontroll",
        "samskaping",
    ]
    assert [s.id for s in consultation.sections] == [*topics, "prioriteringer"]
    # One ranking of the topics instead of a 1–5 «how important» after each (everything came back «important»).
    ranking = consultation.question("prioriterte_tema")
    assert ranking.type == "ranking" and ranking.max_choices == 3
    assert [o.value for o in ranking.options or []] == topics
    likerts = [q.id for q in consultation.questions() if q.type == "likert" and q.parameter]
    assert likerts == ["samarbeid_prioritet"]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_ids_are_unique_within_each_file(path: Path) -> None:
    definition = load_file(path)
    question_ids = [q.id for q in definition.questions()]
    section_ids = [s.id for s in definition.sections]
    assert len(question_ids) == len(set(question_ids)), sorted(
        {i for i in question_ids if question_ids.count(i) > 1}
    )
    assert len(section_ids) == len(set(section_ids)), section_ids


# --- each kind of error, at its line -----------------------------------------------------------------

ERRORS = [
    pytest.param(
        """\
        id: test
        title: Test
        sections:
          - id: del1
            title: Del 1
            questions:
              - id: samarbeid
                type: jadelvisnei
                text: Samarbeid: hvordan går det?  # <--
        """,
        "YAML-feil",
        id="yaml-syntax",
    ),
    pytest.param(
        # A control character (here a vertical tab, as pasted from a word processor) is not allowed in YAML.
        """\
        id: test
        title: Møte\x0bplasser  # <--
        sections: []
        """,
        "YAML-feil",
        id="control-character",
    ),
    pytest.param(
        """\
        id: test
        title: Test
        sections:
          - id: del1
            title: Del 1
            questions:
              - id: plan
                type: jaellernei  # <--
                text: Har kommunen en plan?
        """,
        "ukjent spørsmålstype «jaellernei»",
        id="unknown-type",
    ),
    pytest.param(
        """\
        id: test
        title: Test
        sections:
          - id: del1
            title: Del 1
            questions:
              - id: plan
                type: jadelvisnei
                text: Har kommunen en plan?
              - id: vedtatt
                type: single
                text: Hvem vedtok planen?
                options: [{value: politisk, label: Politisk}, {value: administrativt, label: Administrativt}]
              - id: aar
                type: integer
                text: Hvilket år?
                show_if: {question: vedtaksaar, equals: ja}  # <--
        """,
        "«vedtaksaar», som finnes ikke",
        id="show_if-unknown-question",
    ),
    pytest.param(
        """\
        id: test
        title: Test
        sections:
          - id: del1
            title: Del 1
            questions:
              - id: aar
                type: integer
                text: Hvilket år ble planen vedtatt?
                show_if:
                  question: plan  # <--
                  equals: ja
              - id: plan
                type: jadelvisnei
                text: Har kommunen en plan?
        """,
        "kommer senere",
        id="show_if-later-question",
    ),
    pytest.param(
        """\
        id: test
        title: Test
        sections:
          - id: del1
            title: Del 1
            questions:
              - id: plan
                type: jadelvisnei
                text: Har kommunen en plan?
              - id: aar
                type: integer
                text: Hvilket år ble planen vedtatt?
                show_if:  # <--
                  question: plan
                  any_of: [ja, kanskje]
        """,
        "«kanskje», som ikke er et alternativ",
        id="show_if-value-not-an-option",
    ),
    pytest.param(
        """\
        id: test
        title: Test
        sections:
          - id: del1
            title: Del 1
            questions:
              - id: fornoyd  # <--
                type: likert
                text: Kommunen er fornøyd med samarbeidet.
        """,
        "trenger «scale»",
        id="likert-without-scale",
    ),
    pytest.param(
        """\
        id: test
        title: Test
        sections:
          - id: del1
            title: Del 1
            questions:
              - id: bruk  # <--
                type: matrix
                text: Hvor mye brukes møteplassene?
                items: [{id: bibliotek, text: Biblioteket}]
        """,
        "trenger «scale»",
        id="matrix-without-scale",
    ),
    pytest.param(
        """\
        id: test
        title: Test
        scales:
          enighet:
            labels: {1: Uenig, 2: Enig}
        sections:
          - id: del1
            title: Del 1
            questions:
              - id: fornoyd
                type: likert
                scale: enig  # <--
                text: Kommunen er fornøyd med samarbeidet.
        """,
        "skalaen «enig» finnes ikke",
        id="scale-name-not-under-scales",
    ),
    pytest.param(
        """\
        id: test
        title: Test
        scales:
          enighet:
            labels: {1: Enig}  # <--
        sections:
          - id: del1
            title: Del 1
            questions:
              - id: fornoyd
                type: likert
                scale: enighet
                text: Kommunen er fornøyd med samarbeidet.
        """,
        "«labels»",
        id="scale-with-one-label",
    ),
    pytest.param(
        """\
        id: test
        title: Test
        sections:
          - id: del1
            title: Del 1
            questions:
              - id: plan
                type: jadelvisnei
                text: Har kommunen en plan?
                requred: true  # <--
        """,
        "ukjent felt «requred»",
        id="unknown-field",
    ),
    pytest.param(
        """\
        id: test
        title: Test
        sections:
          - id: del1
            title: Del 1
            questions:
              - id: plan
                type: jadelvisnei
                text: Har kommunen en plan?
              - id: aar  # <--
                type: integer
                help: Hvilket år ble planen vedtatt?
        """,
        "mangler det påkrevde feltet «text»",
        id="missing-text",
    ),
    pytest.param(
        """\
        id: test
        title: Test
        sections:
          - id: del1
            title: Del 1
            questions:
              - id: plan
                type: jadelvisnei
                text: Har kommunen en plan?
                parameter:
                  id: planverk  # <--
                  scores: {ja: 100, delvis: 50, nei: 0}
        """,
        "parameteren «planverk» er ikke definert",
        id="parameter-not-declared",
    ),
    pytest.param(
        """\
        id: test
        title: Test
        parameters:
          - {id: planverk, label: Planverk}
        sections:
          - id: del1
            title: Del 1
            questions:
              - id: plan
                type: jadelvisnei
                text: Har kommunen en plan?
                parameter:
                  id: planverk
                  scores: {ja: 100, delvis: 50, kanskje: 25, nei: 0}  # <--
        """,
        "«kanskje», som ikke er et svaralternativ",
        id="scores-for-unknown-option",
    ),
    pytest.param(
        """\
        id: test
        title: Test
        parameters:
          - {id: planverk, label: Planverk}
        sections:
          - id: del1
            title: Del 1
            questions:
              - id: plan
                type: jadelvisnei
                text: Har kommunen en plan?
                parameter:
                  id: planverk
                  scores:
                    ja: 150  # <--
                    delvis: 50
                    nei: 0
        """,
        "mellom 0 og 100",
        id="score-above-100",
    ),
    pytest.param(
        """\
        id: test
        title: Test
        parameters:
          - {id: planverk, label: Planverk}
        sections:
          - id: del1
            title: Del 1
            questions:
              - id: plan
                type: jadelvisnei
                text: Har kommunen en plan?
                parameter:
                  id: planverk
                  scores:
                    ja: 100
                    delvis: 50
                    nei: -10  # <--
        """,
        "mellom 0 og 100",
        id="score-below-0",
    ),
    pytest.param(
        """\
        id: test
        title: Test
        parameters:
          - {id: planverk, label: Planverk}
        sections:
          - id: del1
            title: Del 1
            questions:
              - id: plan
                type: jadelvisnei
                text: Har kommunen en plan?
                parameter: {id: planverk}  # <--
        """,
        "trenger «scores»",
        id="choice-parameter-without-scores",
    ),
    pytest.param(
        """\
        id: test
        title: Test
        parameters:
          - {id: deltakere, label: Deltakere}
        sections:
          - id: del1
            title: Del 1
            questions:
              - id: andel
                type: integer
                text: Hvor stor andel av deltakerne har vært med på frivillige aktiviteter?
                min: 0
                max: 100
                parameter: {id: deltakere}  # <--
        """,
        "«range",
        id="integer-parameter-without-range",
    ),
    pytest.param(
        """\
        id: test
        title: Test
        sections:
          - id: del1
            title: Del 1
            questions:
              - id: Plan_Status  # <--
                type: jadelvisnei
                text: Har kommunen en plan?
        """,
        "«Plan_Status» er ikke en gyldig id",
        id="uppercase-id",
    ),
    pytest.param(
        """\
        id: test
        title: Test
        sections:
          - id: del1
            title: Del 1
            questions:
              - id: aar  # <--
                type: integer
                text: Hvilket år ble planen vedtatt?
                min: 2030
                max: 1990
        """,
        "«min» er større enn «max»",
        id="min-above-max",
    ),
    pytest.param(
        """\
        id: test
        title: Test
        parameters:
          - {id: planverk, label: Planverk}
          - {id: moteplasser, label: Møteplasser}  # <--
        sections:
          - id: del1
            title: Del 1
            questions:
              - id: plan
                type: jadelvisnei
                text: Har kommunen en plan?
                parameter: {id: planverk, scores: {ja: 100, delvis: 50, nei: 0}}
        """,
        "«moteplasser» får ingen spørsmål",
        id="parameter-fed-by-no-question",
    ),
    pytest.param(
        """\
        - id: plan  # <--
          type: jadelvisnei
          text: Har kommunen en plan?
        """,
        "filen må inneholde et skjema",
        id="not-a-mapping",
    ),
]


@pytest.mark.parametrize(("text", "words"), ERRORS)
def test_each_error_is_reported_once_at_its_line(text: str, words: str) -> None:
    text = textwrap.dedent(text)
    problems = problems_of(text)
    assert len(problems) == 1, "\n".join(map(str, problems))
    [problem] = problems
    assert problem.file == "skjema.yaml", problem
    assert problem.line == marked_line(text), str(problem)
    assert words in problem.message, str(problem)


def test_duplicate_question_id_points_at_the_second_and_names_the_first() -> None:
    text = textwrap.dedent("""\
        id: test
        title: Test
        sections:
          - id: del1
            title: Del 1
            questions:
              - id: plan  # first
                type: jadelvisnei
                text: Har kommunen en plan?
          - id: del2
            title: Del 2
            questions:
              - id: plan  # <--
                type: jadelvisnei
                text: Har kommunen en plan for frivilligheten?
        """)
    [problem] = problems_of(text)
    assert problem.line == marked_line(text), str(problem)
    assert "spørsmåls-id «plan» er brukt før" in problem.message, str(problem)
    assert f"(linje {marked_line(text, '# first')})" in problem.message, str(problem)


def test_every_problem_is_reported_in_line_order() -> None:
    # Two cross-question problems in one file: the author should see both at once, sorted by line.
    text = textwrap.dedent("""\
        id: test
        title: Test
        sections:
          - id: del1
            title: Del 1
            questions:
              - id: fornoyd
                type: likert
                scale: enig  # <-- scale
                text: Kommunen er fornøyd med samarbeidet.
              - id: aar
                type: integer
                text: Hvilket år?
                show_if:
                  question: plan  # <-- show_if
                  equals: ja
        """)
    problems = problems_of(text)
    assert [p.line for p in problems] == [
        marked_line(text, "# <-- scale"),
        marked_line(text, "# <-- show_if"),
    ], "\n".join(map(str, problems))
    assert str(problems[0]).startswith(f"skjema.yaml:{problems[0].line}: skalaen «enig»"), problems[0]


def test_a_file_that_is_not_utf8_is_reported_at_line_1(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("id: test\ntitle: Møteplasser på tvers\n".encode("latin-1"))
    with pytest.raises(QuestionnaireError) as caught:
        load_file(path)
    assert caught.value.problems == [Problem(str(path), 1, "filen er ikke UTF-8; lagre den som UTF-8")]


# --- content hash -----------------------------------------------------------------------------------

HASHED = textwrap.dedent("""\
    id: test
    title: Test
    sections:
      - id: del1
        title: Del 1
        questions:
          - id: plan
            type: jadelvisnei
            text: Har kommunen en plan?
    """)


def test_content_hash_is_stable_for_the_same_content() -> None:
    # Formatting and comments are not content: a reformatted file is the same version.
    reformatted = "# En kommentar\n" + HASHED.replace("title: Test", "title:   'Test'")
    assert parse(HASHED).content_hash() == parse(HASHED).content_hash()
    assert parse(reformatted).content_hash() == parse(HASHED).content_hash()


def test_content_hash_changes_when_a_question_text_changes() -> None:
    edited = HASHED.replace("Har kommunen en plan?", "Har kommunen en vedtatt plan?")
    assert parse(edited).content_hash() != parse(HASHED).content_hash()


# --- parse never crashes ----------------------------------------------------------------------------

# Keys and scalars from the schema's own vocabulary, so that generated documents get past the first
# checks and into the validators and cross-checks, not only into "unknown field".
MODELS = (
    QuestionnaireDef,
    Section,
    Question,
    Scale,
    Option,
    Item,
    ShowIf,
    ParameterMapping,
    ParameterDef,
    Lineage,
)
KEYS = st.sampled_from(sorted({name for model in MODELS for name in model.model_fields}))
WORDS = [*QUESTION_TYPES, "test", "q1", "q2", "del1", "enig", "ja", "nei", DONT_KNOW, OTHER, "Q1", ""]
SCALARS = st.one_of(
    st.sampled_from(WORDS),
    st.integers(min_value=-5, max_value=200),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.text(max_size=10),
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.one_of(KEYS, st.integers(0, 5)), children, max_size=6)
    ),
    max_leaves=30,
)


def _parse_or_questionnaire_error(text: str) -> None:
    try:
        parse(text)
    except QuestionnaireError as exc:
        assert exc.problems, "a QuestionnaireError must carry at least one problem"
        assert all(p.line >= 1 for p in exc.problems), exc.problems


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
@example("title: Møte\x0bplasser\n")  # a control character pasted from a word processor
@example("id: &a {sections: *a}\n")  # an alias to itself: a recursive document
def test_parse_raises_only_questionnaire_error_for_any_text(text: str) -> None:
    _parse_or_questionnaire_error(text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENTS)
def test_parse_raises_only_questionnaire_error_for_any_yaml_document(document: Any) -> None:
    _parse_or_questionnaire_error(yaml.safe_dump(document, allow_unicode=True))
