"""The session warning's server side: only pages of someone signed in carry the session's length, and
«Fortsett økten» renews the cookie."""

from __future__ import annotations

import time

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import Session

from survey_app import session_renewal
from survey_app.config import Settings
from tests.factories import make_world


def max_age_meta(html: str) -> str | None:
    meta = BeautifulSoup(html, "html.parser").select_one('meta[name="session-max-age"]')
    return None if meta is None else str(meta["content"])


def test_only_a_signed_in_page_carries_the_sessions_length(
    client: TestClient, session: Session, settings: Settings
) -> None:
    world = make_world(session, settings)
    assert max_age_meta(client.get("/").text) is None
    client.get(world.link("3005"))
    assert max_age_meta(client.get("/svar").text) == str(settings.session_max_age_seconds)


def test_continuing_renews_the_session_cookie(
    client: TestClient, session: Session, settings: Settings
) -> None:
    world = make_world(session, settings)
    client.get(world.link("3005"))
    r = client.get("/okt")
    assert r.status_code == 204
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("innspill_session=") and f"Max-Age={settings.session_max_age_seconds}" in cookie


def test_a_session_in_use_is_renewed_so_it_ends_after_the_last_request(
    client: TestClient, session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = make_world(session, settings)
    client.get(world.link("3005"))
    client.get("/svar")
    assert "set-cookie" not in client.get("/svar").headers  # within the minute: nothing to renew
    later = time.time() + 2 * session_renewal.EVERY_SECONDS
    monkeypatch.setattr(session_renewal.time, "time", lambda: later)
    assert "set-cookie" in client.get("/svar").headers
