"""Staff accounts: the password policy where a password is set, «Min konto» and changing one's own password,
an administrator's reset and unlock, deactivation, and what the audit log keeps of a failed login."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from survey_app import audit, passwords
from survey_app.models import AuditEvent, Role, StaffUser, WebSession
from survey_app.security import verify_password
from survey_app.services import sessions, throttle, users
from tests.conftest import csrf_of, fresh
from tests.factories import PASSWORD, make_staff
from tests.test_staff import login, table_rows
from tests.test_throttle import fast_hashing

NEW_PASSWORD = "fiolett sykkel under bryggen"


@pytest.fixture(autouse=True)
def _fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    fast_hashing(monkeypatch)


def signed_in(app: FastAPI, email: str, password: str = PASSWORD, address: str = "10.1.1.1") -> TestClient:
    client = TestClient(app, follow_redirects=False, client=(address, 50000))
    r = login(client, email, password)
    assert r.status_code == 303, r.text
    return client


def change(client: TestClient, current: str, new: str, repeat: str | None = None):
    token = csrf_of(client, "/ansatt/konto/passord")
    return client.post(
        "/ansatt/konto/passord",
        data={
            "csrf_token": token,
            "current_password": current,
            "new_password": new,
            "new_password_repeat": new if repeat is None else repeat,
        },
    )


def field_errors(html: str) -> dict[str, str]:
    """The message shown by each field, by the field's id."""
    page = BeautifulSoup(html, "html.parser")
    return {
        p["id"].removesuffix("-error"): p.get_text(" ", strip=True)
        for p in page.select(".ds-validation-message[id$='-error']")
    }


def audited(session: Session, action: str) -> list[AuditEvent]:
    fresh(session)
    # In the order written: PostgreSQL returns rows in no fixed order without one.
    return list(
        session.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(col(AuditEvent.id)))
    )


# --- the policy ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("            ", passwords.TOO_SHORT),
        ("   kort ord   ", passwords.TOO_SHORT),
        ("aaaaaaaaaaaa", passwords.ONE_CHARACTER),
        ("abcabcabcabc", passwords.REPEATED),
        ("passordpassord", passwords.REPEATED),
        ("aabbaabbccdd", passwords.FEW_CHARACTERS),
        ("abcdefghijklm", passwords.SEQUENCE),
        ("123456789012", passwords.SEQUENCE),
        ("qwertyuiopå!", passwords.SEQUENCE),
        ("kari.nordmann@viken.no", passwords.PERSONAL),
        ("Kari Nordmann 1985", passwords.PERSONAL),
        ("nordmann!2024", passwords.PERSONAL),
        ("password1234", passwords.COMMON),
        ("Sommer2024!!", passwords.COMMON),
        ("2025vinter!!", passwords.COMMON),
        ("Norge1234567", passwords.COMMON),
        ("FYLKESKOMMUNE", passwords.COMMON),
        ("innspill2026", passwords.COMMON),
        ("Høsten-2024!", passwords.COMMON),
        ("iloveyou!!!!", passwords.COMMON),
        ("fiolett sykkel under bryggen", None),
        ("et-langt-testpassord", None),
        ("Tq8!mZ2@pW45", None),
    ],
)
def test_the_password_policy(password: str, message: str | None) -> None:
    assert passwords.problem(password, email="kari.nordmann@viken.no", full_name="Kari Nordmann") == message


def test_temporary_passwords_are_random_readable_and_pass_the_policy() -> None:
    drawn = {passwords.temporary_password() for _ in range(50)}
    assert len(drawn) == 50
    for temporary in drawn:
        assert re.fullmatch(r"([a-z2-9]{4}-){3}[a-z2-9]{4}", temporary) and not set(temporary) & set("ilo01")
        assert passwords.problem(temporary) is None


