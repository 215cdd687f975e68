"""Issue 14's question model: ``show_if`` with ``any_of``/``all_of``, ``max_choices``, «Vet ikke» on numbers.

Schema errors are checked as in test_questionnaires.py (the line each problem must name carries ``# <--``);
what respondents see and what is stored goes through HTTP on a real database.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import Session

from survey_app.config import Settings
from survey_app.forms import display_value, validate
from survey_app.i18n import t
from survey_app.questionnaires import QuestionnaireDef, ShowIf, load_file, parse, shipped_files
from survey_app.services import results as res
from survey_app.services.responses import progress_of, visible_ids
from tests.conftest import csrf_of
from tests.factories import World, make_world
from tests.test_questionnaires import marked_line, problems_of
from tests.test_respondent import autosave, stored

SHIPPED = {d.id: d for d in map(load_file, shipped_files(Path(__file__).parent.parent / "questionnaires"))}

# Two ways into «bidrag» (agreements or activities), one condition needing both, a limited multiple choice
# and a number with «Vet ikke».
MODEL = textwrap.dedent("""\
    id: modell-test
    title: {nb: Spørsmålsmodellen, nn: Spørsmålsmodellen}
    parameters:
      - id: frivillighet
        label: Frivillighet
    sections:
      - id: del1
        title: {nb: Første del, nn: Første del}
        questions:
          - id: avtaler
            type: jadelvisnei
            text: {nb: "Har kommunen avtaler med frivillige?", nn: "Har kommunen avtalar med frivillige?"}
          - id: aktiviteter
            type: multi
            text: {nb: "Hvilke aktiviteter har dere?", nn: "Kva aktivitetar har de?"}
            help: {nb: "Velg de viktigste.", nn: "Vel dei viktigaste."}
            max_choices: 2
            options:
              - {value: sprak, label: {nb: Språkkafé, nn: Språkkafé}}
              - {value: mentor, label: {nb: Mentor, nn: Mentor}}
              - {value: idrett, label: {nb: Idrett, nn: Idrett}}
              - {value: ingen, label: {nb: Ingen, nn: Ingen}}
          - id: bidrag
            type: jadelvisnei
            text: {nb: "Bidrar samarbeidet til språktrening?", nn: "Bidreg samarbeidet til språktrening?"}
            required: true
            show_if:
              any_of:
                - {question: avtaler, any_of: [ja, delvis]}
                - {question: aktiviteter, any_of: [sprak, mentor, idrett]}
          - id: begge
            type: text
            text:
              nb: Hvordan henger avtalene og aktivitetene sammen?
              nn: Korleis heng avtalane og aktivitetane saman?
            show_if:
              all_of:
                - {question: avtaler, equals: ja}
                - any_of:
                    - {question: aktiviteter, equals: sprak}
                    - {question: aktiviteter, equals: mentor}
          - id: andel
            type: integer
            text:
              nb: Hvor stor andel av deltakerne var med?
              nn: Kor stor del av deltakarane var med?
            min: 0
            max: 100
            unit: {nb: prosent, nn: prosent}
            dont_know: true
            parameter: {id: frivillighet, range: [0, 100]}
