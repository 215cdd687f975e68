"""Server-side sessions: ending a session ends it at once, and one browser may hold several invitations.

Each test copies a cookie the way someone would who had picked it up (a shared machine, a stolen laptop),
then does what ends the session, and checks the copy opens nothing.
"""

from __future__ import annotations

import base64
import json
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner
from sqlmodel import Session, col, select

from survey_app import audit
from survey_app.config import Settings
from survey_app.forms import stamp
from survey_app.models import Answer, AuditEvent, Invitation, Role, SessionKind, WebSession, utcnow
from survey_app.questionnaires import parse
from survey_app.services import catalog, invitations, rounds, sessions, users
from tests.conftest import csrf_of, fresh
from tests.factories import SMALL_QUESTIONNAIRE, World, make_staff, make_world
from tests.test_csrf import log_in

COOKIE = "innspill_session"
HTMX = {"HX-Request": "true"}


@pytest.fixture
def world(session: Session, settings: Settings) -> World:
    return make_world(session, settings)


def copy_of(client: TestClient, app: FastAPI) -> TestClient:
    """Another browser holding the same cookie."""
    thief = TestClient(app, follow_redirects=False)
    thief.cookies.set(COOKIE, client.cookies[COOKIE])
    return thief


def invitation_of(world: World, kommunenummer: str) -> int:
    return int(world.link(kommunenummer)[3:].split("-")[0])


def slot_of(response_location: str) -> str:
    return parse_qs(urlsplit(response_location).query)["s"][0]


# --- staff ---------------------------------------------------------------------------------------------


def test_logout_ends_the_session_for_a_copied_cookie_too(
    app: FastAPI, session: Session, world: World
) -> None:
    make_staff(session, Role.admin)
    with TestClient(app, follow_redirects=False) as client:
        csrf = log_in(client, "admin")
        thief = copy_of(client, app)
        assert thief.get("/ansatt").status_code == 200
        thief_csrf = csrf_of(thief, "/ansatt")

        assert client.post("/ansatt/logg-ut", data={"csrf_token": csrf}).status_code == 303

        # The page, a round's export and a new API token: all refused, to the login page.
        assert thief.get("/ansatt").status_code == 303
        assert thief.get(f"/ansatt/runder/{world.round.id}/eksport.xlsx").status_code == 303
        r = thief.post("/ansatt/api-nokler", data={"csrf_token": thief_csrf, "name": "Tyvens"})
        assert r.status_code in (303, 403) and "isp_" not in r.text
    fresh(session)
    ended = session.exec(select(WebSession)).all()
    assert [(s.end_reason, s.ended_at is not None) for s in ended] == [("logout", True)]
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "session.end")).one()


def test_deactivating_a_user_ends_their_sessions(app: FastAPI, session: Session, world: World) -> None:
    make_staff(session, Role.admin)
    adviser = make_staff(session, Role.radgiver)
    with TestClient(app, follow_redirects=False) as client:
        log_in(client, "radgiver")
        assert client.get("/ansatt").status_code == 200
        users.deactivate(session, user=adviser, actor="test")
        assert client.get("/ansatt").status_code == 303
    fresh(session)
    assert all(s.ended_at is not None for s in session.exec(select(WebSession)))


def test_a_session_ends_when_idle_or_too_old_whatever_the_cookie_says(
    app: FastAPI, session: Session, settings: Settings
) -> None:
    make_staff(session, Role.admin)
    with TestClient(app, follow_redirects=False) as client:
        log_in(client, "admin")
        row = session.exec(select(WebSession)).one()

        row.last_seen_at = utcnow() - timedelta(seconds=settings.session_max_age_seconds - 120)
        session.commit()
        assert client.get("/ansatt").status_code == 200  # not yet, and the request renews it
        fresh(session)
        assert utcnow() - row.last_seen_at < timedelta(minutes=1)

        row.last_seen_at = utcnow() - timedelta(seconds=settings.session_max_age_seconds + 60)
        session.commit()
        assert client.get("/ansatt").status_code == 303

        log_in(client, "admin")
        newest = session.exec(select(WebSession).order_by(WebSession.id.desc())).first()  # type: ignore[union-attr]
        assert newest is not None
        newest.created_at = utcnow() - sessions.ABSOLUTE - timedelta(minutes=1)
        session.commit()
        assert client.get("/ansatt").status_code == 303  # busy all along, but a day is a day


def test_a_forged_or_old_style_cookie_opens_nothing(app: FastAPI, session: Session) -> None:
    staff = make_staff(session, Role.admin)
    with TestClient(app, follow_redirects=False) as client:
        log_in(client, "admin")
        # A cookie signed with the right key but naming the user, as sessions were before: not a session.
        payload = base64.b64encode(json.dumps({"staff_user_id": staff.id, "staff": "x" * 43}).encode())
        client.cookies.clear()
        client.cookies.set(
            COOKIE, TimestampSigner(app.state.settings.resolved_secret_key()).sign(payload).decode()
        )
        assert client.get("/ansatt").status_code == 303