def test_the_users_page_refuses_a_weak_password_by_the_field(client: TestClient, session: Session) -> None:
    make_staff(session, Role.admin)
    login(client, "admin@fylke.test")
    token = csrf_of(client, "/ansatt/brukere")
    form = {"csrf_token": token, "email": "kari.nordmann@fylke.test", "full_name": "Kari", "role": "leser"}
    for weak, message in [
        ("            ", passwords.TOO_SHORT),
        ("aaaaaaaaaaaa", passwords.ONE_CHARACTER),
        ("Kommune2024!", passwords.COMMON),
        ("Kari.Nordmann!", passwords.PERSONAL),
    ]:
        r = client.post("/ansatt/brukere", data={**form, "password": weak})
        assert r.status_code == 422, weak
        assert field_errors(r.text) == {"password": message}
        page = BeautifulSoup(r.text, "html.parser")
        assert page.find("input", id="email")["value"] == "kari.nordmann@fylke.test"  # kept
        assert page.select_one("#feiloppsummering a[href='#password']")
    fresh(session)
    assert users.by_email(session, "kari.nordmann@fylke.test") is None


# --- «Min konto» ---------------------------------------------------------------------------------------


def test_change_own_password_ends_the_other_sessions_and_keeps_this_one(
    app: FastAPI, session: Session
) -> None:
    make_staff(session, Role.radgiver)
    with (
        signed_in(app, "radgiver@fylke.test") as here,
        signed_in(app, "radgiver@fylke.test", address="10.1.1.2") as elsewhere,
    ):
        page = here.get("/ansatt/konto")
        assert page.status_code == 200, page.text
        assert "radgiver@fylke.test" in page.text and "Rådgiver" in page.text
        # Everything wrong at once is told at once, each by its field.
        r = change(here, "ikke-passordet", "aaaaaaaaaaaa")
        assert r.status_code == 422
        assert set(field_errors(r.text)) == {"current_password", "new_password"}
        r = change(here, PASSWORD, NEW_PASSWORD, repeat=NEW_PASSWORD + "!")
        assert r.status_code == 422 and set(field_errors(r.text)) == {"new_password_repeat"}
        r = change(here, PASSWORD, PASSWORD)
        assert r.status_code == 422 and "et annet enn" in field_errors(r.text)["new_password"]
        fresh(session)
        assert verify_password(PASSWORD, users.by_email(session, "radgiver@fylke.test").password_hash)

        r = change(here, PASSWORD, NEW_PASSWORD)
        assert r.status_code == 303 and r.headers["location"].endswith("/ansatt/konto"), r.text
        assert "Passordet er byttet" in here.get("/ansatt/konto").text
        assert here.get("/ansatt").status_code == 200  # this session goes on
        r = elsewhere.get("/ansatt")  # the other one has ended
        assert r.status_code == 303 and "/ansatt/logg-inn" in r.headers["location"]

    fresh(session)
    user = users.by_email(session, "radgiver@fylke.test")
    assert user is not None and verify_password(NEW_PASSWORD, user.password_hash)
    assert user.password_changed_at is not None and not user.must_change_password
    ended = session.exec(select(WebSession).where(col(WebSession.ended_at).is_not(None))).all()
    assert [row.end_reason for row in ended] == [sessions.EndReason.password_changed]
    [event] = audited(session, "user.password_change")
    assert event.object_id == str(user.id) and event.details["sessions_ended"] == 1
    assert len(audited(session, "user.password_check_failed")) == 1
    with TestClient(app, follow_redirects=False) as browser:
        assert login(browser, "radgiver@fylke.test").status_code == 401
        assert login(browser, "radgiver@fylke.test", NEW_PASSWORD).status_code == 303


def test_the_staff_menu_links_to_min_konto(app: FastAPI, session: Session) -> None:
    make_staff(session, Role.leser)
    with signed_in(app, "leser@fylke.test") as client:
        menu = BeautifulSoup(client.get("/ansatt").text, "html.parser").select_one(
            "nav[aria-label=Ansattmeny]"
        )
        link = menu.find("a", string="Min konto")
        assert link is not None and link["href"].endswith("/ansatt/konto")


def test_wrong_current_passwords_are_throttled_like_logins(app: FastAPI, session: Session) -> None:
    make_staff(session, Role.leser)
    with signed_in(app, "leser@fylke.test") as client:
        for _ in range(throttle.PAIR_LIMIT):
            assert change(client, "gjetning-nummer-x", NEW_PASSWORD).status_code == 422
        r = change(client, PASSWORD, NEW_PASSWORD)  # even the right one, now
        assert r.status_code == 429 and "For mange feil passord" in field_errors(r.text)["current_password"]
    fresh(session)
    assert verify_password(PASSWORD, users.by_email(session, "leser@fylke.test").password_hash)


