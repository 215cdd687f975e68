"""The results pages, exports and the printable response, over HTTP."""

from __future__ import annotations

import io
import json

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session, select

from survey_app.config import Settings
from survey_app.models import AuditEvent, Role
from survey_app.services import responses
from tests.factories import World, make_staff, make_world
from tests.test_staff import login, table_rows

ANSWERS = {
    "3005": {
        "politikk": "ja",
        "vedtaksar": 2015,
        "enighet": 4,
        "kommentar": "Vi trenger flere språkkafeer.",
        "moteplasser.bibliotek": 4,
        "moteplasser.idrett": "vet_ikke",
    },
    "3043": {
        "politikk": "nei",
        "enighet": 2,
        "kommentar": "Biblioteket er viktigst.",
        "moteplasser.bibliotek": 2,
        "moteplasser.idrett": 3,
    },
    "3049": {"politikk": "ja", "vedtaksar": 2020, "enighet": "vet_ikke", "moteplasser.bibliotek": 4},
}


@pytest.fixture
def answered(session: Session, settings: Settings) -> World:
    """Three municipalities; Drammen and Ål submitted, Lier still working."""
    world = make_world(session, settings)
    for number, values in ANSWERS.items():
        response = world.response(session, number)
        assert response.id is not None
        draft = responses.load_draft(session, response_id=response.id)
        responses.save(session, draft=draft, changes={k: (v, 0) for k, v in values.items()}, editor="test")
        if number != "3049":
            assert responses.submit(session, draft=draft, signer_name="Leder", signer_role="Rådmann") == []
    return world


def staff(client: TestClient, session: Session, role: Role = Role.radgiver) -> None:
    make_staff(session, role)
    login(client, f"{role.value}@fylke.test")


def test_results_count_submitted_answers_with_vet_ikke_apart(
    client: TestClient, session: Session, answered: World
) -> None:
    staff(client, session, Role.leser)
    page = client.get(f"/ansatt/runder/{answered.round.id}/resultater")
    assert page.status_code == 200
    soup = BeautifulSoup(page.text, "html.parser")
    question = soup.find(id="sp-politikk")
    rows = table_rows(str(question), "table")
    assert rows["Ja"]["Antall"] == "1" and rows["Ja"]["Andel"] == "50\u00a0%" and rows["Nei"]["Antall"] == "1"
    caption = question.find("caption").get_text(" ", strip=True)
    assert "n = 2" in caption and "Færre enn 3 kommuner" in caption
    assert question.find("svg").find_parent("td")["aria-hidden"] == "true"  # the numbers are the content
    matrix = table_rows(str(soup.find(id="sp-moteplasser")), "table")
    assert matrix["Idrettslag"]["Vet ikke"] == "1"  # Drammen's «vet ikke» on idrett is counted apart
    assert matrix["Idrettslag"]["n"] == "1" and matrix["Biblioteket"]["n"] == "2"


def test_results_filter_by_region_and_include_unfinished(
    client: TestClient, session: Session, answered: World
) -> None:
    staff(client, session)
    url = f"/ansatt/runder/{answered.round.id}/resultater"
    r = client.get(url, params={"region": "Hallingdal"}, headers={"HX-Request": "true"})
    assert r.status_code == 200 and "<html" not in r.text
    rows = table_rows(str(BeautifulSoup(r.text, "html.parser").find(id="sp-politikk")), "table")
    assert rows["Nei"]["Antall"] == "1" and rows["Ja"]["Antall"] == "0"
    r = client.get(url, params={"pabegynte": "true"})
    rows = table_rows(str(BeautifulSoup(r.text, "html.parser").find(id="sp-politikk")), "table")
    assert rows["Ja"]["Antall"] == "2"


def test_free_text_search(client: TestClient, session: Session, answered: World) -> None:
    staff(client, session, Role.leser)
    r = client.get(f"/ansatt/runder/{answered.round.id}/fritekst", params={"sok": "SPRÅKKAFEER"})
    assert r.status_code == 200
    hits = BeautifulSoup(r.text, "html.parser").select("article.free-text")
    assert len(hits) == 1 and "Drammen" in hits[0].get_text() and "Drammensregionen" in hits[0].get_text()


def test_profile_beside_region_and_county(client: TestClient, session: Session, answered: World) -> None:
    staff(client, session)
    muni = answered.response(session, "3005").municipality_id
    r = client.get(f"/ansatt/runder/{answered.round.id}/kommuner/{muni}")
    assert r.status_code == 200
    rows = table_rows(r.text, "table.profile")
    politikk = rows["Har kommunen en frivillighetspolitikk?"]
    assert politikk["Svar"] == "Ja" and politikk["Poeng"] == "100"
    assert politikk["Fylket"].startswith("50")  # Drammen 100, Ål 0: Lier has not submitted
    assert politikk["Regionen"] == "–"  # Lier, the only other in the region, has not submitted