def test_staff_see_their_own_sessions_and_end_them(app: FastAPI, session: Session) -> None:
    make_staff(session, Role.radgiver)
    other = make_staff(session, Role.leser)
    firefox = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
    with (
        TestClient(app, follow_redirects=False, headers={"User-Agent": firefox}) as laptop,
        TestClient(app, follow_redirects=False) as phone,
        TestClient(app, follow_redirects=False) as third,
        TestClient(app, follow_redirects=False) as colleague,
    ):
        log_in(laptop, "radgiver")
        log_in(third, "radgiver")
        log_in(colleague, "leser")
        csrf = log_in(phone, "radgiver")
        page = BeautifulSoup(phone.get("/ansatt/konto").text, "html.parser")
        rows = page.select("#okter ~ .table-scroll tbody tr")
        assert len(rows) == 3  # the colleague's session is not listed
        assert any("Firefox på Windows" in r.text for r in rows)
        assert sum("(denne økten)" in r.text for r in rows) == 1

        laptop_id = next(s.id for s in session.exec(select(WebSession)) if "Firefox" in s.user_agent)
        r = phone.post(f"/ansatt/konto/okter/{laptop_id}/avslutt", data={"csrf_token": csrf})
        assert r.status_code == 303
        assert laptop.get("/ansatt").status_code == 303
        assert phone.get("/ansatt").status_code == 200

        # A colleague's session cannot be ended from here.
        fresh(session)
        theirs = session.exec(select(WebSession).where(WebSession.staff_user_id == other.id)).one()
        r = phone.post(f"/ansatt/konto/okter/{theirs.id}/avslutt", data={"csrf_token": csrf})
        assert r.status_code == 404 and colleague.get("/ansatt").status_code == 200

        r = phone.post("/ansatt/konto/okter/avslutt-andre", data={"csrf_token": csrf})
        assert r.status_code == 303
        assert third.get("/ansatt").status_code == 303
        assert phone.get("/ansatt").status_code == 200 and colleague.get("/ansatt").status_code == 200


def test_browser_labels() -> None:
    iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Version/17.5 Safari/604.1"
    edge = "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/131.0 Safari/537.36 Edg/131.0"
    assert sessions.browser_label(iphone) == "Safari på iPhone"
    assert sessions.browser_label(edge) == "Edge på Windows"
    assert sessions.browser_label("") == "Ukjent nettleser"


# --- invitation links ----------------------------------------------------------------------------------


def test_a_new_link_ends_the_sessions_of_the_old_one_and_revoking_is_not_undone(
    app: FastAPI, session: Session, settings: Settings, world: World
) -> None:
    make_staff(session, Role.admin)
    invitation = session.get(Invitation, invitation_of(world, "3005"))
    assert invitation is not None
    with (
        TestClient(app, follow_redirects=False) as municipality,
        TestClient(app, follow_redirects=False) as admin,
    ):
        csrf = log_in(municipality, "municipality", world)
        assert municipality.get("/svar").status_code == 200
        admin_csrf = log_in(admin, "admin")

        path = f"/ansatt/runder/{world.round.id}/invitasjoner/{invitation.id}"
        assert admin.post(f"{path}/ny-lenke", data={"csrf_token": admin_csrf}).status_code == 303
        assert municipality.get("/svar").status_code == 401
        r = municipality.post(
            "/svar/sporsmal/politikk",
            data={"politikk": "ja", "v:politikk": stamp(0, None)},
            headers={**HTMX, "X-CSRF-Token": csrf},
        )
        assert r.status_code == 401

        # The new link opens a new session; revoking it ends that, and a newer link does not bring it back.
        fresh(session)
        link = invitations.link(invitation, secret_key=settings.resolved_secret_key(), base_url="")
        log_in_with = municipality.get(link)
        assert log_in_with.status_code == 303
        assert municipality.get("/svar").status_code == 200
        assert admin.post(f"{path}/trekk-tilbake", data={"csrf_token": admin_csrf}).status_code == 303
        assert municipality.get("/svar").status_code == 401
        assert admin.post(f"{path}/ny-lenke", data={"csrf_token": admin_csrf}).status_code == 303
        assert municipality.get("/svar").status_code == 401
    fresh(session)
    reasons = [
        s.end_reason
        for s in session.exec(
            select(WebSession).where(WebSession.kind == SessionKind.respondent).order_by(col(WebSession.id))
        )
    ]
    assert reasons == ["new_link", "link_revoked"]


