"""The respondent's pages follow the answer's state and say plainly what is left (issue 15: 2, 5, 12, 14)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import Session

from survey_app.i18n import TEXTS
from survey_app.models import RoundStatus
from survey_app.services import responses, rounds
from tests.conftest import fresh
from tests.factories import World, make_world
from tests.test_respondent import autosave, enter, stored


@pytest.fixture
def world(session: Session, settings) -> World:
    return make_world(session, settings)


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def text_of(html: str) -> str:
    """The page's text as a reader sees it (one space between words)."""
    return " ".join(soup(html).get_text(" ").split())


def header_links(html: str) -> dict[str, str]:
    nav = soup(html).find("nav", class_="header-nav")
    return {" ".join(a.get_text().split()): urlsplit(a["href"]).path for a in nav.find_all("a")}


def submit(client: TestClient, csrf: str) -> None:
    autosave(client, csrf, "politikk", {"politikk": "nei", "v:politikk": "0"})
    r = client.post(
        "/svar/send-inn", data={"csrf_token": csrf, "signer_name": "Kari Leder", "signer_role": "Rådmann"}
    )
    assert r.status_code == 303, r.text


# --- 2: the landing page and the header follow the answer's state -------------------------------------


def test_after_submitting_the_start_page_offers_the_receipt_not_the_form(
    client: TestClient, world: World
) -> None:
    csrf = enter(client, world)
    before = client.get("/svar").text
    assert "Fristen er" in before and soup(before).find("form", class_="editor-form")
    submit(client, csrf)

    page = client.get("/svar").text
    text = text_of(page)
    assert "Svaret er sendt inn" in text
    for gone in (
        "Fristen er",
        "Hvem fyller ut nå?",
        "Fortsett på skjemaet",
        "Begynn på skjemaet",
        "Før dere",
    ):
        assert gone not in text, gone
    assert soup(page).find("form", class_="editor-form") is None
    buttons = {a.get_text(strip=True): urlsplit(a["href"]).path for a in soup(page).select("a.ds-button")}
    assert buttons == {"Se kvitteringen": "/svar/kvittering", "Se svaret": "/svar/oppsummering"}
    # Nothing is left to send: the header leads to the receipt instead.
    assert header_links(page) == {"Oversikt": "/svar", "Kvittering": "/svar/kvittering"}
    assert header_links(client.get("/svar/kvittering").text)["Kvittering"] == "/svar/kvittering"


def test_after_submitting_in_nynorsk(client: TestClient, world: World) -> None:
    csrf = enter(client, world, "3043")
    submit(client, csrf)
    text = text_of(client.get("/svar").text)
    assert "Sjå kvitteringa" in text and "Sjå svaret" in text
    assert "Kven fyller ut no?" not in text and "Hald fram med skjemaet" not in text
    assert "Sjå over og send inn" not in text


def test_a_reopened_answer_is_a_form_again(client: TestClient, world: World, session: Session) -> None:
    csrf = enter(client, world)
    submit(client, csrf)
    fresh(session)
    responses.reopen(session, response=world.response(session, "3005"), actor="test")
    page = client.get("/svar").text
    text = text_of(page)
    assert "åpnet svaret igjen" in text and "Fristen er" in text and "Fortsett på skjemaet" in text
    assert soup(page).find("form", class_="editor-form") is not None
    assert header_links(page)["Se over og send inn"] == "/svar/oppsummering"


def test_after_the_round_closed_the_answer_can_be_read_not_begun(
    client: TestClient, world: World, session: Session
) -> None:
    csrf = enter(client, world)
    autosave(client, csrf, "kommentar", {"kommentar": "Lagret før fristen", "v:kommentar": "0"})
    fresh(session)
    rounds.set_status(session, round_=world.round, status=RoundStatus.closed, actor="test")

    page = client.get("/svar").text
    text = text_of(page)
    assert "Runden er avsluttet" in text and "ble ikke sendt inn" in text
    for gone in (
        "Fristen er",
        "Begynn på skjemaet",
        "Fortsett på skjemaet",
        "Hvem fyller ut nå?",
        "Se over og send inn",
    ):
        assert gone not in text, gone
    assert soup(page).find("form", class_="editor-form") is None
    assert header_links(page) == {"Oversikt": "/svar", "Se svaret": "/svar/oppsummering"}

    review = client.get("/svar/oppsummering").text
    assert soup(review).h1.get_text(strip=True) == "Svaret fra Drammen kommune"
    assert "Lagret før fristen" in review and "kan ikke lenger endres" in review
    # Nothing to fix and nothing to send.
    assert soup(review).find(class_=["ds-error-summary", "review-overview", "submit-form"]) is None


