"""The blank questionnaire as PDF: from the respondent's start page and from a staff round, through HTTP.

The PDF is read back with pypdf (as tests/test_documents.py does) and checked for every question, option and
condition of the test questionnaire, and for frame texts in the municipality's målform.
"""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import httpx2 as httpx  # the maintained fork starlette 1.x tests with (pyproject: httpx2)
import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from survey_app.config import Settings
from survey_app.csrf import verify_csrf
from survey_app.documents.blank_form import blank_form, blank_form_pdf, text_of
from survey_app.limits import in_range
from survey_app.main import create_app, routes_by_name
from survey_app.models import Role
from survey_app.questionnaires import LocalText, load_file, parse, shipped_files
from survey_app.routes import blank_form as blank_form_routes
from survey_app.routes.blank_form import file_slug
from tests.conftest import csrf_of
from tests.factories import PASSWORD, SMALL_QUESTIONNAIRE, World, make_staff, make_world
from tests.test_documents import pdf_text

QUESTIONNAIRES = Path(__file__).resolve().parent.parent / "questionnaires"

# Every text of SMALL_QUESTIONNAIRE that the blank form must print, in its order, in each målform.
QUESTION_TEXTS = {
    "nb": [
        "Har kommunen en frivillighetspolitikk?",
        "Hvilket år ble den vedtatt?",
        "Frivilligheten er godt med i integreringsarbeidet.",
        "Hvilke tiltak har dere?",
        "Hvor mye brukes møteplassene?",
        "Andre kommentarer",
        "Hvilken enhet svarer?",
        "Stillingen til den som koordinerer",
    ],
    "nn": [
        "Har kommunen ein frivilligheitspolitikk?",
        "Kva år vart han vedteken?",
        "Frivilligheita er godt med i integreringsarbeidet.",
        "Kva tiltak har de?",
        "Kor mykje blir møteplassane brukte?",
        "Andre kommentarar",
        "Kva eining svarar?",
        "Stillinga til den som koordinerer",
    ],
}
OPTION_TEXTS = {
    "nb": [
        *["Helt uenig", "Uenig", "Enig", "Helt enig", "Språkkafé", "Leksehjelp", "Biblioteket"],
        *["Idrettslag", "Flyktningtjenesten", "Kultur"],
    ],
    "nn": [
        *["Heilt usamd", "Usamd", "Samd", "Heilt samd", "Språkkafé", "Leksehjelp", "Biblioteket"],
        *["Idrettslag", "Flyktningtenesta", "Kultur"],
    ],
}
SECTION_TITLES = ["1. Første del", "2. Andre del"]
# The frame's texts in each målform, and words that would give the other one away.
FRAME = {
    "nb": [
        "Tomt skjema",
        "Drammen kommune",
        "Liten testundersøkelse 2026. Fristen er 31. januar 2099.",
        "Svar bare hvis dere svarte «Ja» eller «Delvis» på spørsmål 1.",
        "(må besvares)",
        "Kryss av for ett svar.",
        "Kryss av for alle som passer.",
        "Kryss av for ett svar på hver linje.",
        "Skriv et helt tall fra 1990 til 2030.",
        "Høyst 200 tegn.",
        "Hvis «Annet»: beskriv kort",
        "Ja Delvis Nei Vet ikke",
        "Annet",
        "Her er alle spørsmålene i skjemaet",
    ],
    "nn": [
        "Tomt skjema",
        "Ål kommune",
        "Lita testundersøking 2026. Fristen er 31. januar 2099.",
        "Svar berre viss de svarte «Ja» eller «Delvis» på spørsmål 1.",
        "(må svarast på)",
        "Kryss av for eitt svar.",
        "Kryss av for alle som passar.",
        "Kryss av for eitt svar på kvar linje.",
        "Skriv eit heilt tal frå 1990 til 2030.",
        "Høgst 200 teikn.",
        "Viss «Anna»: skildre kort",
        "Ja Delvis Nei Veit ikkje",
        "Anna",
        "Her er alle spørsmåla i skjemaet",
    ],
}
GIVES_AWAY = {
    "nb": ["berre", "viss", "eitt", "ikkje", "teikn", "svarast", "Skrive ut"],
    "nn": [
        *["bare hvis", "Vet ikke", "ikke", "hver", "tegn", "besvares", "Skrevet", "Annet", "spørsmålene"],
        *["Hvilke", "Hvor", "Hvilket", "Frivilligheten", "testundersøkelse", "Flyktningtjenesten", "uenig"],
    ],
}


