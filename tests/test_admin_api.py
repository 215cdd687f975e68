"""API tokens and the read-only JSON API; the audit log page; staff users."""

from __future__ import annotations

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from survey_app.config import Settings
from survey_app.models import AuditEvent, Role, StaffUser
from survey_app.services import api_tokens
from tests.conftest import csrf_of, fresh
from tests.factories import PASSWORD, make_staff, make_world
from tests.test_staff import login, table_rows


def new_token(client: TestClient, name: str = "Power BI") -> str:
    token = csrf_of(client, "/ansatt/api-nokler")
    r = client.post("/ansatt/api-nokler", data={"csrf_token": token, "name": name})
    assert r.status_code == 201, r.text
    return BeautifulSoup(r.text, "html.parser").select_one("code.token").get_text()


def test_token_reads_the_api_and_every_read_is_logged(
    client: TestClient, session: Session, settings: Settings
) -> None:
    world = make_world(session, settings)
    make_staff(session, Role.radgiver)
    login(client, "radgiver@fylke.test")
    plain = new_token(client)
    assert plain.startswith("isp_")
    assert plain not in client.get("/ansatt/api-nokler").text  # shown once only
    with TestClient(client.app) as bi:  # no cookies: the token alone
        headers = {"Authorization": f"Bearer {plain}"}
        r = bi.get("/api/v1/runder", headers=headers)
        assert r.status_code == 200, r.text
        [listed] = r.json()
        assert listed["title"] == "Testrunden 2026" and listed["responses"]["not_started"] == 3
        r = bi.get(f"/api/v1/runder/{world.round.id}/svar", headers=headers, params={"pabegynte": "true"})
        assert r.status_code == 200 and r.json()["questionnaire"]["id"] == "liten-test"
        r = bi.get(f"/api/v1/runder/{world.round.id}/resultater", headers=headers)
        assert [q["id"] for q in r.json()["questions"]][:2] == ["politikk", "vedtaksar"]
        assert bi.get("/api/v1/runder/999", headers=headers).json() == {"detail": "Runden finnes ikke."}
    fresh(session)
    reads = session.exec(select(AuditEvent).where(AuditEvent.action == "api.read")).all()
    # Three reads that returned data; the unknown round returned nothing, so nothing was read.
    assert len(reads) == 3 and all(e.actor.startswith("staff:") for e in reads)


def test_bad_revoked_and_unauthorised_tokens(
    client: TestClient, session: Session, settings: Settings
) -> None:
    make_world(session, settings)
    with TestClient(client.app) as bi:
        r = bi.get("/api/v1/runder")
        assert (
            r.status_code == 401
            and r.headers["www-authenticate"] == "Bearer"
            and "API-nøkkel" in r.json()["detail"]
        )
        assert bi.get("/api/v1/runder", headers={"Authorization": "Bearer isp_forfalsket"}).status_code == 401
        leser = make_staff(session, Role.leser)
        _, plain = api_tokens.create(session, user=leser, name="Leserens")
        assert bi.get("/api/v1/runder", headers={"Authorization": f"Bearer {plain}"}).status_code == 403
        radgiver = make_staff(session, Role.radgiver)
        token, plain = api_tokens.create(session, user=radgiver, name="Snart borte")
        assert bi.get("/api/v1/runder", headers={"Authorization": f"Bearer {plain}"}).status_code == 200
        api_tokens.revoke(session, token=token, user=radgiver)
        assert bi.get("/api/v1/runder", headers={"Authorization": f"Bearer {plain}"}).status_code == 401


def test_openapi_describes_only_the_api(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    assert spec["paths"] and all(path.startswith("/api/v1/") for path in spec["paths"])
    assert client.get("/api").status_code == 200


def test_audit_log_filters(client: TestClient, session: Session, settings: Settings) -> None:
    make_world(session, settings)
    admin = make_staff(session, Role.admin)
    login(client, "admin@fylke.test", "feil-passord-123")
    login(client, "admin@fylke.test")
    page = client.get("/ansatt/logg", params={"handling": "login.failed"})
    assert page.status_code == 200
    rows = BeautifulSoup(page.text, "html.parser").select("#hendelser tbody tr")
    assert len(rows) == 1 and "prøvde uten hell å logge inn som admin@fylke.test" in rows[0].get_text()
    r = client.get(
        "/ansatt/logg",
        params={"hvem": str(admin.id), "fra": "2000-01-01", "til": "2999-12-31"},
        headers={"HX-Request": "true"},
    )
    assert "<html" not in r.text and "admin@fylke.test (administrator) logget inn" in r.text
    assert "kunne ikke leses" in client.get("/ansatt/logg", params={"fra": "i går"}).text
    # Dates the log cannot hold were a 500 (the moment overflowed): now the same message as any unreadable date.
    for params in ({"fra": "0001-01-01"}, {"til": "9999-12-31"}):
        r = client.get("/ansatt/logg", params=params)
        assert r.status_code == 200 and "kunne ikke leses" in r.text


def test_admin_creates_and_deactivates_users(client: TestClient, session: Session) -> None:
    make_staff(session, Role.admin)
    login(client, "admin@fylke.test")
    token = csrf_of(client, "/ansatt/brukere")
    r = client.post(
        "/ansatt/brukere",
        data={
            "csrf_token": token,
            "email": "ny@fylke.test",
            "full_name": "Ny",
            "role": "leser",
            "password": "kort",
        },
    )
    assert r.status_code == 422 and "minst 12 tegn" in r.text
    assert BeautifulSoup(r.text, "html.parser").find("input", id="email")["value"] == "ny@fylke.test"
    r = client.post(
        "/ansatt/brukere",
        data={
            "csrf_token": token,
            "email": "ny@fylke.test",
            "full_name": "Ny",
            "role": "leser",
            "password": PASSWORD,
        },
    )
    assert r.status_code == 303
    users = table_rows(client.get("/ansatt/brukere").text, "main table")
    assert users["ny@fylke.test"]["Rolle"] == "Leser"
    with TestClient(client.app, follow_redirects=False) as newcomer:
        assert login(newcomer, "ny@fylke.test").status_code == 303
    fresh(session)
    new_id = session.exec(select(StaffUser.id).where(StaffUser.email == "ny@fylke.test")).one()
    assert client.post(f"/ansatt/brukere/{new_id}/deaktiver", data={"csrf_token": token}).status_code == 303
    with TestClient(client.app, follow_redirects=False) as newcomer:
        assert login(newcomer, "ny@fylke.test").status_code == 401