# --- an administrator's reset, unlock and deactivation --------------------------------------------------


def test_admin_resets_a_password_and_the_user_must_choose_a_new_one(app: FastAPI, session: Session) -> None:
    make_staff(session, Role.admin)
    target = make_staff(session, Role.radgiver)
    with signed_in(app, "admin@fylke.test") as admin, signed_in(app, "radgiver@fylke.test") as before:
        token = csrf_of(admin, "/ansatt/brukere")
        r = admin.post(f"/ansatt/brukere/{target.id}/tilbakestill-passord", data={"csrf_token": token})
        assert r.status_code == 200, r.text
        temporary = (
            BeautifulSoup(r.text, "html.parser").select_one("#midlertidig-passord code.token").get_text()
        )
        assert passwords.problem(temporary) is None
        listed = admin.get("/ansatt/brukere").text
        assert temporary not in listed  # shown once
        assert table_rows(listed, "main table")["radgiver@fylke.test"]["Passord"].startswith("Må velge nytt")
        r = before.get("/ansatt")  # every session of the user has ended
        assert r.status_code == 303 and "/ansatt/logg-inn" in r.headers["location"]
        r = admin.post("/ansatt/brukere/999999/tilbakestill-passord", data={"csrf_token": token})
        assert r.status_code == 404

    fresh(session)
    [event] = audited(session, "user.password_reset")
    assert event.actor.startswith("staff:") and event.details["email"] == "radgiver@fylke.test"
    assert temporary not in repr(event.details)
    with TestClient(app, follow_redirects=False) as browser:
        assert login(browser, "radgiver@fylke.test").status_code == 401  # the old password is gone
        r = login(browser, "radgiver@fylke.test", temporary)
        assert r.status_code == 303 and r.headers["location"].endswith("/ansatt/konto/passord")
        page = browser.get("/ansatt/konto/passord")
        assert page.status_code == 200 and "midlertidig passord" in page.text
        r = change(browser, temporary, NEW_PASSWORD)
        assert r.status_code == 303 and r.headers["location"].endswith("/ansatt"), r.text
        assert browser.get("/ansatt").status_code == 200
    fresh(session)
    user = users.by_email(session, "radgiver@fylke.test")
    assert user is not None and not user.must_change_password
    assert audited(session, "user.password_change")[0].details["after_reset"] is True


def test_admin_cannot_reset_their_own_password_there(app: FastAPI, session: Session) -> None:
    admin_user = make_staff(session, Role.admin)
    with signed_in(app, "admin@fylke.test") as admin:
        token = csrf_of(admin, "/ansatt/brukere")
        r = admin.post(f"/ansatt/brukere/{admin_user.id}/tilbakestill-passord", data={"csrf_token": token})
        assert r.status_code == 409 and "Min konto" in r.text


def test_admin_sees_a_locked_account_and_unlocks_it(app: FastAPI, session: Session) -> None:
    make_staff(session, Role.admin)
    make_staff(session, Role.leser)
    with TestClient(app, follow_redirects=False, client=("10.2.2.2", 1)) as guesser:
        for _ in range(throttle.PAIR_LIMIT):
            assert login(guesser, "leser@fylke.test", "gjetning-123").status_code == 401
        assert login(guesser, "leser@fylke.test").status_code == 429
    with signed_in(app, "admin@fylke.test") as admin:
        rows = table_rows(admin.get("/ansatt/brukere").text, "main table")
        assert rows["leser@fylke.test"]["Status"].startswith("Sperret fra 1 adresse til kl.")
        assert "Lås opp" in rows["leser@fylke.test"]["Handlinger"]
        assert rows["admin@fylke.test"]["Status"] == "Aktiv"
        leser_id = session.exec(select(StaffUser.id).where(StaffUser.email == "leser@fylke.test")).one()
        token = csrf_of(admin, "/ansatt/brukere")
        r = admin.post(f"/ansatt/brukere/{leser_id}/las-opp", data={"csrf_token": token})
        assert r.status_code == 303
        page = admin.get("/ansatt/brukere").text
        assert "leser@fylke.test kan logge inn igjen" in page
        assert table_rows(page, "main table")["leser@fylke.test"]["Status"] == "Aktiv"
    with TestClient(app, follow_redirects=False, client=("10.2.2.2", 1)) as owner:
        assert login(owner, "leser@fylke.test").status_code == 303
    [event] = audited(session, "user.unlock")
    assert event.details == {"email": "leser@fylke.test"}


