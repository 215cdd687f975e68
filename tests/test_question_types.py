"""Issue 14's translations and the rest of the question model, and the registry of question types.

- Every respondent text in bokmål and nynorsk (``LocalText``); a round refuses to open for a nynorsk
  municipality on a questionnaire that lacks nynorsk.
- «Ikke aktuelt» and «Løses interkommunalt» as declared answers: missing in scores, counted apart.
- A ranking question; a reference date on status questions; a matrix's weight split across its rows;
  «enough answers» counting questions; Cronbach's alpha only for reflective parameters; answers of a
  revised question followed through ``lineage.answers``; a time estimate.
- One registry of question types: nothing outside ``survey_app/question_types`` tests a type by name.
"""

from __future__ import annotations

import random
import re
import textwrap
from datetime import date
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from analysis import parameters as P
from survey_app import audit, scoring
from survey_app.config import Settings
from survey_app.documents.blank_form import blank_form, blank_form_pdf
from survey_app.forms import display_value, validate
from survey_app.models import Municipality, Response, Role, Round, RoundStatus, SettlementHistory
from survey_app.question_types import KINDS, kind_of
from survey_app.questionnaires import (
    LocalText,
    QuestionnaireDef,
    estimate_minutes,
    load_file,
    missing_nynorsk,
    parse,
    shipped_files,
)
from survey_app.services import catalog, demo, register, rounds
from survey_app.services import compare as cmp
from survey_app.services import results as res
from survey_app.services.analysis import _parameters
from tests.conftest import csrf_of
from tests.factories import PASSWORD, REGISTER_CSV, World, make_staff, make_world
from tests.test_documents import pdf_text
from tests.test_questionnaires import problems_of
from tests.test_respondent import autosave, fresh, stored

ROOT = Path(__file__).resolve().parent.parent
DAY = date(2026, 11, 1)

# A ranking, a dated status question with «Ikke aktuelt» and «Løses interkommunalt», a matrix with a split
# weight, and a parameter that counts questions, not rows.
TYPES = textwrap.dedent("""\
    id: typer
    title: {nb: Typene, nn: Typane}
    reference_date: 2026-10-01
    scales:
      grad:
        labels:
          1: {nb: Lite, nn: Lite}
          2: {nb: Noe, nn: Noko}
          3: {nb: Mye, nn: Mykje}
        intermunicipal: true
    parameters:
      - {id: beredskap, label: Beredskap, min_share: 0.6}
    sections:
      - id: del1
        title: {nb: Første del, nn: Første del}
        questions:
          - id: plan
            type: jadelvisnei
            dated: true
            not_applicable: true
            intermunicipal: true
            text: {nb: "Har kommunen en plan?", nn: "Har kommunen ein plan?"}
            parameter: {id: beredskap, weight: 2, scores: {ja: 100, delvis: 50, nei: 0}}
          - id: rutiner
            type: matrix
            scale: grad
            text: {nb: "Hvor godt kjenner tjenestene rutinene?", nn: "Kor godt kjenner tenestene rutinane?"}
            items:
              - {id: skole, text: {nb: Skolen, nn: Skulen}}
              - {id: barnevern, text: {nb: Barnevernet, nn: Barnevernet}}
              - {id: nav, text: {nb: NAV, nn: NAV}}
              - {id: helse, text: {nb: Helsestasjonen, nn: Helsestasjonen}}
            parameter: {id: beredskap, weight: 2}
          - id: tema
            type: ranking
            max_choices: 2
            text: {nb: "Hva er viktigst å samarbeide om?", nn: "Kva er viktigast å samarbeide om?"}
            options:
              - {value: bolig, label: {nb: Bolig, nn: Bustad}}
              - {value: arbeid, label: {nb: Arbeid, nn: Arbeid}}
              - {value: sprak, label: {nb: Språk, nn: Språk}}
          - id: vedtak
            type: integer
            prefill: vedtak
            min: 0
            text: {nb: "Hvor mange vedtok kommunestyret å bosette?", nn: "Kor mange vedtok kommunestyret å busetje?"}
""")