""")


def shown_for(values: dict[str, Any]) -> set[str]:
    return visible_ids(parse(MODEL), values)


# --- show_if with any_of / all_of -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "bidrag", "begge"),
    [
        ({}, False, False),
        ({"avtaler": "nei", "aktiviteter": ["ingen"]}, False, False),
        ({"avtaler": "delvis"}, True, False),
        ({"avtaler": "nei", "aktiviteter": ["idrett"]}, True, False),
        ({"avtaler": "ja", "aktiviteter": ["idrett"]}, True, False),
        ({"avtaler": "ja", "aktiviteter": ["mentor", "idrett"]}, True, True),
    ],
)
def test_any_of_shows_through_either_way_and_all_of_needs_every_one(
    values: dict[str, Any], bidrag: bool, begge: bool
) -> None:
    shown = shown_for(values)
    assert ("bidrag" in shown, "begge" in shown) == (bidrag, begge)


def test_a_hidden_questions_stale_answer_satisfies_no_condition() -> None:
    definition = parse(
        MODEL.replace(
            "      - id: aktiviteter\n        type: multi\n",
            "      - id: aktiviteter\n        type: multi\n        show_if: {question: avtaler, equals: ja}\n",
        )
    )
    # «aktiviteter» is hidden after «nei»: its stored «sprak» must not show «bidrag».
    assert "bidrag" not in visible_ids(definition, {"avtaler": "nei", "aktiviteter": ["sprak"]})
    assert "bidrag" in visible_ids(definition, {"avtaler": "ja", "aktiviteter": ["sprak"]})


def test_a_hidden_required_question_is_not_required() -> None:
    definition = parse(MODEL)
    assert progress_of(definition, {"avtaler": "nei", "aktiviteter": ["ingen"]}).required_total == 0
    assert progress_of(definition, {"avtaler": "ja"}).required_total == 1


def test_the_single_condition_form_is_unchanged() -> None:
    one = ShowIf.model_validate({"question": "avtaler", "any_of": ["ja", "delvis"]})
    assert one.accepted == {"ja", "delvis"} and one.parts == []
    assert one.model_dump(mode="json") == {"question": "avtaler", "equals": None, "any_of": ["ja", "delvis"]}


def test_a_questionnaire_without_the_new_keys_keeps_its_content_hash() -> None:
    # The hash this file had before issue 14: a stored version must not be imported again as a new one.
    text = textwrap.dedent("""\
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
    assert parse(text).content_hash() == "8f020a84bdb5972935126a059ea49bb8eb643b4ddcf389bcc076e791fe2866b3"


def test_a_stored_definition_with_combined_conditions_reads_back_the_same() -> None:
    definition = parse(MODEL)
    again = QuestionnaireDef.model_validate(definition.model_dump(mode="json"))
    assert again == definition and again.content_hash() == definition.content_hash()


def test_shipped_survey_does_not_ask_for_contributions_without_any_collaboration() -> None:
    survey = SHIPPED["kommuneundersokelse-sivilsamfunn"]
    nothing = {"samarbeidsavtaler_frivillige": "nei", "aktiviteter_frivillige": ["ingen"]}
    assert "frivillige_bidrag" not in visible_ids(survey, nothing)
    section = survey.section("sivilsamfunn_intro")
    required = progress_of(survey, nothing, section).required_total
    assert required == 1  # only the agreements question itself
    for values in (
        {"samarbeidsavtaler_frivillige": "ja"},
        {"samarbeidsavtaler_frivillige": "nei", "aktiviteter_frivillige": ["mentor"]},
        {"samarbeidsavtaler_frivillige": "vet_ikke"},
    ):
        assert "frivillige_bidrag" in visible_ids(survey, values), values
        assert progress_of(survey, values, section).required_total == 2


def test_shipped_most_important_questions_are_limited() -> None:
    consultation = SHIPPED["konsultasjon-samarbeid"]
    limited = {q.id: q.max_choices for q in consultation.questions() if q.max_choices}
    assert limited == {
        "samarbeidsformer": 3,
        "kvalifisering_omrader": 3,
        "maling_vektlegging": 3,
        "nsk_tiltak": 3,
        "prioriterte_tema": 3,
    }


# --- errors at their lines ------------------------------------------------------------------------

HEAD = """\
id: test
title: Test
sections:
  - id: del1
    title: Del 1
    questions:
      - id: plan
        type: jadelvisnei
        text: Har kommunen en plan?
      - id: tiltak
        type: multi
        text: Hvilke tiltak?
        options:
          - {value: kurs, label: Kurs}
          - {value: nettverk, label: Nettverk}
"""