def test_a_lock_for_everyone_shows_as_such(app: FastAPI, session: Session) -> None:
    make_staff(session, Role.admin)
    leser = make_staff(session, Role.leser)
    now = throttle.utcnow()
    for i in range(throttle.ACCOUNT_LIMIT):  # spread over addresses, as a distributed guesser would
        throttle.login(session, email=leser.email, password="feil", address=f"192.0.2.{i % 20}", now=now)
    assert throttle.locks(session, emails=[leser.email])[leser.email].everywhere
    with signed_in(app, "admin@fylke.test") as admin:
        rows = table_rows(admin.get("/ansatt/brukere").text, "main table")
        assert rows["leser@fylke.test"]["Status"].startswith("Sperret for alle til kl.")
    # A lock ends by itself.
    assert (
        throttle.locks(session, emails=[leser.email], now=now + throttle.WINDOW + timedelta(seconds=1)) == {}
    )


def test_deactivating_a_user_ends_their_sessions(app: FastAPI, session: Session) -> None:
    make_staff(session, Role.admin)
    target = make_staff(session, Role.radgiver)
    with signed_in(app, "admin@fylke.test") as admin, signed_in(app, "radgiver@fylke.test") as user:
        assert user.get("/ansatt").status_code == 200
        token = csrf_of(admin, "/ansatt/brukere")
        assert (
            admin.post(f"/ansatt/brukere/{target.id}/deaktiver", data={"csrf_token": token}).status_code
            == 303
        )
        assert user.get("/ansatt").status_code == 303
    fresh(session)
    rows = session.exec(select(WebSession).where(WebSession.staff_user_id == target.id)).all()
    assert [(r.ended_at is not None, r.end_reason) for r in rows] == [(True, sessions.EndReason.deactivated)]


# --- failed logins in the audit log ---------------------------------------------------------------------


def test_a_failed_login_keeps_only_an_accounts_email(app: FastAPI, session: Session) -> None:
    admin_user = make_staff(session, Role.admin)
    typed = "Kanskje-Passordet-Mitt-9"
    with TestClient(app, follow_redirects=False) as browser:
        assert login(browser, typed, "noe").status_code == 401
        assert login(browser, "ADMIN@fylke.test ", "feil-passord-her").status_code == 401
    events = audited(session, "login.failed")
    assert [(e.object_id, e.details) for e in events] == [
        ("", {"email": users.UNKNOWN_ACCOUNT}),
        (str(admin_user.id), {"email": "admin@fylke.test"}),
    ]


def test_the_audit_log_hides_what_older_failed_logins_typed(app: FastAPI, session: Session) -> None:
    make_staff(session, Role.admin)
    # As events were written before: whatever was typed in the e-mail field.
    for typed in ("hemmelig-passord-typed-here", "Admin@Fylke.test"):
        audit.record(session, actor="anonym:10.0.0.1", action="login.failed", details={"email": typed})
    audit.record(session, actor="anonym:10.0.0.1", action="login.throttled", details={"email": "x9-hemmelig"})
    session.commit()
    with signed_in(app, "admin@fylke.test") as admin:
        page = admin.get("/ansatt/logg", params={"handling": "login.failed"}).text
        assert "hemmelig-passord-typed-here" not in page
        told = [p.get_text() for p in BeautifulSoup(page, "html.parser").select("#hendelser td.details p")]
        # An account's e-mail (in any case) names the account; anything else is not shown at all.
        assert sorted(told) == sorted(
            [
                "Noen på adressen 10.0.0.1 prøvde å logge inn med en e-postadresse som ikke tilhører noen bruker.",
                "Noen på adressen 10.0.0.1 prøvde uten hell å logge inn som admin@fylke.test.",
            ]
        )
        page = admin.get("/ansatt/logg").text
        assert "x9-hemmelig" not in page and "hemmelig-passord" not in page
    fresh(session)  # shown differently, stored as it was: the log is append-only
    stored = {
        e.details["email"]
        for e in session.exec(select(AuditEvent).where(AuditEvent.action == "login.failed"))
    }
    assert "hemmelig-passord-typed-here" in stored
