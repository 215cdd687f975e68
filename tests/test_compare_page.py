"""The comparison page over HTTP, on the demo's two survey rounds (this year's and last year's)."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from survey_app.config import Settings
from survey_app.models import Role, Round
from survey_app.routes import results as results_routes
from survey_app.services import demo
from tests.factories import make_staff, make_world
from tests.test_staff import login


def test_compare_two_years_of_the_demo(
    client: TestClient, session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(results_routes, "COMPARE_PAGE_SIZE", 20)
    demo.setup_demo(session, settings=settings)
    make_staff(session, Role.leser)
    login(client, "leser@fylke.test")
    this_year = session.exec(select(Round).where(Round.title == "Kommuneundersøkelsen 2026")).one()
    last_year = session.exec(select(Round).where(Round.title == "Kommuneundersøkelsen 2025")).one()
    r = client.get(f"/ansatt/runder/{this_year.id}/sammenlign")
    assert r.status_code == 200
    soup = BeautifulSoup(r.text, "html.parser")
    assert soup.find("option", selected=True)["value"] == str(last_year.id)
    assert len(soup.select("table.compare tbody tr")) > 40  # every scored key of the survey
    # The municipalities a page at a time (20 here), by kommunenummer, each page linking to the others.
    status = soup.find("p", role="status").get_text(" ", strip=True)
    total = int(status.split(" av ")[1].split(",")[0])
    assert status.startswith("Viser kommune 1–20 av") and total > 40, status
    links = soup.select("nav.ds-pagination a[aria-label^='Side']")
    assert [a.get_text() for a in links] == [str(n) for n in range(1, -(-total // 20) + 1)]
    assert links[0]["aria-current"] == "true"
    everyone: list[str] = []
    for link in links:
        page = BeautifulSoup(client.get(link["href"]).text, "html.parser")
        lines = [e.get_text(" ", strip=True) for e in page.select("details.muni-diff summary, p.muni-same")]
        assert 0 < len(lines) <= 20
        everyone += lines
    assert len(everyone) == len(set(everyone)) == total
    assert any("endrede svar" in line for line in everyone)
    assert any("svarte bare i" in line for line in everyone)  # some answered only one of the years


def test_compare_without_another_round_says_so(
    client: TestClient, session: Session, settings: Settings
) -> None:
    world = make_world(session, settings)
    make_staff(session, Role.leser)
    login(client, "leser@fylke.test")
    r = client.get(f"/ansatt/runder/{world.round.id}/sammenlign")
    assert r.status_code == 200 and "ingen annen runde" in r.text