SCHEMA_ERRORS = [
    pytest.param(
        """\
      - id: aar
        type: integer
        text: Hvilket år?
        show_if:
          any_of:
            - {question: plan, equals: ja}
            - {question: senere, equals: ja}  # <--
      - id: senere
        type: jadelvisnei
        text: Senere?
""",
        "show_if viser til spørsmålet «senere», som kommer senere",
        id="nested-condition-on-a-later-question",
    ),
    pytest.param(
        """\
      - id: aar
        type: integer
        text: Hvilket år?
        show_if:
          all_of:
            - {question: plan, equals: ja}
            - any_of:
                - {question: tiltak, any_of: [kurs, mote]}  # <--
""",
        "show_if bruker svaret «mote», som ikke er et alternativ i «tiltak»",
        id="nested-value-not-an-option",
    ),
    pytest.param(
        """\
      - id: aar
        type: integer
        text: Hvilket år?
        show_if:
          any_of:
            - {question: plan, equals: ja}
            - {question: aar2, equals: ja}  # <--
""",
        "show_if viser til spørsmålet «aar2», som finnes ikke",
        id="nested-condition-on-an-unknown-question",
    ),
    pytest.param(
        """\
      - id: aar
        type: integer
        text: Hvilket år?
        show_if:  # <--
          any_of: [ja, delvis]
""",
        "«any_of» uten «question» lister betingelser",
        id="values-without-question",
    ),
    pytest.param(
        """\
      - id: aar
        type: integer
        text: Hvilket år?
        show_if:  # <--
          question: plan
          all_of:
            - {question: plan, equals: ja}
""",
        "«all_of» samler flere betingelser",
        id="all_of-beside-question",
    ),
    pytest.param(
        """\
      - id: aar
        type: integer
        text: Hvilket år?
        show_if:  # <--
          all_of: []
""",
        "trenger minst én betingelse",
        id="empty-all_of",
    ),
    pytest.param(
        """\
      - id: flere
        type: multi
        text: Hvilke?
        max_choices: 4  # <--
        options:
          - {value: a, label: A}
          - {value: b, label: B}
        other: true
""",
        "«max_choices» er 4, men spørsmålet har bare 3 svaralternativer",
        id="max_choices-above-the-options",
    ),
    pytest.param(
        """\
      - id: flere
        type: multi
        text: Hvilke?
        max_choices: 0  # <--
        options:
          - {value: a, label: A}
          - {value: b, label: B}
""",
        "«max_choices» må være større enn 0",
        id="max_choices-zero",
    ),
    pytest.param(
        """\
      - id: en  # <--
        type: single
        text: Hvilken?
        max_choices: 1
        options:
          - {value: a, label: A}
          - {value: b, label: B}
""",
        "«max_choices» hører bare til typene multi, ranking, ikke «single»",
        id="max_choices-on-single",
    ),
    pytest.param(
        """\
      - id: navn  # <--
        type: text
        text: Navn på enheten?
        dont_know: true
""",
        "«dont_know» hører bare til typene single, integer, ikke «text»",
        id="dont_know-on-text",
    ),
]


@pytest.mark.parametrize(("tail", "words"), SCHEMA_ERRORS)
def test_each_schema_error_is_reported_once_at_its_line(tail: str, words: str) -> None:
    text = HEAD + tail
    problems = problems_of(text)
    assert len(problems) == 1, "\n".join(map(str, problems))
    [problem] = problems
    assert problem.line == marked_line(text), str(problem)
    assert words in problem.message, str(problem)


# --- through HTTP -------------------------------------------------------------------------------------


@pytest.fixture
def world(session: Session, settings: Settings) -> World:
    return make_world(session, settings, questionnaire=MODEL)


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def enter(client: TestClient, world: World, kommunenummer: str = "3005") -> str:
    """Open the municipality's link; returns the session's CSRF token, read from the first section."""
    r = client.get(world.link(kommunenummer))
    assert r.status_code == 303, r.text
    return csrf_of(client, "/svar/del/del1")


def test_a_question_reached_by_either_condition_appears_and_is_required(
    client: TestClient, world: World
) -> None:
    csrf = enter(client, world)
    page = soup(client.get("/svar/del/del1").text)
    assert page.find(id="q-bidrag").has_attr("hidden")
    r = autosave(client, csrf, "aktiviteter", {"aktiviteter": ["idrett"], "v:aktiviteter": "0"})
    shown = soup(r.text).find(id="q-bidrag")
    assert shown is not None and not shown.has_attr("hidden"), r.text
    r = client.post("/svar/send-inn", data={"csrf_token": csrf, "signer_name": "Leder", "signer_role": "x"})
    assert "Bidrar samarbeidet til språktrening?" in r.text and "Svar på dette spørsmålet" in r.text
    r = autosave(client, csrf, "aktiviteter", {"aktiviteter": ["ingen"], "v:aktiviteter": "1"})
    assert soup(r.text).find(id="q-bidrag").has_attr("hidden")
    r = client.post("/svar/send-inn", data={"csrf_token": csrf, "signer_name": "Leder", "signer_role": "x"})
    assert r.status_code == 303, r.text  # nothing required is left once «bidrag» is hidden


