"""Archive packages from the staff pages, through HTTP: who may download, what the ZIPs hold, the round's case
folder form with its Norwegian messages, and the audit log."""

from __future__ import annotations

import io
import zipfile

import pytest
from bs4 import BeautifulSoup
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from survey_app.config import Settings
from survey_app.csrf import verify_csrf
from survey_app.limits import in_range
from survey_app.main import routes_by_name
from survey_app.models import AuditEvent, Role, Round
from survey_app.routes import archive as archive_routes
from survey_app.services import audit_log, recommendation
from tests.conftest import csrf_of, fresh
from tests.factories import World, make_scenario, make_staff, make_world
from tests.test_archive import SCHEMA, submit
from tests.test_staff import login


def test_create_app_registers_the_archive_routes(app: FastAPI) -> None:
    assert {
        "archive_round",
        "archive_round_zip",
        "archive_response_zip",
        "archive_recommendation_zip",
    } <= set(app.state.routes_by_name)


@pytest.fixture
def archive_app(app: FastAPI) -> FastAPI:
    # Until survey_app/main.py lists the archive router with the other pages (the test above insists), add it
    # here the way create_app does: behind the same CSRF and id checks.
    if "archive_round" not in app.state.routes_by_name:
        checks = [Depends(verify_csrf), Depends(in_range)]
        app.include_router(archive_routes.router, dependencies=checks, include_in_schema=False)
        app.state.routes_by_name.update(routes_by_name([archive_routes.router]))
    return app


@pytest.fixture
def world(session: Session, settings: Settings) -> World:
    return make_world(session, settings)


def client_as(app: FastAPI, session: Session, role: Role) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    make_staff(session, role)
    assert login(client, f"{role.value}@fylke.test").status_code == 303
    return client


