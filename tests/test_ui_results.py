"""Issue 15 on the results pages, over HTTP: titles once, a contents list, a matrix as one stacked-bar chart
with its table, a year by its median, Norwegian numbers, free text with marked hits a page at a time, wide
tables that scroll with a hint, and a profile page that answers for a municipality that has not begun."""

from __future__ import annotations

import re
from datetime import date

import pytest
from bs4 import BeautifulSoup, Tag
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from survey_app import audit
from survey_app.config import Settings
from survey_app.forms import Value
from survey_app.models import Municipality, QuestionnaireVersion, Role
from survey_app.routes import results as results_routes
from survey_app.services import responses, rounds
from tests.factories import World, make_staff, make_world
from tests.test_staff import login, table_rows

# Lier (3049) has not begun.
THIS_YEAR: dict[str, dict[str, Value]] = {
    "3005": {
        "politikk": "ja",
        "vedtaksar": 2015,
        "enighet": 4,
        "kommentar": "Vi trenger flere språkkafeer, og <b>Språkkafé</b> på biblioteket.",
        "moteplasser.bibliotek": 4,
        "moteplasser.idrett": "vet_ikke",
    },
    "3043": {
        "politikk": "nei",
        "enighet": 3,
        "kommentar": "Biblioteket er viktigst for språkkafeene.",
        "moteplasser.bibliotek": 1,
        "moteplasser.idrett": 3,
    },
}
LAST_YEAR: dict[str, dict[str, Value]] = {
    "3005": {"politikk": "ja", "vedtaksar": 2011, "enighet": 2},
    "3043": {"politikk": "ja", "vedtaksar": 2014, "enighet": 2},
}


def answer_all(session: Session, world: World, answers: dict[str, dict[str, Value]]) -> None:
    for number, values in answers.items():
        response = world.response(session, number)
        assert response.id is not None
        draft = responses.load_draft(session, response_id=response.id)
        responses.save(session, draft=draft, changes={k: (v, 0) for k, v in values.items()}, editor="test")
        assert responses.submit(session, draft=draft, signer_name="Leder", signer_role="Rådmann") == []


@pytest.fixture
def world(session: Session, settings: Settings) -> World:
    world = make_world(session, settings)
    answer_all(session, world, THIS_YEAR)
    return world


@pytest.fixture
def last_year(session: Session, settings: Settings, world: World) -> World:
    """The same questionnaire a year earlier, so the round has one to compare with."""
    version = session.get(QuestionnaireVersion, world.round.questionnaire_version_id)
    assert version is not None and world.round.county_id is not None
    municipalities = list(session.exec(select(Municipality)))
    rnd = rounds.create_round(
        session,
        county_id=world.round.county_id,
        version=version,
        year=2025,
        title="Testrunden 2025",
        opens_on=date(2025, 11, 1),
        closes_on=date(2099, 1, 31),
        municipalities=municipalities,
        secret_key=settings.resolved_secret_key(),
        invitation_days=30,
        actor=audit.SYSTEM,
    )
    before = World(rnd, municipalities, {})
    answer_all(session, before, LAST_YEAR)
    return before


def as_staff(client: TestClient, session: Session, role: Role = Role.radgiver) -> None:
    make_staff(session, role)
    login(client, f"{role.value}@fylke.test")


def soup_of(client: TestClient, url: str, **params: str) -> BeautifulSoup:
    r = client.get(url, params=params) if params else client.get(url)
    assert r.status_code == 200, r.text
    return BeautifulSoup(r.text, "html.parser")


def visible_text(element: Tag) -> str:
    """What a sighted reader sees: without the screen-reader-only text."""
    element = BeautifulSoup(str(element), "html.parser")
    for hidden in element.select(".ds-sr-only"):
        hidden.decompose()
    return element.get_text(" ", strip=True)


ENGLISH_DECIMAL = re.compile(r"\d\.\d")


# --- item 10: results read at a glance ----------------------------------------------------------------


def test_each_question_title_is_printed_once(client: TestClient, session: Session, world: World) -> None:
    as_staff(client, session)
    soup = soup_of(client, f"/ansatt/runder/{world.round.id}/resultater")
    question = soup.find(id="sp-politikk")
    assert visible_text(question).count("Har kommunen en frivillighetspolitikk?") == 1
    # The table is still named for a screen reader.
    caption = question.find("caption")
    assert "Har kommunen en frivillighetspolitikk?" in caption.get_text(" ", strip=True)
    assert "n = 2" in visible_text(caption)


def test_contents_list_links_every_section_and_question(
    client: TestClient, session: Session, world: World
) -> None:
    as_staff(client, session)
    soup = soup_of(client, f"/ansatt/runder/{world.round.id}/resultater")
    toc = soup.find("nav", id="innholdsliste")
    targets = [a["href"].removeprefix("#") for a in toc.find_all("a")]
    assert targets[:2] == ["del-del1", "del-del2"]
    assert {"sp-politikk", "sp-vedtaksar", "sp-moteplasser", "sp-kommentar"} <= set(targets)
    assert all(soup.find(id=t) is not None for t in targets)
    ids = [e["id"] for e in soup.find_all(id=True)]
    assert len(ids) == len(set(ids))  # each link lands in one place (main is «innhold», the skip link's)
    assert "(3 spørsmål)" in toc.get_text(" ", strip=True)  # Første del
    # Every section leads back to the contents.
    assert len(soup.select("section.results-section a[href='#innholdsliste']")) == 2