def consultation_for(session: Session, settings: Settings, world: World) -> dict[str, str]:
    """A second open round for the same municipalities (as the consultation runs beside the survey)."""
    version = catalog.import_questionnaire(
        session,
        definition=parse(
            SMALL_QUESTIONNAIRE.replace("id: liten-test", "id: liten-horing").replace(
                "title: {nb: Liten testundersøkelse, nn: Lita testundersøking}",
                "title: {nb: Liten høring, nn: Lita høyring}",
            )
        ),
        actor=audit.SYSTEM,
    )
    county_id = world.round.county_id
    second = rounds.create_round(
        session,
        county_id=county_id,
        version=version,
        year=2026,
        title="Høringen 2026",
        opens_on=date(2026, 11, 1),
        closes_on=date(2099, 1, 31),
        municipalities=world.municipalities,
        secret_key=settings.resolved_secret_key(),
        invitation_days=30,
        actor=audit.SYSTEM,
    )
    assert second.id is not None
    rows = invitations.export_rows(
        session, round_id=second.id, secret_key=settings.resolved_secret_key(), base_url=""
    )
    return {r["kommunenummer"]: r["url"] for r in rows}


def test_two_invitations_in_one_browser_each_keep_their_own_tab(
    app: FastAPI, session: Session, settings: Settings, world: World
) -> None:
    consultation = consultation_for(session, settings, world)
    with TestClient(app, follow_redirects=False) as browser:
        survey_slot = slot_of(browser.get(world.link("3005")).headers["location"])
        csrf = csrf_of(browser, f"/svar?s={survey_slot}")  # the first tab's, from before the second opens
        # The same municipality's second link: no question asked, a second tab.
        r = browser.get(consultation["3005"])
        assert r.status_code == 303
        consultation_slot = slot_of(r.headers["location"])
        assert consultation_slot != survey_slot

        for slot, text in ((survey_slot, "Fra undersøkelsen"), (consultation_slot, "Fra høringen")):
            page = browser.get(f"/svar/del/del2?s={slot}")
            assert page.status_code == 200
            # Every link and form on the page keeps to its slot.
            soup = BeautifulSoup(page.text, "html.parser")
            targets = [a["href"] for a in soup.select("a[href*='/svar']")] + [
                f["action"] for f in soup.select("form[action*='/svar']")
            ]
            assert targets and all(f"s={slot}" in t for t in targets), targets
            r = browser.post(
                f"/svar/sporsmal/kommentar?s={slot}",
                data={"kommentar": text, "v:kommentar": stamp(0, None)},
                headers={**HTMX, "X-CSRF-Token": csrf},
            )
            assert r.status_code == 200 and "Lagret kl." in r.text, r.text
        # The first tab reloads as itself.
        assert "Fra undersøkelsen" in browser.get(f"/svar/del/del2?s={survey_slot}").text
        # Without a slot (an old bookmark), the browser asks which form.
        r = browser.get("/svar")
        assert r.status_code == 200 and "Hvilket skjema vil du fortsette på?" in r.text
        # Each as the municipality reads it: the questionnaire's title and the year.
        assert "Liten testundersøkelse 2026" in r.text and "Liten høring 2026" in r.text
    fresh(session)
    saved = {a.value for a in session.exec(select(Answer).where(Answer.question_id == "kommentar"))}
    assert saved == {"Fra undersøkelsen", "Fra høringen"}
    responses_with_answers = {a.response_id for a in session.exec(select(Answer))}
    assert len(responses_with_answers) == 2


def test_a_link_for_another_municipality_asks_before_it_opens(
    app: FastAPI, session: Session, world: World
) -> None:
    with TestClient(app, follow_redirects=False) as browser:
        drammen = slot_of(browser.get(world.link("3005")).headers["location"])
        r = browser.get(world.link("3043"))  # Ål: another municipality, and nynorsk
        assert r.status_code == 200
        assert "Opne skjemaet for Ål kommune?" in r.text and "Drammen" in r.text
        fresh(session)
        assert len(session.exec(select(WebSession)).all()) == 1  # nothing opened yet
        assert "Drammen kommune" in browser.get(f"/svar?s={drammen}").text

        csrf = csrf_of(browser, f"/svar?s={drammen}")
        r = browser.post(world.link("3043"), data={"csrf_token": csrf})
        assert r.status_code == 303
        al = slot_of(r.headers["location"])
        assert "Ål kommune" in browser.get(f"/svar?s={al}").text
        assert "Drammen kommune" in browser.get(f"/svar?s={drammen}").text
        # Opening Drammen's link again goes back to its session without asking.
        r = browser.get(world.link("3005"))
        assert r.status_code == 303 and slot_of(r.headers["location"]) == drammen


def test_a_slot_of_another_browser_opens_nothing(app: FastAPI, world: World) -> None:
    with TestClient(app, follow_redirects=False) as one, TestClient(app, follow_redirects=False) as other:
        slot = slot_of(one.get(world.link("3005")).headers["location"])
        assert other.get(f"/svar?s={slot}").status_code == 401
        other.get(world.link("3043"))
        assert other.get(f"/svar?s={slot}").status_code == 401