# --- 12: validation -----------------------------------------------------------------------------------


def first_section(csrf: str, **answers: str) -> dict[str, str]:
    form = {"csrf_token": csrf, "v:politikk": "0", "v:vedtaksar": "0", "v:enighet": "0", "ga": "neste"}
    return {**form, **answers}


def test_next_section_stays_on_an_invalid_number_and_keeps_what_was_typed(
    client: TestClient, world: World, session: Session
) -> None:
    csrf = enter(client, world)
    r = client.post("/svar/del/del1", data=first_section(csrf, politikk="ja", vedtaksar="tjue", enighet="3"))
    assert r.status_code == 422, r.headers.get("location")
    page = soup(r.text)
    assert page.h1.get_text(strip=True) == "Første del"
    summary = page.find(id="feiloppsummering")
    assert summary is not None and "Skriv et helt tall" in summary.get_text()
    assert summary.find("a")["href"] == "#q-vedtaksar"
    question = page.find(id="q-vedtaksar")
    assert "Skriv et helt tall" in question.get_text()  # the message at the question
    field = question.find("input", attrs={"name": "vedtaksar"})
    assert field["value"] == "tjue" and field["aria-invalid"] == "true"
    assert page.find("input", id="f-politikk-ja").has_attr("checked")
    assert page.find("input", id="f-enighet-3").has_attr("checked")
    assert stored(session, world) == {"politikk": "ja", "vedtaksar": "tjue", "enighet": 3}

    corrected = first_section(csrf, politikk="ja", vedtaksar="2015", enighet="3")
    corrected["v:vedtaksar"] = soup(r.text).find("input", id="v-vedtaksar")["value"]
    r = client.post("/svar/del/del1", data=corrected)
    assert r.status_code == 303 and urlsplit(r.headers["location"]).path == "/svar/del/del2"


def test_a_wrong_answer_in_a_hidden_question_does_not_block_the_next_section(
    client: TestClient, world: World
) -> None:
    csrf = enter(client, world)
    autosave(client, csrf, "politikk", {"politikk": "ja", "v:politikk": "0"})
    autosave(client, csrf, "vedtaksar", {"vedtaksar": "tjue", "v:vedtaksar": "0"})
    # «Nei» hides the year question; its stale value is no reason to stay.
    r = client.post(
        "/svar/del/del1", data={"csrf_token": csrf, "politikk": "nei", "v:politikk": "1", "ga": "neste"}
    )
    assert r.status_code == 303 and urlsplit(r.headers["location"]).path == "/svar/del/del2"


def test_review_shows_what_is_missing_as_an_overview_until_an_attempt_to_submit(
    client: TestClient, world: World
) -> None:
    csrf = enter(client, world)
    review = soup(client.get("/svar/oppsummering").text)
    assert review.find(class_="ds-error-summary") is None and review.find(id="feiloppsummering") is None
    overview = review.find(class_="review-overview")
    text = " ".join(overview.get_text(" ").split())
    assert "Dette mangler før dere kan sende inn" in text and "1 spørsmål må besvares." in text
    assert [h.get_text(strip=True) for h in overview.find_all("h3")] == ["Første del"]
    link = overview.find("a", href=re.compile("#q-politikk$"))
    assert link is not None and urlsplit(link["href"]).path == "/svar/del/del1"

    r = client.post("/svar/send-inn", data={"csrf_token": csrf, "signer_name": "", "signer_role": ""})
    assert r.status_code == 422
    attempted = soup(r.text)
    summary = attempted.find(id="feiloppsummering")
    assert summary is not None and "ds-error-summary" in summary["class"]
    assert "Svar på dette spørsmålet før dere sender inn" in summary.get_text()
    assert "Skriv navnet" in summary.get_text()
    assert attempted.find(class_="review-overview") is None