@pytest.fixture
def world(session: Session, settings: Settings) -> World:
    return make_world(session, settings, questionnaire=TYPES)


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def enter(client: TestClient, world: World, kommunenummer: str) -> str:
    r = client.get(world.link(kommunenummer))
    assert r.status_code == 303, r.text
    return csrf_of(client, "/svar/del/del1")


# --- translations ---------------------------------------------------------------------------------------


def test_a_text_is_a_string_or_bokmal_and_nynorsk() -> None:
    definition = parse(TYPES)
    assert definition.title == "Typene" and isinstance(definition.title, str)
    nynorsk = definition.in_language("nn")
    assert nynorsk.title == "Typane" and nynorsk.question("plan").text == "Har kommunen ein plan?"
    assert nynorsk.scale_of(nynorsk.question("rutiner")).labels[2] == "Noko"
    assert (
        nynorsk.question("tema").options is not None and nynorsk.question("tema").options[0].label == "Bustad"
    )
    assert definition.in_language("nn") is nynorsk, "made once per language"
    assert definition.question("plan").text == "Har kommunen en plan?", "the original is left as it was"
    assert LocalText("Hvor mange?").in_lang("nn") == "Hvor mange?"  # a bokmål-only draft falls back


def test_a_plain_string_keeps_the_content_hash_and_a_translation_round_trips() -> None:
    plain = parse(
        "id: a\ntitle: Tittel\nsections:\n  - {id: s, title: S, questions: [{id: q, type: text, text: 'Hva?'}]}\n"
    )
    assert plain.model_dump(mode="json")["title"] == "Tittel"
    definition = parse(TYPES)
    dumped = definition.model_dump(mode="json")
    assert dumped["title"] == {"nb": "Typene", "nn": "Typane"}
    again = QuestionnaireDef.model_validate(dumped)
    assert again.content_hash() == definition.content_hash()
    assert again.in_language("nn").title == "Typane"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("title: {nb: Tittel, se: Namma}", "ukjent målform «se»"),
        ("title: {nn: Tittel}", "trenger «nb» (bokmål)"),
        ('title: {nb: Tittel, nn: ""}', "«nn» (nynorsk) må være en tekst"),
    ],
)
def test_a_broken_translation_is_reported_at_its_line(text: str, words: str) -> None:
    yaml_text = f"id: a\n{text}\nsections:\n  - {{id: s, title: S, questions: [{{id: q, type: text, text: 'Hva?'}}]}}\n"
    [problem] = problems_of(yaml_text)
    assert problem.line == 2 and words in problem.message, str(problem)


def test_every_missing_nynorsk_text_is_reported_at_its_line() -> None:
    text = TYPES.replace("text: {nb: Skolen, nn: Skulen}", "text: Skolen").replace(
        "title: {nb: Første del, nn: Første del}", "title: Første del"
    )
    problems = missing_nynorsk(text, "typer.yaml")
    lines = text.splitlines()
    assert [(p.line, p.message) for p in problems] == [
        (
            next(i for i, line in enumerate(lines, 1) if line.strip() == "title: Første del"),
            "«title» mangler nynorsk (skriv {nb: …, nn: …})",
        ),
        (
            next(i for i, line in enumerate(lines, 1) if "text: Skolen" in line),
            "«text» mangler nynorsk (skriv {nb: …, nn: …})",
        ),
    ]
    assert all(str(p).startswith("typer.yaml:") for p in problems)


def test_shipped_questionnaires_are_whole_in_both_malforms() -> None:
    for path in [
        *shipped_files(ROOT / "questionnaires"),
        *sorted((ROOT / "questionnaires/tidligere").glob("*.yaml")),
    ]:
        assert missing_nynorsk(path.read_text(encoding="utf-8"), str(path)) == [], path