def test_the_limit_is_shown_in_the_help_in_the_municipalitys_language(app: Any, world: World) -> None:
    with TestClient(app, follow_redirects=False) as drammen, TestClient(app, follow_redirects=False) as aal:
        enter(drammen, world, "3005")
        help_text = soup(drammen.get("/svar/del/del1").text).find(id="help-aktiviteter")
        assert help_text is not None
        assert help_text.get_text(" ", strip=True) == "Velg de viktigste. Velg inntil 2."
        enter(aal, world, "3043")  # Ål writes nynorsk
        help_text = soup(aal.get("/svar/del/del1").text).find(id="help-aktiviteter")
        assert help_text is not None and "Vel inntil 2." in help_text.get_text()


def test_too_many_choices_are_kept_and_explained_and_stop_submission(
    client: TestClient, world: World, session: Session
) -> None:
    csrf = enter(client, world)
    chosen = ["sprak", "mentor", "idrett"]
    r = autosave(client, csrf, "aktiviteter", {"aktiviteter": chosen, "v:aktiviteter": "0"})
    assert "Velg inntil 2. Det er krysset av for 3." in r.text and "må rettes" in r.text
    assert stored(session, world)["aktiviteter"] == chosen  # nothing ticked is lost
    page = soup(client.get("/svar/del/del1").text)
    assert len(page.select("input[name=aktiviteter][checked]")) == 3
    r = client.post("/svar/send-inn", data={"csrf_token": csrf, "signer_name": "Leder", "signer_role": "x"})
    assert "Velg inntil 2." in r.text
    r = autosave(client, csrf, "aktiviteter", {"aktiviteter": ["sprak", "mentor"], "v:aktiviteter": "1"})
    assert "Lagret kl." in r.text and "Velg inntil" not in r.text.replace("Velg inntil 2.</span>", "")


def test_dont_know_on_a_number_is_stored_shown_and_never_scored(
    client: TestClient, world: World, session: Session
) -> None:
    csrf = enter(client, world)
    page = soup(client.get("/svar/del/del1").text)
    box = page.find("input", id="f-andel-vet_ikke")
    assert box is not None and box["value"] == "vet_ikke" and box["name"] == "andel"
    r = autosave(client, csrf, "andel", {"andel": ["", "vet_ikke"], "v:andel": "0"})
    assert "Lagret kl." in r.text and "må rettes" not in r.text
    assert stored(session, world)["andel"] == "vet_ikke"
    page = soup(client.get("/svar/del/del1").text)
    assert page.find("input", id="f-andel-vet_ikke").has_attr("checked")
    assert page.find("input", id="f-andel")["value"] == ""
    # A number and a ticked box: both kept as typed, and the person is asked to choose.
    r = autosave(client, csrf, "andel", {"andel": ["40", "vet_ikke"], "v:andel": "1"})
    assert "Skriv et tall eller kryss av for «Vet ikke», ikke begge." in r.text
    assert stored(session, world)["andel"] == ["40", "vet_ikke"]
    page = soup(client.get("/svar/del/del1").text)
    assert page.find("input", id="f-andel")["value"] == "40"
    assert page.find("input", id="f-andel-vet_ikke").has_attr("checked")
    r = autosave(client, csrf, "andel", {"andel": "40", "v:andel": "2"})
    assert "Lagret kl." in r.text and stored(session, world)["andel"] == 40


def test_dont_know_on_a_number_is_missing_in_scores_and_counted_apart() -> None:
    definition = parse(MODEL)
    question = definition.question("andel")
    assert res.score(definition, question, "andel", "vet_ikke") is None
    assert res.score(definition, question, "andel", 40) == 40.0
    assert display_value(definition, question, "andel", "vet_ikke", "nn") == "Veit ikkje"
    rows: list[Any] = [
        res.Row(None, None, [], {"andel": value}, {"andel"})  # type: ignore[arg-type]
        for value in (40, 60, "vet_ikke", None)
    ]
    [dist] = res.question_results(definition, question, rows)
    assert (dist.n, dist.dont_know, dist.missing, dist.mean) == (2, 1, 1, 50.0)


def test_without_dont_know_a_number_refuses_vet_ikke() -> None:
    definition = parse(MODEL.replace("        dont_know: true\n", ""))
    question = definition.question("andel")
    assert validate(definition, question, "andel", "vet_ikke") == t("whole_number")
    assert validate(definition, question, "andel", ["40", "vet_ikke"]) == t("whole_number")