def test_the_overview_counts_wrong_answers_apart_and_says_when_nothing_is_left(
    client: TestClient, world: World
) -> None:
    csrf = enter(client, world)
    autosave(client, csrf, "politikk", {"politikk": "ja", "v:politikk": "0"})
    autosave(client, csrf, "vedtaksar", {"vedtaksar": "1850", "v:vedtaksar": "0"})
    overview = soup(client.get("/svar/oppsummering").text).find(class_="review-overview")
    text = " ".join(overview.get_text(" ").split())
    assert "1 svar må rettes." in text and "spørsmål må besvares" not in text
    assert "1990 eller høyere" in text  # a wrong answer says what is wrong

    autosave(client, csrf, "vedtaksar", {"vedtaksar": "2015", "v:vedtaksar": "1"})
    overview = soup(client.get("/svar/oppsummering").text).find(class_="review-overview")
    assert "Klart til innsending" in overview.get_text() and overview.find("a") is None


@pytest.mark.parametrize(("kommunenummer", "position"), [("3005", "Del 2 av 2"), ("3043", "Del 2 av 2")])
def test_a_section_says_where_it_is_among_the_sections(
    client: TestClient, world: World, kommunenummer: str, position: str
) -> None:
    enter(client, world, kommunenummer)
    page = soup(client.get("/svar/del/del2").text)
    assert page.find(class_="section-position").get_text(strip=True) == position
    assert soup(client.get("/svar/del/del1").text).find(class_="section-position").get_text(strip=True) == (
        "Del 1 av 2"
    )


# Pages about this browser (which form to open), not the municipality's answer, speak to the person there.
TO_THE_PERSON = {"choose_title", "choose_text", "confirm_open_why"}
# Worded with «du» still; their exact texts are asserted in test_question_model.py, test_question_types.py
# and test_blank_form.py, so they change together with those tests.
NOT_YET: set[str] = set()
DU = re.compile(r"\b(du|deg|din|ditt|dine)\b", re.IGNORECASE)


def test_the_municipality_is_addressed_as_dere_throughout() -> None:
    mixed = [
        (key, text)
        for key, pair in TEXTS.items()
        if key not in TO_THE_PERSON | NOT_YET
        for text in pair
        if DU.search(text)
    ]
    assert not mixed, mixed


def test_the_review_page_does_not_mix_dere_and_du(client: TestClient, world: World) -> None:
    csrf = enter(client, world)
    autosave(client, csrf, "tiltak", {"tiltak": "annet", "v:tiltak": "0", "v:tiltak.annet": "0"})
    r = client.post("/svar/send-inn", data={"csrf_token": csrf, "signer_name": "", "signer_role": ""})
    text = text_of(r.text)
    assert "dere" in text and "«Annet» er valgt" in text
    assert not DU.search(text), DU.findall(text)


# --- 5: matrix and scales on a phone ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kommunenummer", "hint"),
    [
        ("3005", "Tabellen har 5 svaralternativer. Rull sidelengs for å se alle."),
        ("3043", "Tabellen har 5 svaralternativ. Rull sidelengs for å sjå alle."),
    ],
)
def test_a_matrix_says_it_scrolls_sideways(
    client: TestClient, world: World, kommunenummer: str, hint: str
) -> None:
    enter(client, world, kommunenummer)
    question = soup(client.get("/svar/del/del2").text).find(id="q-moteplasser")
    assert question.find(class_="matrix-hint").get_text(strip=True) == hint
    assert question.find(class_="matrix-hint").find_next_sibling()["class"] == [
        "table-scroll",
        "matrix-scroll",
    ]


# --- 14: the receipt ----------------------------------------------------------------------------------


def test_the_receipt_has_no_internal_counter_and_a_print_button(client: TestClient, world: World) -> None:
    csrf = enter(client, world)
    submit(client, csrf)
    page = soup(client.get("/svar/kvittering").text)
    rows = [th.get_text(strip=True) for th in page.select("table.receipt-meta th")]
    assert rows == ["Kommune", "Undersøkelse", "Runde", "Sendt inn", "Godkjent av"]
    assert "Versjon" not in page.get_text()
    button = page.find("button", attrs={"data-print": True})
    # No script may sit in the page (CSP): static/app.js shows the button and prints; the hint stays for
    # a browser without script.
    assert button is not None and button["type"] == "button" and not button.has_attr("onclick")
    assert button.get_text(strip=True) == "Skriv ut kvitteringen"
    assert "Ctrl+P" in page.find(class_="receipt-print").get_text()