def test_a_round_for_a_nynorsk_municipality_needs_nynorsk(session: Session, settings: Settings) -> None:
    county = register.load_register(
        session, rows=register.parse_register(REGISTER_CSV), county_name="Testfylket", actor=audit.SYSTEM
    )
    draft = TYPES.replace("title: {nb: Typene, nn: Typane}", "title: Typene")
    version = catalog.import_questionnaire(session, definition=parse(draft), actor=audit.SYSTEM)
    everyone = list(session.exec(select(Municipality).order_by(Municipality.kommunenummer)))
    bokmal = [m for m in everyone if m.malform == "nb"]

    def create(municipalities: list[Municipality], status: RoundStatus) -> Round:
        assert county.id is not None
        return rounds.create_round(
            session,
            county_id=county.id,
            version=version,
            year=2026,
            title="Runde",
            opens_on=DAY,
            closes_on=DAY,
            municipalities=municipalities,
            secret_key=settings.resolved_secret_key(),
            invitation_days=30,
            status=status,
            actor=audit.SYSTEM,
        )

    with pytest.raises(rounds.Untranslated) as refused:
        create(everyone, RoundStatus.open)
    assert refused.value.municipalities == ["Ål"] and refused.value.missing == 1
    assert "Skjemaet mangler nynorsk for 1 tekster" in str(refused.value)
    create(bokmal, RoundStatus.open)  # bokmål municipalities only: fine
    waiting = create(everyone, RoundStatus.closed)  # prepared, not open: fine until it opens
    with pytest.raises(rounds.Untranslated):
        rounds.set_status(session, round_=waiting, status=RoundStatus.open, actor=audit.SYSTEM)


def test_the_new_round_form_says_why_it_cannot_open(
    client: TestClient, session: Session, settings: Settings
) -> None:
    register.load_register(
        session, rows=register.parse_register(REGISTER_CSV), county_name="Testfylket", actor=audit.SYSTEM
    )
    draft = TYPES.replace("title: {nb: Typene, nn: Typane}", "title: Typene")
    version = catalog.import_questionnaire(session, definition=parse(draft), actor=audit.SYSTEM)
    make_staff(session, Role.admin)
    token = csrf_of(client, "/ansatt/logg-inn")
    r = client.post(
        "/ansatt/logg-inn", data={"csrf_token": token, "email": "admin@fylke.test", "password": PASSWORD}
    )
    assert r.status_code == 303
    token = csrf_of(client, "/ansatt/runder/ny")
    form = {
        "csrf_token": token,
        "questionnaire": str(version.id),
        "year": "2027",
        "title": "Typerunden 2027",
        "opens_on": "2027-01-10",
        "closes_on": "2027-02-10",
        "who": "alle",
    }
    r = client.post("/ansatt/runder/ny", data=form)
    assert r.status_code == 422
    message = soup(r.text).find(id="questionnaire-error")
    assert message is not None and "mangler nynorsk" in message.get_text() and "Ål" in message.get_text()
    assert soup(r.text).find("input", {"name": "title"})["value"] == "Typerunden 2027", (
        "what was typed is kept"
    )


def test_a_nynorsk_municipality_reads_its_page_in_nynorsk(client: TestClient, world: World) -> None:
    enter(client, world, "3043")
    page = soup(client.get("/svar/del/del1").text)
    text = page.get_text(" ", strip=True)
    for expected in [
        "Har kommunen ein plan?",
        "Ikkje aktuelt",
        "Løyst interkommunalt",
        "Veit ikkje",
        "Skulen",
    ]:
        assert expected in text, expected
    assert "Svar ut frå situasjonen per 1. oktober 2026." in text
    for bokmal in ["Har kommunen en plan?", "Ikke aktuelt", "Løses interkommunalt", "Skolen", "Typene"]:
        assert bokmal not in text, bokmal
    start = soup(client.get("/svar").text).get_text(" ", strip=True)
    assert "Typane" in start and "Typane 2026" in start


def test_staff_read_an_answer_in_either_malform(client: TestClient, world: World, session: Session) -> None:
    enter(client, world, "3043")
    response = world.response(session, "3043")
    make_staff(session, Role.admin)
    token = csrf_of(client, "/ansatt/logg-inn")
    client.post(
        "/ansatt/logg-inn", data={"csrf_token": token, "email": "admin@fylke.test", "password": PASSWORD}
    )
    bokmal = client.get(f"/ansatt/svar/{response.id}").text
    assert "Har kommunen en plan?" in bokmal and "Kommunen svarte på nynorsk" in bokmal
    nynorsk = client.get(f"/ansatt/svar/{response.id}?malform=nn").text
    assert "Har kommunen ein plan?" in nynorsk and "Les på bokmål" in nynorsk


