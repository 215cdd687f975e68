"""The accessibility statement and the privacy page: open to all, linked from every page's footer."""

from __future__ import annotations

from urllib.parse import urlsplit

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient


def test_the_accessibility_statement_names_the_standard_and_how_it_is_checked(client: TestClient) -> None:
    r = client.get("/tilgjengelighet")
    assert r.status_code == 200
    text = BeautifulSoup(r.text, "html.parser").get_text(" ", strip=True)
    for phrase in (
        "WCAG 2.1 nivå A og AA",
        "axe-core",
        "bare med tastaturet",
        "Kjente begrensninger",
        "Uu-tilsynet",
    ):
        assert phrase in text


def test_the_privacy_page_says_what_is_stored_why_and_how_long(client: TestClient) -> None:
    r = client.get("/personvern")
    assert r.status_code == 200
    soup = BeautifulSoup(r.text, "html.parser")
    headers = [th.get_text(strip=True) for th in soup.select("table thead th")]
    assert headers == ["Opplysning", "Hvorfor", "Hvor lenge"]
    assert len(soup.select("table tbody tr")) >= 5
    # For the public: no command line, no algorithm names (tests/test_ui_global.py checks more).
    assert "survey-app" not in soup.get_text() and "argon2" not in soup.get_text()


def test_every_page_links_to_both(client: TestClient) -> None:
    for path in ("/", "/ansatt/logg-inn", "/finnes-ikke"):
        footer = BeautifulSoup(client.get(path).text, "html.parser").select_one("footer")
        assert footer is not None
        links = {urlsplit(a["href"]).path for a in footer.select("a")}
        assert {"/tilgjengelighet", "/personvern"} <= links, path
