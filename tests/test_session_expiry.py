"""Sessions end after ``session_max_age_seconds``, and an ended respondent session loses nothing saved."""

from __future__ import annotations

import time

import itsdangerous
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from survey_app.config import Settings
from survey_app.forms import stamp
from survey_app.models import Role
from tests.conftest import csrf_of
from tests.factories import make_staff, make_world
from tests.test_csrf import log_in
from tests.test_fuzz import stored

COOKIE = "innspill_session"
HTMX = {"HX-Request": "true"}


def age_session(client: TestClient, settings: Settings, seconds: int) -> None:
    """Sign this client's session again as if it had been issued ``seconds`` ago.

    The server checks the age inside the signed cookie, so this is what a browser that kept the cookie
    (or a copied cookie) would send; waiting out the real setting would take hours.
    """
    secret = settings.resolved_secret_key()
    payload = itsdangerous.TimestampSigner(secret).unsign(client.cookies[COOKIE])

    class Earlier(itsdangerous.TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - seconds

    client.cookies.clear()
    client.cookies.set(COOKIE, Earlier(secret).sign(payload).decode())


def test_an_expired_respondent_session_loses_no_saved_answer(
    app: FastAPI, session: Session, settings: Settings
) -> None:
    world = make_world(session, settings)
    before = "Skrevet før pausen, lagret automatisk"
    with TestClient(app, follow_redirects=False) as client:
        token = log_in(client, "municipality", world)
        r = client.post(
            "/svar/sporsmal/kommentar",
            data={"kommentar": before, "v:kommentar": stamp(0, None)},
            headers={**HTMX, "X-CSRF-Token": token},
        )
        assert r.status_code == 200, r.text

        age_session(client, settings, settings.session_max_age_seconds - 60)
        assert client.get("/svar").status_code == 200  # not yet

        age_session(client, settings, settings.session_max_age_seconds + 60)
        r = client.get("/svar/del/del2")
        assert r.status_code == 401
        message = BeautifulSoup(r.text, "html.parser").select_one(".ds-alert").get_text(" ", strip=True)
        assert "Økten din er utløpt" in message and "Det dere har lagret, er ikke borte" in message
        # A save sent after the session ended is refused and changes nothing.
        r = client.post(
            "/svar/sporsmal/kommentar",
            data={"kommentar": "Skrevet etter at økten gikk ut", "v:kommentar": stamp(1, before)},
            headers={**HTMX, "X-CSRF-Token": token},
        )
        assert r.status_code in (401, 403)
        assert stored(session, world)["kommentar"] == before

        # Back in through the invitation link: the answer is on the page, as it was saved.
        client.cookies.clear()
        log_in(client, "municipality", world)
        page = BeautifulSoup(client.get("/svar/del/del2").text, "html.parser")
        assert page.find("textarea", attrs={"name": "kommentar"}).get_text() == before


def test_an_expired_staff_session_goes_back_to_the_login_page(
    app: FastAPI, session: Session, settings: Settings
) -> None:
    make_staff(session, Role.radgiver)
    with TestClient(app, follow_redirects=False) as client:
        log_in(client, "radgiver")
        assert client.get("/ansatt").status_code == 200
        age_session(client, settings, settings.session_max_age_seconds + 60)
        r = client.get("/ansatt")
        assert r.status_code == 303 and "/ansatt/logg-inn" in r.headers["location"]
        csrf_of(client, "/ansatt/logg-inn")  # the login page works in the new session
