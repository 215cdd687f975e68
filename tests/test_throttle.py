"""Login throttling: per account and address, per account, per address; shared by every worker through the database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlmodel import Session, col, func, select

from survey_app import security
from survey_app.config import Settings
from survey_app.main import create_app
from survey_app.models import AuditEvent, LoginAttempt, LoginOutcome, Role
from survey_app.routes.admin import ACTION_LABELS
from survey_app.services import throttle, users
from tests.conftest import csrf_of, fresh
from tests.factories import PASSWORD, make_staff

WRONG = "ikke-passordet-mitt"


def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real argon2, with parameters cheap enough for the dozens of logins these tests make."""
    fast = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    monkeypatch.setattr(security, "_hasher", fast)
    monkeypatch.setattr(users, "DUMMY_HASH", fast.hash("dummy"))


@pytest.fixture(autouse=True)
def _fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    fast_hashing(monkeypatch)


@pytest.fixture
def admin(session: Session) -> str:
    return make_staff(session, Role.admin).email


def client_at(app: FastAPI, address: str) -> TestClient:
    return TestClient(app, follow_redirects=False, client=(address, 50000))


def attempt(client: TestClient, email: str, password: str):
    token = csrf_of(client, "/ansatt/logg-inn")
    return client.post("/ansatt/logg-inn", data={"csrf_token": token, "email": email, "password": password})


def audited(session: Session, action: str) -> int:
    fresh(session)
    return session.exec(select(func.count()).where(AuditEvent.action == action)).one()


def outcomes(session: Session) -> list[LoginOutcome]:
    fresh(session)
    return list(session.exec(select(LoginAttempt.outcome).order_by(col(LoginAttempt.id))))


def pass_time(session: Session, delta: timedelta) -> None:
    """Move every recorded attempt ``delta`` into the past, as if that much time had gone by."""
    fresh(session)
    for row in session.exec(select(LoginAttempt)):
        row.at -= delta
    session.commit()


def test_five_failures_from_one_address_lock_the_account_there_even_with_the_right_password(
    app: FastAPI, session: Session, admin: str
) -> None:
    with client_at(app, "10.0.0.1") as client:
        for _ in range(throttle.PAIR_LIMIT):
            assert attempt(client, admin, WRONG).status_code == 401
        r = attempt(client, admin, PASSWORD)
        assert r.status_code == 429, r.text
        assert 0 < int(r.headers["retry-after"]) <= 15 * 60
        page = BeautifulSoup(r.text, "html.parser")
        assert "For mange forsøk" in page.select_one("#feiloppsummering").get_text()
        assert page.find("input", id="email")["value"] == admin  # what was typed is kept
        assert client.get("/ansatt").status_code == 303  # not logged in
        assert attempt(client, admin.upper(), PASSWORD).status_code == 429  # the same account
    assert audited(session, "login.failed") == throttle.PAIR_LIMIT
    assert audited(session, "login.throttled") == 1  # once per lock-out, not once per try
    assert "login.throttled" in ACTION_LABELS
    assert outcomes(session) == [LoginOutcome.failed] * 5 + [LoginOutcome.refused] * 2

    # Another account from the same address is not locked by this one.
    make_staff(session, Role.leser)
    with client_at(app, "10.0.0.1") as client:
        assert attempt(client, "leser@fylke.test", PASSWORD).status_code == 303
    # Nor is the account itself anywhere else: a guesser cannot lock its owner out.
    with client_at(app, "10.0.0.99") as owner:
        assert attempt(owner, admin, PASSWORD).status_code == 303
        assert owner.get("/ansatt").status_code == 200
    # The owner's login elsewhere does not reopen the account to the guesser's address.
    with client_at(app, "10.0.0.1") as client:
        assert attempt(client, admin, PASSWORD).status_code == 429

    pass_time(session, throttle.WINDOW - timedelta(minutes=1))
    with client_at(app, "10.0.0.1") as client:
        assert attempt(client, admin, PASSWORD).status_code == 429
    pass_time(session, timedelta(minutes=1, seconds=1))
    with client_at(app, "10.0.0.1") as client:
        r = attempt(client, admin, PASSWORD)
        assert r.status_code == 303, r.text
        assert client.get("/ansatt").status_code == 200


def test_failures_from_many_addresses_together_lock_the_account_for_everyone(
    app: FastAPI, session: Session, admin: str
) -> None:
    # A guessing attack spread over addresses, none of which fails often enough for its own limit.
    failures = 0
    for i in range(1, 100):
        with client_at(app, f"198.51.100.{i}") as client:
            for _ in range(throttle.PAIR_LIMIT - 1):
                if failures < throttle.ACCOUNT_LIMIT:
                    assert attempt(client, admin, WRONG).status_code == 401
                    failures += 1
        if failures == throttle.ACCOUNT_LIMIT:
            break
    with client_at(app, "203.0.113.5") as owner:
        r = attempt(owner, admin, PASSWORD)
        assert r.status_code == 429 and "For mange forsøk" in r.text
    fresh(session)
    [event] = session.exec(select(AuditEvent).where(AuditEvent.action == "login.throttled")).all()
    assert event.details["limit"] == "account" and event.details["email"] == admin
    # Another account is not affected.
    make_staff(session, Role.leser)
    with client_at(app, "198.51.100.1") as client:
        assert attempt(client, "leser@fylke.test", PASSWORD).status_code == 303