# --- declared missing answers ---------------------------------------------------------------------------


def test_not_applicable_and_intermunicipal_are_answers_never_scored_and_counted_apart(
    client: TestClient, world: World, session: Session
) -> None:
    csrf = enter(client, world, "3005")
    r = autosave(client, csrf, "plan", {"plan": "interkommunalt", "v:plan": "0"})
    assert "Lagret kl." in r.text and "må rettes" not in r.text
    assert stored(session, world)["plan"] == "interkommunalt"
    definition = parse(TYPES)
    plan = definition.question("plan")
    assert validate(definition, plan, "plan", "ikke_aktuelt") is None
    assert display_value(definition, plan, "plan", "interkommunalt", "nn") == "Løyst interkommunalt"
    rule = scoring.rules(definition)["plan"]
    assert [P.score_value(rule, v) for v in ("ja", "ikke_aktuelt", "interkommunalt", "vet_ikke")] == [
        100.0,
        None,
        None,
        None,
    ]
    # On the scale, the matrix offers «Løses interkommunalt» for each row (the scale declares it).
    rutiner = definition.question("rutiner")
    assert [v for v, _ in kind_of(rutiner).choices(definition, rutiner)] == [
        "1",
        "2",
        "3",
        "vet_ikke",
        "interkommunalt",
    ]

    rows = res.load_rows(session, round_id=world.round.id, include_in_progress=True)
    [dist] = res.question_results(definition, plan, rows)
    assert (dist.intermunicipal, dist.not_applicable, dist.n) == (1, 0, 0)
    assert [o.value for o in dist.options] == ["ja", "delvis", "nei"], "missing answers are not options"


def test_a_fixed_answer_cannot_be_an_option() -> None:
    text = TYPES.replace(
        "- {value: sprak, label: {nb: Språk, nn: Språk}}", "- {value: vet_ikke, label: Vet ikke}"
    )
    [problem] = problems_of(text)
    assert "«vet_ikke» er et fast svar" in problem.message


# --- ranking -----------------------------------------------------------------------------------------


def test_a_ranking_is_chosen_in_order_checked_and_counted_by_points(
    app: FastAPI, client: TestClient, world: World, session: Session
) -> None:
    csrf = enter(client, world, "3005")
    page = soup(client.get("/svar/del/del1").text)
    selects = page.select("select[name=tema]")
    assert [s["id"] for s in selects] == ["f-tema-1", "f-tema-2"]
    assert page.find("label", attrs={"for": "f-tema-1"}).get_text(strip=True) == "1. prioritet"

    r = autosave(client, csrf, "tema", {"tema": ["arbeid", "arbeid"], "v:tema": "0"})
    assert "Samme alternativ er valgt på to plasser" in r.text
    assert stored(session, world)["tema"] == ["arbeid", "arbeid"], "kept as chosen"
    r = autosave(client, csrf, "tema", {"tema": ["arbeid", "bolig"], "v:tema": "1"})
    assert "Lagret kl." in r.text and "må rettes" not in r.text
    page = soup(client.get("/svar/del/del1").text)
    assert page.select_one("#f-tema-1 option[selected]")["value"] == "arbeid"
    assert page.select_one("#f-tema-2 option[selected]")["value"] == "bolig"

    definition = parse(TYPES)
    tema = definition.question("tema")
    assert display_value(definition, tema, "tema", ["arbeid", "bolig"], "nn") == "1. Arbeid, 2. Bustad"
    assert (
        validate(definition, tema, "tema", ["arbeid", "bolig", "sprak"])
        == "Velg inntil 2. Det er krysset av for 3."
    )

    with TestClient(app, follow_redirects=False) as lier:
        csrf = enter(lier, world, "3049")
        autosave(lier, csrf, "tema", {"tema": ["bolig", "arbeid"], "v:tema": "0"})
    fresh(session)
    rows = res.load_rows(session, round_id=world.round.id, include_in_progress=True)
    [dist] = res.question_results(definition, tema, rows)
    assert dist.ranked and dist.n == 2
    # Two places: first place 2 points, second 1. Both ranked arbeid and bolig: 3 points each, one first each.
    assert [(o.value, o.points, o.first, o.count) for o in dist.options] == [
        ("bolig", 3, 1, 2),
        ("arbeid", 3, 1, 2),
        ("sprak", 0, 0, 0),
    ]


