"""The comparison page over HTTP, on the demo's two survey rounds (this year's and last year's)."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from survey_app.config import Settings
from survey_app.models import Answer, Municipality, Response, ResponseStatus, Role, Round, utcnow
from survey_app.routes import results as results_routes
from survey_app.services import catalog, demo
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

    # Across the revision (2025.1 → 2026.2): the shared plan question continues the old action-plan
    # question through its answer map, and the new blocks come as new questions.
    assert catalog.round_definition(session, last_year).version == "2025.1"
    assert catalog.round_definition(session, this_year).version == "2026.2"
    text = " ".join(row.get_text(" ", strip=True) for row in soup.select("table.compare tbody tr"))
    assert "svarene fra før er regnet om til de nye" in text
    assert "(nytt spørsmål)" in text


def test_compare_without_another_round_says_so(
    client: TestClient, session: Session, settings: Settings
) -> None:
    world = make_world(session, settings)
    make_staff(session, Role.leser)
    login(client, "leser@fylke.test")
    r = client.get(f"/ansatt/runder/{world.round.id}/sammenlign")
    assert r.status_code == 200 and "ingen annen runde" in r.text


@pytest.mark.parametrize("role", [Role.leser, Role.radgiver])
def test_compare_masks_personal_data_in_changed_free_text_for_a_leser_only(
    client: TestClient, session: Session, settings: Settings, role: Role
) -> None:
    demo.setup_demo(session, settings=settings)
    this_year = session.exec(select(Round).where(Round.title == "Kommuneundersøkelsen 2026")).one()
    last_year = session.exec(select(Round).where(Round.title == "Kommuneundersøkelsen 2025")).one()
    both = select(Response.municipality_id).where(
        Response.round_id == last_year.id, Response.status == ResponseStatus.submitted
    )
    definition = catalog.round_definition(session, this_year)
    before = catalog.round_definition(session, last_year)
    # Asked both years (a question new in the revision has nothing to compare with), and always shown.
    always_shown = [
        q.id
        for q in definition.questions()
        if q.type == "longtext" and q.show_if is None and before.has_question(q.id)
    ]
    # A free-text answer of a municipality on the first page that answered both years, changed to one
    # with personal data.
    first = session.exec(
        select(Answer)
        .join(Response, col(Answer.response_id) == Response.id)
        .join(Municipality, col(Response.municipality_id) == Municipality.id)
        .where(Response.round_id == this_year.id, Response.status == ResponseStatus.submitted)
        .where(col(Response.municipality_id).in_(both))
        .where(col(Answer.question_id).in_(always_shown))
        .order_by(col(Municipality.kommunenummer), col(Answer.question_id))
    ).first()
    assert first is not None
    first.value = "Kontaktperson Kari Nordmann, kari@lier.kommune.no eller 41234567, vet mer."
    response = session.get(Response, first.response_id)
    assert response is not None
    response.last_saved_at = utcnow()  # as a save would: the pages' snapshots are keyed by it
    session.add_all([first, response])
    session.commit()
    make_staff(session, role)
    login(client, f"{role.value}@fylke.test")
    text = BeautifulSoup(
        client.get(f"/ansatt/runder/{this_year.id}/sammenlign").text, "html.parser"
    ).get_text(" ")
    raw = ("Kari Nordmann", "kari@lier.kommune.no", "41234567")
    if role is Role.leser:
        assert not any(r in text for r in raw)
        assert "[navn]" in text and "[e-post]" in text and "[telefon]" in text
    else:
        assert all(r in text for r in raw)
