"""The comparison page over HTTP, on the demo's two survey rounds (this year's and last year's)."""

from __future__ import annotations

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from survey_app.config import Settings
from survey_app.models import Role, Round
from survey_app.services import demo
from tests.factories import make_staff, make_world
from tests.test_staff import login


def test_compare_two_years_of_the_demo(client: TestClient, session: Session, settings: Settings) -> None:
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
    diffs = soup.select("details.muni-diff summary")
    assert diffs and any("endrede svar" in d.get_text() for d in diffs)
    assert any("svarte bare i" in d.get_text() for d in diffs)  # some answered only one of the years


def test_compare_without_another_round_says_so(
    client: TestClient, session: Session, settings: Settings
) -> None:
    world = make_world(session, settings)
    make_staff(session, Role.leser)
    login(client, "leser@fylke.test")
    r = client.get(f"/ansatt/runder/{world.round.id}/sammenlign")
    assert r.status_code == 200 and "ingen annen runde" in r.text