def test_exports_are_files_and_are_logged(client: TestClient, session: Session, answered: World) -> None:
    staff(client, session)
    base = f"/ansatt/runder/{answered.round.id}/eksport"
    r = client.get(f"{base}.csv", params={"skilletegn": "semikolon"})
    assert r.status_code == 200 and r.content.startswith(b"\xef\xbb\xbf")
    header = r.content.decode("utf-8-sig").splitlines()[0].split(";")
    assert header[:3] == ["kommunenummer", "kommune", "region"] and "politikk" in header
    assert len(r.content.decode("utf-8-sig").splitlines()) == 3  # two submitted
    book = load_workbook(io.BytesIO(client.get(f"{base}.xlsx").content))
    assert book.sheetnames == ["Svar", "Kodebok", "Fritekst"]
    data = json.loads(client.get(f"{base}.json", params={"pabegynte": "true"}).content)
    assert len(data["responses"]) == 3
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "export")).all()
    assert sorted(e.details["format"] for e in events) == ["csv", "json", "xlsx"]


def test_a_leser_cannot_export(client: TestClient, session: Session, answered: World) -> None:
    staff(client, session, Role.leser)
    assert client.get(f"/ansatt/runder/{answered.round.id}/eksport.csv").status_code == 403


def test_printable_response(client: TestClient, session: Session, answered: World) -> None:
    staff(client, session, Role.leser)
    response = answered.response(session, "3005")
    r = client.get(f"/ansatt/svar/{response.id}/utskrift")
    assert r.status_code == 200
    meta = {
        tr.th.get_text(strip=True): tr.td.get_text(strip=True)
        for tr in BeautifulSoup(r.text, "html.parser").select("table.receipt-meta tr")
    }
    assert meta["Kommune"] == "Drammen (3005)" and meta["Godkjent av"] == "Leder, Rådmann"
    assert "Vi trenger flere språkkafeer." in r.text


def test_a_leser_sees_free_text_with_personal_data_masked(
    client: TestClient, session: Session, answered: World
) -> None:
    response = answered.response(session, "3049")
    assert response.id is not None
    draft = responses.load_draft(session, response_id=response.id)
    text = "Kontaktperson Kari Nordmann, kari@lier.kommune.no eller 41234567, vet mer."
    responses.save(session, draft=draft, changes={"kommentar": (text, 0)}, editor="test")
    responses.submit(session, draft=draft, signer_name="Leder", signer_role="Rådmann")
    staff(client, session, Role.leser)
    r = client.get(f"/ansatt/runder/{answered.round.id}/fritekst", params={"sok": "vet mer"})
    assert "Kari Nordmann" not in r.text and "kari@lier" not in r.text and "41234567" not in r.text
    assert "[navn]" in r.text and "[e-post]" in r.text and "[telefon]" in r.text


PERSONAL = "Kontaktperson Kari Nordmann, kari@lier.kommune.no eller 41234567, vet mer."
RAW = ("Kari Nordmann", "kari@lier.kommune.no", "41234567")


@pytest.mark.parametrize("role", [Role.leser, Role.radgiver])
def test_answer_pages_mask_personal_data_for_a_leser_only(
    client: TestClient, session: Session, answered: World, role: Role
) -> None:
    # A reader may read each municipality's answers, but not the names, addresses and numbers in them;
    # an adviser, who may export the raw answers anyway, reads what was written.
    response = answered.response(session, "3049")
    assert response.id is not None
    draft = responses.load_draft(session, response_id=response.id)
    responses.save(session, draft=draft, changes={"kommentar": (PERSONAL, 0)}, editor="test")
    staff(client, session, role)
    pages = [
        f"/ansatt/runder/{answered.round.id}/kommuner/{response.municipality_id}",
        f"/ansatt/svar/{response.id}",
        f"/ansatt/svar/{response.id}/utskrift",
    ]
    for page in pages:
        r = client.get(page)
        assert r.status_code == 200, page
        text = BeautifulSoup(r.text, "html.parser").get_text(" ")
        if role is Role.leser:
            assert not any(raw in text for raw in RAW), page
            assert "[navn]" in text and "[e-post]" in text and "[telefon]" in text, page
        else:
            assert all(raw in text for raw in RAW), page