def test_a_matrix_is_one_stacked_bar_chart_with_its_table(
    client: TestClient, session: Session, world: World
) -> None:
    as_staff(client, session, Role.leser)
    soup = soup_of(client, f"/ansatt/runder/{world.round.id}/resultater")
    matrix = soup.find(id="sp-moteplasser")
    assert len(matrix.find_all("table")) == 1  # not one table per row
    chart = matrix.select_one(".stacked-chart")
    assert chart["aria-hidden"] == "true"  # the table below carries the numbers
    legend = [item.get_text(strip=True) for item in chart.select(".legend-item")]
    assert legend == ["Helt uenig", "Uenig", "Enig", "Helt enig"]  # long labels may wrap on a phone
    bars = chart.select("svg.stacked-bar")
    assert len(bars) == 2  # one bar per row: Biblioteket, Idrettslag
    # Biblioteket: Ål «helt uenig», Drammen «helt enig»: two halves.
    widths = [rect["width"] for rect in bars[0].select("rect.seg")]
    assert widths == ["50.0%", "50.0%"]
    rows = table_rows(str(matrix), "table")
    assert rows["Biblioteket"]["Helt enig"] == "50\u00a0% (1)" and rows["Biblioteket"]["n"] == "2"
    assert rows["Idrettslag"]["Vet ikke"] == "1" and rows["Idrettslag"]["Enig"] == "100\u00a0% (1)"
    assert rows["Biblioteket"]["Snitt"] == "2,5"


def test_a_year_is_shown_by_its_median_never_a_mean(
    client: TestClient, session: Session, world: World
) -> None:
    response = world.response(session, "3049")
    assert response.id is not None
    draft = responses.load_draft(session, response_id=response.id)
    responses.save(session, draft=draft, changes={"politikk": ("ja", 0), "vedtaksar": (2020, 0)}, editor="t")
    as_staff(client, session)
    soup = soup_of(client, f"/ansatt/runder/{world.round.id}/resultater", pabegynte="true")
    year = visible_text(soup.find(id="sp-vedtaksar"))
    assert "n = 2, median 2015, tidligst 2015, senest 2020" in year
    assert "snitt" not in year


def test_results_numbers_are_norwegian(client: TestClient, session: Session, world: World) -> None:
    as_staff(client, session)
    soup = soup_of(client, f"/ansatt/runder/{world.round.id}/resultater")
    enighet = visible_text(soup.find(id="sp-enighet"))
    assert "snitt 3,5" in enighet  # Drammen 4, Ål 3
    assert not ENGLISH_DECIMAL.search(visible_text(soup.find("main")))


# --- item 10: free text ---------------------------------------------------------------------------------


def test_free_text_hits_are_marked_and_escaped(client: TestClient, session: Session, world: World) -> None:
    as_staff(client, session)
    soup = soup_of(client, f"/ansatt/runder/{world.round.id}/fritekst", sok="SPRÅKKAF")
    hits = soup.select("article.free-text")
    assert len(hits) == 2
    drammen = hits[0].select_one(".answer-text")
    assert [m.get_text() for m in drammen.find_all("mark")] == ["språkkaf", "Språkkaf"]
    # The answer's own markup is text, never HTML: escaped before anything was marked.
    assert drammen.find("b") is None and "<b>" in drammen.get_text()
    assert [m.get_text() for m in hits[1].find_all("mark")] == ["språkkaf"]


def test_a_leser_gets_marks_in_the_masked_text_only(
    client: TestClient, session: Session, world: World
) -> None:
    response = world.response(session, "3049")
    assert response.id is not None
    draft = responses.load_draft(session, response_id=response.id)
    text = "Kontaktperson Kari Nordmann, kari@lier.kommune.no, vet mer om språkkafeen."
    changes: dict[str, tuple[Value, int]] = {"politikk": ("nei", 0), "kommentar": (text, 0)}
    responses.save(session, draft=draft, changes=changes, editor="test")
    assert responses.submit(session, draft=draft, signer_name="Leder", signer_role="Rådmann") == []
    as_staff(client, session, Role.leser)
    url = f"/ansatt/runder/{world.round.id}/fritekst"
    assert soup_of(client, url, sok="Kari").select("article.free-text") == []
    [hit] = soup_of(client, url, sok="vet mer").select("article.free-text")
    answer = hit.select_one(".answer-text")
    assert [m.get_text() for m in answer.find_all("mark")] == ["vet", "mer"]
    assert "[navn]" in answer.get_text() and "Kari" not in answer.get_text()