@pytest.fixture
def app(settings: Settings, engine: sa.Engine) -> FastAPI:
    """The real app, with the blank form's router included as main.py includes the page routers (once
    main.py lists it, this does nothing)."""
    app = create_app(settings, engine=engine)
    if "respondent_blank_pdf" not in app.state.routes_by_name:
        checks = [Depends(verify_csrf), Depends(in_range)]
        app.include_router(blank_form_routes.router, dependencies=checks, include_in_schema=False)
        app.state.routes_by_name = routes_by_name([blank_form_routes.router]) | app.state.routes_by_name
    return app


@pytest.fixture
def world(session: Session, settings: Settings) -> World:
    return make_world(session, settings)


def as_municipality(client: TestClient, world: World, kommunenummer: str) -> None:
    r = client.get(world.link(kommunenummer))
    assert r.status_code == 303, r.text


def as_staff(client: TestClient, session: Session, role: Role) -> None:
    make_staff(session, role)
    token = csrf_of(client, "/ansatt/logg-inn")
    r = client.post(
        "/ansatt/logg-inn",
        data={"csrf_token": token, "email": f"{role.value}@fylke.test", "password": PASSWORD},
    )
    assert r.status_code == 303, r.text


def blank_link(client: TestClient) -> str:
    """The start page's link to the blank form (it carries the page's slot)."""
    page = BeautifulSoup(client.get("/svar").text, "html.parser")
    link = page.find("a", string="Skriv ut tomt skjema (PDF)")
    assert link is not None, "the start page links to the blank form"
    return str(link["href"])


def assert_pdf(r: httpx.Response, filename: str) -> str:
    """The response is a PDF download named ``filename``; returns its text."""
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"] == f'attachment; filename="{filename}"'
    reader, text = pdf_text(r.content)
    assert reader.pages, "the PDF opens"
    return text


def assert_questionnaire(text: str, lang: str) -> None:
    for expected in [*SECTION_TITLES, *QUESTION_TEXTS[lang], *OPTION_TEXTS[lang]]:
        assert expected in text, expected
    # Numbered in order, so that the conditions can name them.
    positions = [text.index(f"{n}. {q}") for n, q in enumerate(QUESTION_TEXTS[lang], start=1)]
    assert positions == sorted(positions)


# --- the respondent's copy -------------------------------------------------------------------------


@pytest.mark.parametrize("kommunenummer, lang", [("3005", "nb"), ("3043", "nn")])
def test_respondent_gets_the_questionnaire_in_the_municipalitys_malform(
    client: TestClient, world: World, kommunenummer: str, lang: str
) -> None:
    as_municipality(client, world, kommunenummer)
    link = blank_link(client)
    assert "s=" in link  # the slot: another tab's municipality cannot be printed by mistake
    name = {"nb": "liten-testundersokelse", "nn": "lita-testundersoking"}[lang]
    text = assert_pdf(client.get(link), f"{name}-2026-tomt-skjema.pdf")
    assert_questionnaire(text, lang)
    for expected in FRAME[lang]:
        assert expected in text, expected
    for word in GIVES_AWAY[lang]:
        assert f" {word} " not in f" {text} ", word


def test_respondent_without_an_invitation_gets_none(client: TestClient, world: World) -> None:
    assert client.get("/svar/skjema.pdf").status_code == 401


def test_start_page_link_is_in_the_malform(client: TestClient, world: World) -> None:
    as_municipality(client, world, "3043")
    assert blank_link(client).startswith("http://testserver/svar/skjema.pdf?s=")


# --- the staff copy --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.leser, Role.radgiver])
def test_staff_get_the_round_questionnaire_in_either_malform(
    client: TestClient, session: Session, world: World, role: Role
) -> None:
    as_staff(client, session, role)
    page = BeautifulSoup(client.get(f"/ansatt/runder/{world.round.id}").text, "html.parser")
    hrefs = {str(a["href"]) for a in page.find_all("a") if "skjema.pdf" in str(a.get("href"))}
    base = f"http://testserver/ansatt/runder/{world.round.id}/skjema.pdf"
    assert hrefs == {base, f"{base}?malform=nn"}

    bokmal = assert_pdf(client.get(base), "liten-testundersokelse-2026-tomt-skjema.pdf")
    assert_questionnaire(bokmal, "nb")
    assert "Svar bare hvis dere svarte «Ja» eller «Delvis» på spørsmål 1." in bokmal
    assert "Drammen kommune" not in bokmal  # printed for no municipality in particular

    nynorsk = assert_pdf(client.get(f"{base}?malform=nn"), "lita-testundersoking-2026-tomt-skjema.pdf")
    assert_questionnaire(nynorsk, "nn")
    assert "Svar berre viss de svarte «Ja» eller «Delvis» på spørsmål 1." in nynorsk