def test_a_ranking_needs_its_places_and_takes_no_parameter() -> None:
    text = TYPES.replace("        max_choices: 2\n", "")
    assert any("trenger «max_choices»" in p.message for p in problems_of(text))
    text = TYPES.replace(
        "        max_choices: 2\n", "        max_choices: 2\n        parameter: {id: beredskap}\n"
    )
    assert any("«ranking» kan ikke ha «parameter»" in p.message for p in problems_of(text))


# --- reference date -----------------------------------------------------------------------------------


def test_a_dated_question_needs_a_reference_date() -> None:
    [problem] = problems_of(TYPES.replace("reference_date: 2026-10-01\n", ""))
    assert "«dated: true» trenger en dato" in problem.message
    form = blank_form(
        parse(TYPES), lang="nb", county="Fylket", round_title="Runde", closes_on=DAY, printed_on=DAY
    )
    [plan, _, tema, _] = form.sections[0].questions
    assert plan.as_of == "Svar ut fra situasjonen per 1. oktober 2026."
    # On paper a ranking is its options with a box each to write the place in.
    assert (tema.layout, tema.choices) == ("ranking", ("Bolig", "Arbeid", "Språk"))
    assert tema.hint == "Skriv 1 ved det viktigste, 2 ved det nest viktigste og så videre, inntil 2."
    _, text = pdf_text(blank_form_pdf(form))
    assert "Svar ut fra situasjonen per 1. oktober 2026." in text and "inntil 2." in text


# --- weights, enough answers, alpha ---------------------------------------------------------------------


def test_a_matrix_weight_is_shared_by_its_rows_unless_declared_per_row() -> None:
    definition = parse(TYPES)
    weights = {k: r.weight for k, r in scoring.rules(definition).items()}
    assert weights == {
        "plan": 2,
        "rutiner.skole": 0.5,
        "rutiner.barnevern": 0.5,
        "rutiner.nav": 0.5,
        "rutiner.helse": 0.5,
    }
    per_row = parse(
        TYPES.replace(
            "parameter: {id: beredskap, weight: 2}",
            "parameter: {id: beredskap, weight: 2, weight_per_row: true}",
        )
    )
    assert {r.weight for k, r in scoring.rules(per_row).items() if k.startswith("rutiner.")} == {2}


def test_enough_answers_counts_questions_not_rows() -> None:
    definition = parse(TYPES)
    rules = list(scoring.rules(definition).values())
    specs = scoring.specs(definition)
    # The plan unknown and the whole matrix answered: one question of two (0.5 < 0.6), however many rows.
    answers = {
        "Ål": {"plan": "vet_ikke", **{f"rutiner.{r}": 3 for r in ("skole", "barnevern", "nav", "helse")}}
    }
    value = P.compute(rules, specs, answers)["Ål"]["beredskap"]
    assert value.value is None and (value.answered, value.items) == (1, 2)
    # The plan answered and half the rows: (1 + 0.5) / 2 = 0.75 ≥ 0.6. Plan 100 × 2, rows 100 × 0.5 each.
    answers = {"Ål": {"plan": "ja", "rutiner.skole": 3, "rutiner.nav": 3}}
    value = P.compute(rules, specs, answers)["Ål"]["beredskap"]
    assert value.value == pytest.approx(100.0) and (value.answered, value.items) == (2, 2)
    shares = {c.key: c.share for c in value.contributions}
    assert shares["plan"] == pytest.approx(2 / 3), "the plan that matters most carries most of the value"


def test_the_aggregator_counts_questions_too() -> None:
    X = [[100.0, 50.0, 50.0, 50.0, 50.0], [float("nan"), 50.0, 50.0, 50.0, 50.0]]
    out = P.ParameterAggregator(groups=[0] * 5, min_share=0.6, questions=[0, 1, 1, 1, 1]).fit_transform(X)
    assert out[0, 0] == pytest.approx(60.0)
    assert out[1, 0] != out[1, 0], "one question of two answered: NaN, not a value from four rows"