def test_free_text_comes_a_page_at_a_time(
    client: TestClient, session: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(results_routes, "FREE_TEXT_PAGE_SIZE", 1)
    as_staff(client, session)
    soup = soup_of(client, f"/ansatt/runder/{world.round.id}/fritekst", sok="språk")
    assert len(soup.select("article.free-text")) == 1
    assert soup.find(role="status").get_text(" ", strip=True) == "2 svar med «språk». Viser 1–1."
    links = soup.select("nav.ds-pagination a[aria-label^='Side']")
    assert [a.get_text() for a in links] == ["1", "2"] and links[0]["aria-current"] == "true"
    second = soup_of(client, links[1]["href"])  # the search goes along to the next page
    assert second.find("input", id="sok")["value"] == "språk"
    [hit] = second.select("article.free-text")
    assert "Ål" in hit.get_text() and hit.find("mark").get_text() == "språk"


# --- item 6: the comparison link is never a dead end ------------------------------------------------------


def test_profile_of_a_municipality_that_has_not_begun(
    client: TestClient, session: Session, world: World
) -> None:
    as_staff(client, session, Role.leser)
    lier = world.response(session, "3049")
    r = client.get(f"/ansatt/runder/{world.round.id}/kommuner/{lier.municipality_id}")
    assert r.status_code == 200
    assert "Kommunen har ikke svart ennå" in r.text
    rows = table_rows(r.text, "table.profile")
    politikk = rows["Har kommunen en frivillighetspolitikk?"]
    assert (
        politikk["Poeng"] == "–" and politikk["Regionen"] == "– (for få kommuner: 1)"
    )  # Drammen alone: no figure
    assert politikk["Fylket"].startswith("50")
    # Its response page offers no comparison (there is nothing of its own to compare); a started one does.
    page = BeautifulSoup(client.get(f"/ansatt/svar/{lier.id}").text, "html.parser")
    assert not page.find("a", string=re.compile("Sammenlign med regionen"))
    drammen = world.response(session, "3005")
    page = BeautifulSoup(client.get(f"/ansatt/svar/{drammen.id}").text, "html.parser")
    link = page.find("a", string=re.compile("Sammenlign med regionen"))
    assert client.get(link["href"]).status_code == 200
    assert client.get(f"/ansatt/runder/{world.round.id}/kommuner/999999").status_code == 404


# --- item 8: numbers on the profile and comparison --------------------------------------------------------


def test_profile_numbers_are_norwegian(client: TestClient, session: Session, world: World) -> None:
    as_staff(client, session)
    drammen = world.response(session, "3005")
    soup = soup_of(client, f"/ansatt/runder/{world.round.id}/kommuner/{drammen.municipality_id}")
    rows = table_rows(str(soup), "table.profile")
    assert rows["Frivilligheten er godt med i integreringsarbeidet."]["Fylket"].startswith("83")
    assert not ENGLISH_DECIMAL.search(visible_text(soup.find("main")))


def test_comparison_numbers_are_norwegian_and_a_year_is_a_median(
    client: TestClient, session: Session, world: World, last_year: World
) -> None:
    as_staff(client, session, Role.leser)
    soup = soup_of(client, f"/ansatt/runder/{world.round.id}/sammenlign", med=str(last_year.round.id))
    rows = table_rows(str(soup), "table.compare")
    politikk = rows["Har kommunen en frivillighetspolitikk?"]
    assert (politikk["Poeng før"], politikk["Poeng nå"]) == ("100", "50")
    assert politikk["Endring i poeng"] == "\u221250,0"  # a minus sign, a decimal comma
    enighet = rows["Frivilligheten er godt med i integreringsarbeidet."]
    assert (enighet["Snitt før"], enighet["Snitt nå"]) == ("2,0", "3,5")
    assert enighet["Endring i poeng"] == "+50,0"
    year = rows["Hvilket år ble den vedtatt?"]
    assert (year["Snitt før"], year["Snitt nå"]) == ("2011 (median)", "2015 (median)")
    assert not ENGLISH_DECIMAL.search(visible_text(soup.find("main")))


# --- item 4: wide tables scroll, with a hint -------------------------------------------------------------


def test_tables_scroll_and_wide_ones_say_so(
    client: TestClient, session: Session, world: World, last_year: World
) -> None:
    as_staff(client, session)
    drammen = world.response(session, "3005")
    base = f"/ansatt/runder/{world.round.id}"
    pages = {
        "resultater": (soup_of(client, f"{base}/resultater"), "table.scale-table"),
        "sammenligning": (soup_of(client, f"{base}/sammenlign"), "table.compare"),
        "profil": (soup_of(client, f"{base}/kommuner/{drammen.municipality_id}"), "table.profile"),
    }
    for name, (soup, wide) in pages.items():
        for table in soup.select("main table"):
            assert table.find_parent(class_="table-scroll") is not None, (name, table.get("class"))
        container = soup.select_one(wide).find_parent(class_="table-scroll")
        # The eye is told it scrolls (app.js shows the hint only while it does), and the first column
        # stays in view; app.js makes the box a named, focusable region while it scrolls.
        hint = soup.find(id=container["data-scroll-hint"])
        assert "scroll-hint" in hint["class"] and "rull sideveis" in hint.get_text(), name
        assert "sticky-first" in container["class"], name