def files_of(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        return {name: z.read(name) for name in z.namelist()}


def test_an_adviser_downloads_a_response_and_the_round_and_both_are_audited(
    archive_app: FastAPI, session: Session, world: World
) -> None:
    response_id = submit(session, world, "3043")
    client = client_as(archive_app, session, Role.radgiver)
    with client:
        page = client.get(f"/ansatt/svar/{response_id}")
        link = BeautifulSoup(page.text, "html.parser").find("a", string="Arkivpakke (PDF/A og arkivmelding)")
        assert link is not None
        r = client.get(str(link["href"]))
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/zip"
        assert f'filename="svar-3043-al-runde-{world.round.id}.zip"' in r.headers["content-disposition"]
        single = files_of(r.content)
        assert set(single) == {"arkivmelding.xml", "svar-3043-al.pdf", "LESMEG.txt"}
        SCHEMA.validate(single["arkivmelding.xml"])

        round_page = client.get(f"/ansatt/runder/{world.round.id}")
        assert BeautifulSoup(round_page.text, "html.parser").find("a", string="Arkiv") is not None
        archive_page = client.get(f"/ansatt/runder/{world.round.id}/arkiv")
        assert archive_page.status_code == 200
        assert "Last ned arkivpakker for 1 svar (ZIP)" in archive_page.text
        r = client.get(f"/ansatt/runder/{world.round.id}/arkivpakke.zip")
        assert r.status_code == 200, r.text
        whole = files_of(r.content)
        folder = f"svar-3043-al-runde-{world.round.id}"
        assert sorted(whole) == sorted(["LESMEG.txt", *(f"{folder}/{n}" for n in single)])
        SCHEMA.validate(whole[f"{folder}/arkivmelding.xml"])
    fresh(session)
    events = session.exec(
        select(AuditEvent).where(AuditEvent.action == "archive.export").order_by(col(AuditEvent.id))
    ).all()
    assert [(e.object_type, e.details["scope"], e.details["documents"]) for e in events] == [
        ("response", "response", 1),
        ("round", "round", 1),
    ]
    assert all(e.actor.endswith("radgiver@fylke.test") for e in events)
    # The log page tells the events as sentences, with or without a name for the kind yet.
    assert audit_log.describe(session, list(events))


def test_a_reader_cannot_download_or_set_the_case_folder(
    archive_app: FastAPI, session: Session, world: World
) -> None:
    response_id = submit(session, world, "3005")
    client = client_as(archive_app, session, Role.leser)
    with client:
        page = client.get(f"/ansatt/svar/{response_id}")
        assert page.status_code == 200 and "Arkivpakke" not in page.text
        assert (
            "arkiv"
            not in BeautifulSoup(client.get(f"/ansatt/runder/{world.round.id}").text, "html.parser")
            .find("div", class_="button-row")
            .decode()
        )
        for path in (
            f"/ansatt/svar/{response_id}/arkivpakke.zip",
            f"/ansatt/runder/{world.round.id}/arkivpakke.zip",
            f"/ansatt/runder/{world.round.id}/arkiv",
        ):
            assert client.get(path).status_code == 403, path
        token = csrf_of(client, "/ansatt")
        r = client.post(
            f"/ansatt/runder/{world.round.id}/arkiv",
            data={"csrf_token": token, "saksaar": "2026", "sekvensnummer": "1"},
        )
        assert r.status_code == 403
    fresh(session)
    assert (
        session.exec(
            select(AuditEvent).where(AuditEvent.action.in_(["archive.export", "archive.case_folder"]))
        ).all()
        == []
    )  # type: ignore[attr-defined]


def test_the_municipality_cannot_reach_the_packages(
    archive_app: FastAPI, session: Session, world: World
) -> None:
    response_id = submit(session, world, "3049")
    client = TestClient(archive_app, follow_redirects=False)
    with client:
        client.get(world.link("3049"))
        r = client.get(f"/ansatt/svar/{response_id}/arkivpakke.zip")
        assert r.status_code == 303 and "/ansatt/logg-inn" in r.headers["location"]


def test_the_case_folder_form_explains_errors_in_norwegian_and_saves(
    archive_app: FastAPI, session: Session, world: World
) -> None:
    client = client_as(archive_app, session, Role.admin)
    path = f"/ansatt/runder/{world.round.id}/arkiv"
    with client:
        token = csrf_of(client, path)
        r = client.post(
            path, data={"csrf_token": token, "saksaar": "26", "sekvensnummer": "abc", "tittel": "X"}
        )
        assert r.status_code == 422
        soup = BeautifulSoup(r.text, "html.parser")
        assert "Saksåret må være et årstall med fire sifre" in soup.select_one("#saksaar-error").text
        assert "Sekvensnummeret må være et helt tall" in soup.select_one("#sekvensnummer-error").text
        assert soup.select_one("#tittel")["value"] == "X"  # what was typed is kept
        r = client.post(
            path, data={"csrf_token": token, "saksaar": "2026", "sekvensnummer": "1234", "tittel": ""}
        )
        assert r.status_code == 303
        assert "sak 2026/1234" in client.get(path).text
    fresh(session)
    round_ = session.get(Round, world.round.id)
    assert round_ is not None and (round_.archive_case_year, round_.archive_case_number) == (2026, 1234)


def test_nothing_submitted_is_said_plainly(archive_app: FastAPI, session: Session, world: World) -> None:
    client = client_as(archive_app, session, Role.radgiver)
    with client:
        assert (
            "Ingen kommuner har sendt inn svar ennå"
            in client.get(f"/ansatt/runder/{world.round.id}/arkiv").text
        )
        r = client.get(f"/ansatt/runder/{world.round.id}/arkivpakke.zip")
        assert r.status_code == 409 and "ingenting å arkivere" in r.text


def test_the_recommendation_package_only_when_final(
    archive_app: FastAPI, session: Session, world: World
) -> None:
    scenario = make_scenario(session, name="Anbefalingen")
    client = client_as(archive_app, session, Role.radgiver)
    path = f"/ansatt/anbefaling/{scenario.id}/arkivpakke.zip"
    with client:
        page = client.get(f"/ansatt/anbefaling/{scenario.id}")
        assert "Last ned arkivpakken (ZIP)" not in page.text
        r = client.get(path)
        assert r.status_code == 409 and "endelige anbefalingen" in r.text
        result = recommendation.result_of(scenario).result
        assert result is not None
        recommendation.finalize(session, scenario=scenario, result=result, actor="test")
        page = client.get(f"/ansatt/anbefaling/{scenario.id}")
        form = BeautifulSoup(page.text, "html.parser").find("form", class_="archive-form")
        assert form is not None and form["action"].endswith(path)
        r = client.get(path, params={"journalposttype": "U"})
        assert r.status_code == 200, r.text
        files = files_of(r.content)
        SCHEMA.validate(files["arkivmelding.xml"])
        assert sum(name.endswith(".pdf") for name in files) == 2  # the saksframlegg and the letter
    fresh(session)
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "archive.export")).one()
    assert (event.object_type, event.details["journalposttype"], event.details["documents"]) == (
        "scenario",
        "U",
        2,
    )