def test_alpha_is_only_computed_for_a_reflective_parameter() -> None:
    reflective = TYPES.replace("min_share: 0.6}", "min_share: 0.6, kind: reflective}")
    rng = random.Random(3)
    for text, expect_alpha in ((TYPES, False), (reflective, True)):
        definition = parse(text)
        rows = [
            res.Row(
                response=Response(id=i, round_id=1, municipality_id=i),
                municipality=Municipality(id=i, county_id=1, kommunenummer=f"{3000 + i}", name=f"K{i}"),
                regions=["R"],
                values={
                    "plan": rng.choice(["ja", "nei"]),
                    **{f"rutiner.{r}": rng.randint(1, 3) for r in ("skole", "barnevern", "nav", "helse")},
                },
                shown={"plan", "rutiner", "tema"},
            )
            for i in range(1, 16)
        ]
        summary = _parameters(definition, rows).parameters["beredskap"]
        assert summary.reflective is expect_alpha
        assert (summary.alpha is not None) is expect_alpha


# --- lineage across a revision ------------------------------------------------------------------------


def test_a_revised_option_list_compares_through_its_answer_map() -> None:
    old = parse(
        TYPES.replace(
            "- {value: sprak, label: {nb: Språk, nn: Språk}}",
            "- {value: norsk, label: {nb: Norsk, nn: Norsk}}",
        ).replace("id: tema", "id: tema_gammel")
    )
    new_text = TYPES.replace(
        "        max_choices: 2\n",
        "        max_choices: 2\n        lineage: {replaces: tema_gammel, answers: {norsk: sprak}}\n",
    )
    new = parse(new_text)
    [pair] = [p for p in cmp.match_questions(new, old) if p.new.id == "tema"]
    assert pair.old is not None and pair.old.id == "tema_gammel" and not pair.scale_changed
    assert pair.answers == {"norsk": "sprak"}
    unmapped = parse(TYPES)
    [pair] = [p for p in cmp.match_questions(unmapped, old) if p.new.id == "tema"]
    assert pair.old is None  # without lineage nothing continues the renamed question


# --- the council's decision, from the history ---------------------------------------------------------


def test_a_known_decision_is_offered_confirmed_or_corrected_and_staff_see_the_difference(
    app: FastAPI, client: TestClient, world: World, session: Session
) -> None:
    session.add(SettlementHistory(kommunenummer="3005", year=2027, decided=25, decision_years="2027"))
    session.add(SettlementHistory(kommunenummer="3043", year=2026, decided=8, decision_years="2026"))
    session.commit()
    csrf = enter(client, world, "3005")
    page = soup(client.get("/svar/del/del1").text)
    assert page.find("input", id="f-vedtak")["value"] == "25"
    note = page.find(id="prefill-vedtak").get_text(" ", strip=True)
    assert note.startswith(
        "Fylt ut på forhånd med tallet fylkeskommunen har i bosettingshistorikken: 25 for 2027."
    )
    assert "prefill-vedtak" in page.find("input", id="f-vedtak")["aria-describedby"]
    assert "vedtak" not in stored(session, world), "offered, not yet the municipality's answer"

    with TestClient(app, follow_redirects=False) as aal, TestClient(app, follow_redirects=False) as lier:
        enter(aal, world, "3043")
        aal_page = soup(aal.get("/svar/del/del1").text)
        assert aal_page.find("input", id="f-vedtak")["value"] == "8"  # the newest year known
        assert "busetjingshistorikken: 8 for 2026" in aal_page.find(id="prefill-vedtak").get_text()
        enter(lier, world, "3049")
        lier_page = soup(lier.get("/svar/del/del1").text)
        assert (
            lier_page.find("input", id="f-vedtak")["value"] == ""
            and lier_page.find(id="prefill-vedtak") is None
        )

    make_staff(session, Role.admin)
    response = world.response(session, "3005")
    with TestClient(app, follow_redirects=False) as staff:
        token = csrf_of(staff, "/ansatt/logg-inn")
        staff.post(
            "/ansatt/logg-inn", data={"csrf_token": token, "email": "admin@fylke.test", "password": PASSWORD}
        )
        assert (
            "bosettingshistorikken: 25 for 2027 (ikke bekreftet)"
            in staff.get(f"/ansatt/svar/{response.id}").text
        )

        r = autosave(client, csrf, "vedtak", {"vedtak": "25", "v:vedtak": "0"})  # «Bekreft tallet»
        assert "Lagret kl." in r.text and stored(session, world)["vedtak"] == 25
        assert "(bekreftet)" in staff.get(f"/ansatt/svar/{response.id}").text
        autosave(client, csrf, "vedtak", {"vedtak": "30", "v:vedtak": "1"})
        text = soup(staff.get(f"/ansatt/svar/{response.id}").text).get_text(" ", strip=True)
        assert "30 – bosettingshistorikken: 25 for 2027 (kommunen har rettet tallet)" in text