def test_staff_route_refuses_other_malforms_rounds_and_strangers(
    client: TestClient, session: Session, world: World
) -> None:
    path = f"/ansatt/runder/{world.round.id}/skjema.pdf"
    r = client.get(path)
    assert r.status_code == 303 and "/ansatt/logg-inn" in r.headers["location"]
    as_staff(client, session, Role.leser)
    assert client.get(f"{path}?malform=se").status_code == 400
    assert client.get("/ansatt/runder/999999/skjema.pdf").status_code == 404


# --- wording ---------------------------------------------------------------------------------------


def test_text_of_reads_plain_and_translated_texts() -> None:
    assert text_of("Ja", "nn") == "Ja"
    assert text_of(LocalText("Hvor mange?", "Kor mange?"), "nn") == "Kor mange?"
    assert text_of(LocalText("Hvor mange?", "Kor mange?"), "nb") == "Hvor mange?"
    assert text_of(LocalText("Hvor mange?"), "nn") == "Hvor mange?"
    assert text_of(None, "nb") == ""


def test_file_names_are_plain_ascii() -> None:
    assert file_slug("Kommuneundersøkelsen 2026") == "kommuneundersokelsen-2026"
    assert file_slug("Ål/Æra «ny» 2026!") == "al-aera-ny-2026"
    assert file_slug("«»") == "skjema"


COMBINED = SMALL_QUESTIONNAIRE + textwrap.indent(
    textwrap.dedent("""\
        - id: del3
          title: Tredje del
          questions:
            - id: begge
              type: text
              text: Fortell om tiltakene
              show_if:
                all_of:
                  - {question: tiltak, any_of: [sprakkafe, annet]}
                  - {question: enhet, equals: kultur}
            - id: enten
              type: text
              text: Fortell mer
              show_if:
                any_of:
                  - {question: politikk, equals: nei}
                  - all_of:
                      - {question: politikk, equals: ja}
                      - {question: enhet, equals: flyktning}
    """),
    "  ",
)


def test_combined_conditions_in_words() -> None:
    form = blank_form(
        parse(COMBINED),
        lang="nb",
        county="Testfylket",
        round_title="Runde",
        closes_on=date(2026, 12, 1),
        printed_on=date(2026, 11, 1),
    )
    conditions = {q.text: q.condition for s in form.sections for q in s.questions}
    assert conditions["Fortell om tiltakene"] == (
        "Svar bare hvis dere krysset av for «Språkkafé» eller «Annet» på spørsmål 4, "
        "og dere svarte «Kultur» på spørsmål 7."
    )
    assert conditions["Fortell mer"] == (
        "Svar bare hvis dere svarte «Nei» på spørsmål 1, eller (dere svarte «Ja» på spørsmål 1, "
        "og dere svarte «Flyktningtjenesten» på spørsmål 7)."
    )
    assert conditions["Hvilket år ble den vedtatt?"] == (
        "Svar bare hvis dere svarte «Ja» eller «Delvis» på spørsmål 1."
    )


@pytest.mark.parametrize("path", shipped_files(QUESTIONNAIRES), ids=lambda p: p.stem)
def test_shipped_questionnaires_print_whole(path: Path) -> None:
    definition = load_file(path)
    form = blank_form(
        definition,
        lang="nn",
        county="Viken fylkeskommune",
        round_title="Runde 2026",
        closes_on=date(2026, 12, 1),
        printed_on=date(2026, 11, 1),
        municipality="Ål",
    )
    _, text = pdf_text(blank_form_pdf(form))
    for n, question in enumerate(definition.questions(), start=1):
        assert f"{n}. {' '.join(question.text.in_lang('nn').split())}" in text, question.id
    assert "Side 1 av" in text
