"""The staff side the demo needs: login, rounds, a round's overview, a response, reopen."""

from __future__ import annotations

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from survey_app.config import Settings
from survey_app.forms import stamp
from survey_app.models import AuditEvent, Role
from tests.conftest import csrf_of
from tests.factories import PASSWORD, make_staff, make_world


def table_rows(html: str, selector: str) -> dict[str, dict[str, str]]:
    """A table as {row header: {column header: cell text}}, read the way a screen reader would."""
    table = BeautifulSoup(html, "html.parser").select_one(selector)
    assert table is not None, selector
    headers = [th.get_text(" ", strip=True) for th in table.select("thead th")]
    rows = {}
    for tr in table.select("tbody tr"):
        cells = tr.find_all(["th", "td"])
        row = dict(zip(headers, (c.get_text(" ", strip=True) for c in cells), strict=True))
        rows[tr.find("th").get_text(" ", strip=True)] = row
    return rows


def login(client: TestClient, email: str, password: str = PASSWORD, next_: str = ""):
    token = csrf_of(client, "/ansatt/logg-inn")
    return client.post(
        "/ansatt/logg-inn", data={"csrf_token": token, "email": email, "password": password, "neste": next_}
    )


def test_wrong_password_is_told_plainly_and_audited(client: TestClient, session: Session) -> None:
    make_staff(session, Role.admin)
    r = login(client, "admin@fylke.test", "feil-passord-her")
    assert r.status_code == 401
    assert "E-postadressen eller passordet er feil" in r.text
    assert BeautifulSoup(r.text, "html.parser").find("input", id="email")["value"] == "admin@fylke.test"
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "login.failed")).first() is not None


def test_login_goes_back_where_you_were_but_never_off_site(client: TestClient, session: Session) -> None:
    make_staff(session, Role.leser)
    r = login(client, "LESER@fylke.test", next_="https://evil.example/")
    assert r.status_code == 303 and r.headers["location"].endswith("/ansatt")
    client.post("/ansatt/logg-ut", data={"csrf_token": csrf_of(client, "/ansatt")})
    r = client.get("/ansatt/runder/1")
    assert r.status_code == 303 and r.headers["location"].endswith("/ansatt/logg-inn?neste=/ansatt/runder/1")
    r = login(client, "leser@fylke.test", next_="/ansatt/runder/1")
    assert r.headers["location"] == "/ansatt/runder/1"


def test_round_overview_shows_each_municipality_and_status(
    client: TestClient, session: Session, settings: Settings, app
) -> None:
    world = make_world(session, settings)
    with TestClient(app, follow_redirects=False) as muni:
        muni.get(world.link("3043"))
        token = csrf_of(muni, "/svar")
        muni.post(
            "/svar/sporsmal/politikk",
            data={"politikk": "ja", "v:politikk": stamp(0, None)},
            headers={"HX-Request": "true", "X-CSRF-Token": token},
        )
    make_staff(session, Role.radgiver)
    login(client, "radgiver@fylke.test")
    rounds_page = client.get("/ansatt")
    assert rounds_page.status_code == 200 and "Testrunden 2026" in rounds_page.text
    r = client.get(f"/ansatt/runder/{world.round.id}")
    assert r.status_code == 200
    rows = table_rows(r.text, "#oppfolging table")
    assert rows["Ål"]["Nr."] == "3043" and rows["Ål"]["Region"] == "Hallingdal"
    assert rows["Ål"]["Status"] == "Påbegynt" and rows["Ål"]["Besvart"].startswith("1 av ")
    assert rows["Drammen"]["Status"] == "Ikke startet"
    response = world.response(session, "3043")
    page = client.get(f"/ansatt/svar/{response.id}")
    assert page.status_code == 200 and "Ja" in page.text and "Påbegynt" in page.text
    assert "Gjenåpne" not in page.text  # only a submitted response can be reopened


def test_unknown_round_and_response_are_404_pages(client: TestClient, session: Session) -> None:
    make_staff(session, Role.admin)
    login(client, "admin@fylke.test")
    for path in ("/ansatt/runder/999", "/ansatt/svar/999"):
        r = client.get(path)
        assert r.status_code == 404 and "finnes ikke" in r.text
