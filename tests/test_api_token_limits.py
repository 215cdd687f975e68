"""API tokens run out after the days chosen, and each may make only so many requests a minute."""

from __future__ import annotations

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from survey_app.config import Settings
from survey_app.dates import format_date, format_datetime
from survey_app.models import ApiToken, AuditEvent, Role, utcnow
from survey_app.routes import api
from survey_app.services import api_tokens
from tests.conftest import csrf_of, fresh
from tests.factories import make_staff, make_world
from tests.test_staff import login, table_rows


def make_token(client: TestClient, days: str | None = None):
    token = csrf_of(client, "/ansatt/api-nokler")
    data = {"csrf_token": token, "name": "Power BI"} | ({"days": days} if days is not None else {})
    return client.post("/ansatt/api-nokler", data=data)


def plain_of(html: str) -> str:
    return BeautifulSoup(html, "html.parser").select_one("code.token").get_text()


def test_a_token_lasts_the_days_chosen_and_then_says_it_expired(
    client: TestClient, session: Session, settings: Settings
) -> None:
    make_world(session, settings)
    make_staff(session, Role.radgiver)
    login(client, "radgiver@fylke.test")
    page = BeautifulSoup(client.get("/ansatt/api-nokler").text, "html.parser")
    assert [i["value"] for i in page.select("input[name=days]")] == ["30", "90", "180", "365"]
    assert page.select_one("input[name=days][checked]")["value"] == "90"

    for wrong in ("7", "abc", "-30", "30.0"):
        r = make_token(client, wrong)
        assert r.status_code == 422, wrong
        assert "Velg hvor lenge" in BeautifulSoup(r.text, "html.parser").select_one("#days-error").get_text()
    before = utcnow()
    r = make_token(client, "30")
    assert r.status_code == 201, r.text
    plain = plain_of(r.text)
    fresh(session)
    [token] = session.exec(select(ApiToken)).all()
    assert token.expires_at is not None
    assert timedelta(days=30) <= token.expires_at - before < timedelta(days=30, minutes=1)
    assert format_datetime(token.expires_at) in r.text  # said when it is made
    rows = table_rows(client.get("/ansatt/api-nokler").text, "main table")
    assert rows["Power BI"]["Utløper"] == format_datetime(token.expires_at)
    [event] = session.exec(select(AuditEvent).where(AuditEvent.action == "api_token.create")).all()
    assert event.details["days"] == 30

    headers = {"Authorization": f"Bearer {plain}"}
    with TestClient(client.app) as bi:
        assert bi.get("/api/v1/runder", headers=headers).status_code == 200
        fresh(session)
        token.expires_at = utcnow() - timedelta(seconds=1)
        session.add(token)
        session.commit()
        r = bi.get("/api/v1/runder", headers=headers)
        assert r.status_code == 401
        assert r.json()["detail"] == (
            f"API-nøkkelen gikk ut {format_date(token.expires_at)}. Lag en ny nøkkel på siden «API-nøkler»."
        )
        assert r.headers["www-authenticate"].startswith("Bearer")
    rows = table_rows(client.get("/ansatt/api-nokler").text, "main table")
    assert rows["Power BI"]["Status"] == "Utløpt"


def test_a_token_made_without_a_choice_lasts_90_days(session: Session) -> None:
    user = make_staff(session, Role.radgiver)
    token, _ = api_tokens.create(session, user=user, name="BI")
    assert token.expires_at is not None and token.expires_at - token.created_at == timedelta(days=90)
    with pytest.raises(ValueError):
        api_tokens.create(session, user=user, name="BI", days=10_000)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_each_token_is_rate_limited_with_retry_after(
    client: TestClient, session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_world(session, settings)
    user = make_staff(session, Role.radgiver)
    _, plain = api_tokens.create(session, user=user, name="Skript")
    _, other = api_tokens.create(session, user=user, name="Dashbord")
    clock = Clock()
    monkeypatch.setattr(api, "RATE_LIMITER", api_tokens.RateLimiter(clock=clock))
    assert api.RATE_LIMITER.limit == api_tokens.RATE_LIMIT == 60
    headers = {"Authorization": f"Bearer {plain}"}
    with TestClient(client.app) as bi:
        for i in range(api_tokens.RATE_LIMIT):
            clock.now += 0.5  # 60 requests in 30 seconds
            assert bi.get("/api/v1/runder", headers=headers).status_code == 200, i
        r = bi.get("/api/v1/runder", headers=headers)
        assert r.status_code == 429
        # The first of the 60 leaves the window 60 s after it was made: 30.5 s from now.
        assert r.headers["retry-after"] == "31"
        assert "For mange forespørsler" in r.json()["detail"]
        # Another token is counted on its own.
        assert bi.get("/api/v1/runder", headers={"Authorization": f"Bearer {other}"}).status_code == 200
        clock.now += 30.0
        assert bi.get("/api/v1/runder", headers=headers).status_code == 429  # the first is still inside
        clock.now += 1.0
        assert bi.get("/api/v1/runder", headers=headers).status_code == 200
    # What was refused was not read, so not logged as read.
    fresh(session)
    reads = session.exec(select(AuditEvent).where(AuditEvent.action == "api.read")).all()
    assert len(reads) == api_tokens.RATE_LIMIT + 2


def test_the_rate_limiter_counts_only_what_it_lets_through() -> None:
    clock = Clock()
    limiter = api_tokens.RateLimiter(limit=2, window=10.0, clock=clock)
    assert limiter.hit("a") is None and limiter.hit("a") is None
    for _ in range(5):  # refusals do not push the wait further out
        assert limiter.hit("a") == 10
    clock.now += 4.2
    assert limiter.hit("a") == 6
    clock.now += 5.8
    assert limiter.hit("a") is None
    clock.now += 100
    limiter.hit("b")
    assert set(limiter._hits) == {"b"}  # a key that stopped calling is forgotten