def test_prefill_belongs_to_numbers() -> None:
    text = TYPES.replace("        type: ranking\n", "        type: ranking\n        prefill: vedtak\n")
    assert any("«prefill» hører bare til typen integer" in p.message for p in problems_of(text))


# --- the registry ----------------------------------------------------------------------------------------


def test_every_type_has_its_macro_and_a_layout() -> None:
    macros = (ROOT / "templates/_macros/question_types.html").read_text(encoding="utf-8")
    for name, kind in KINDS.items():
        assert f"{{% macro {kind.macro}(" in macros, name
        assert kind.layout, name


def test_no_module_outside_the_registry_tests_a_type_by_name() -> None:
    """A new type touches its module and its macro only: nowhere else may compare ``.type`` with a name."""
    by_name = re.compile(r"""\.type\s*(==|!=|in|not in)\s*[\("'\[]""")
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for folder in ("survey_app", "templates")
        for path in (ROOT / folder).rglob("*")
        if path.suffix in (".py", ".html") and "question_types" not in path.parts
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if by_name.search(line)
    ]
    assert offenders == []


def test_demo_answers_of_every_type_are_valid() -> None:
    definition = parse(TYPES)
    for lang in ("nb", "nn"):
        values = demo.synthetic_answers(definition, random.Random(5), lang=lang)
        for question in definition.questions():
            for key in kind_of(question).keys(question):
                assert validate(definition, question, key, values.get(key), lang) is None, (
                    key,
                    values.get(key),
                )


# --- time -------------------------------------------------------------------------------------------------


def test_the_survey_takes_under_an_hour_and_says_so(
    client: TestClient, session: Session, settings: Settings
) -> None:
    survey = load_file(ROOT / "questionnaires/kommuneundersokelse-sivilsamfunn.yaml")
    consultation = load_file(ROOT / "questionnaires/konsultasjon-samarbeid.yaml")
    assert estimate_minutes(survey) < 60 and estimate_minutes(survey, "nn") < 60
    assert estimate_minutes(consultation) < 60
    world = make_world(session, settings, questionnaire=TYPES)
    enter(client, world, "3043")
    start = soup(client.get("/svar").text).get_text(" ", strip=True)
    assert f"om lag {estimate_minutes(parse(TYPES), 'nn')} minutt" in start


def test_a_year_is_shown_without_its_unit_and_a_count_with_it() -> None:
    """«2013», not «2013 år» (the receipt, review and staff pages); «12 avtaler» keeps its unit."""
    definition = parse(
        textwrap.dedent("""\
        id: aar
        title: År
        sections:
          - id: s
            title: S
            questions:
              - {id: vedtatt, type: integer, min: 1990, max: 2030, unit: år, text: "Hvilket år?"}
              - {id: varighet, type: integer, min: 0, max: 50, unit: år, text: "Hvor mange år?"}
              - {id: avtaler, type: integer, min: 0, unit: avtaler, text: "Hvor mange avtaler?"}
        """)
    )
    shown = {
        q.id: display_value(definition, q, q.id, v)
        for q, v in zip(definition.questions(), (2013, 12, 12), strict=True)
    }
    assert shown == {"vedtatt": "2013", "varighet": "12 år", "avtaler": "12 avtaler"}