def test_an_ipv6_address_counts_by_its_64_network(app: FastAPI, session: Session, admin: str) -> None:
    for i in range(throttle.PAIR_LIMIT):  # one machine can take any address in its /64
        with client_at(app, f"2001:db8:0:7::{i + 1}") as client:
            assert attempt(client, admin, WRONG).status_code == 401
    with client_at(app, "2001:db8:0:7::ffff") as client:
        assert attempt(client, admin, PASSWORD).status_code == 429
    with client_at(app, "2001:db8:0:8::1") as neighbour:
        assert attempt(neighbour, admin, PASSWORD).status_code == 303
    fresh(session)
    assert set(session.exec(select(LoginAttempt.address))) == {"2001:db8:0:7::/64", "2001:db8:0:8::/64"}


def test_a_successful_login_resets_the_account_count(app: FastAPI, session: Session, admin: str) -> None:
    with client_at(app, "10.0.0.2") as client:
        for _ in range(2):
            for _ in range(throttle.PAIR_LIMIT - 1):
                assert attempt(client, admin, WRONG).status_code == 401
            assert attempt(client, admin, PASSWORD).status_code == 303
        for _ in range(throttle.PAIR_LIMIT):
            assert attempt(client, admin, WRONG).status_code == 401
        assert attempt(client, admin, PASSWORD).status_code == 429


def test_twenty_failures_from_one_address_lock_every_account_from_it(
    app: FastAPI, session: Session, admin: str
) -> None:
    # A guesser trying many accounts, none of them often enough for its own limit.
    guessed = [f"gjett{i}@fylke.test" for i in range(throttle.ADDRESS_LIMIT // (throttle.PAIR_LIMIT - 1))]
    with client_at(app, "192.0.2.7") as client:
        for email in guessed:
            for _ in range(throttle.PAIR_LIMIT - 1):
                assert attempt(client, email, WRONG).status_code == 401
        r = attempt(client, admin, PASSWORD)
        assert r.status_code == 429 and "For mange forsøk" in r.text
    assert audited(session, "login.failed") == throttle.ADDRESS_LIMIT
    with client_at(app, "192.0.2.8") as elsewhere:
        assert attempt(elsewhere, admin, PASSWORD).status_code == 303
    # A success does not clear an address: a guesser with one account of their own cannot reset it.
    with client_at(app, "192.0.2.7") as client:
        assert attempt(client, admin, PASSWORD).status_code == 429


def test_an_unknown_account_is_throttled_alike_and_what_was_typed_is_not_kept(
    app: FastAPI, session: Session, admin: str
) -> None:
    typed = "Mitt-Hemmelige-Passord-7"  # a password typed in the e-mail field
    with client_at(app, "10.0.0.4") as client:
        for _ in range(throttle.PAIR_LIMIT):
            assert attempt(client, typed, WRONG).status_code == 401
        r = attempt(client, typed, WRONG)
        assert r.status_code == 429  # as for a real account: the answer does not tell which exist
    fresh(session)
    stored = [repr(tuple(row)) for row in session.exec(select(LoginAttempt))]
    stored += [repr((e.actor, e.object_id, e.details)) for e in session.exec(select(AuditEvent))]
    assert stored and not [row for row in stored if typed.lower() in row.lower()]
    events = session.exec(select(AuditEvent).where(col(AuditEvent.action).like("login.%"))).all()
    assert {e.details["email"] for e in events} == {users.UNKNOWN_ACCOUNT}


@pytest.fixture
def two_workers(settings: Settings, engine: sa.Engine) -> Iterator[tuple[TestClient, TestClient]]:
    """Two app instances on one database, like two worker processes."""
    with (
        TestClient(create_app(settings, engine=engine), follow_redirects=False, client=("10.9.9.9", 1)) as a,
        TestClient(create_app(settings, engine=engine), follow_redirects=False, client=("10.9.9.9", 2)) as b,
    ):
        yield a, b


def test_the_count_is_shared_by_every_worker(
    two_workers: tuple[TestClient, TestClient], session: Session, admin: str
) -> None:
    a, b = two_workers
    for i in range(throttle.PAIR_LIMIT):
        assert attempt(a if i % 2 else b, admin, WRONG).status_code == 401
    assert attempt(a, admin, PASSWORD).status_code == 429
    assert attempt(b, admin, PASSWORD).status_code == 429


def test_old_attempts_are_forgotten(app: FastAPI, session: Session, admin: str) -> None:
    with client_at(app, "10.0.0.3") as client:
        assert attempt(client, admin, WRONG).status_code == 401
        pass_time(session, throttle.KEEP + timedelta(minutes=1))
        assert attempt(client, admin, PASSWORD).status_code == 303
    assert outcomes(session) == [LoginOutcome.succeeded]
