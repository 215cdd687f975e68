"""Hosts and proxies: pages and redirects are built from the Host header, so only the configured hosts get an
answer; X-Forwarded-For and -Proto are believed only from the proxies named in the settings.

The proxy tests start the real server (``survey-app serve``) and send the headers over HTTP from
127.0.0.1, as a local process or a proxy on the same machine would.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx2 as httpx  # the maintained fork starlette 1.x tests with (pyproject: httpx2)
import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlmodel import Session, col, select

from survey_app.config import Settings
from survey_app.main import create_app
from survey_app.middleware import REFUSED_HOST
from survey_app.models import AuditEvent, LoginAttempt
from tests.conftest import CSRF_RE, fresh
from tests.test_durability import live_server

FOREIGN = "angriper.example"
CLIENT = "203.0.113.9"  # TEST-NET-3: an address no test machine has
KEY = "k" * 32


# --- allowed hosts ----------------------------------------------------------------------------------


@pytest.fixture
def host_client(settings: Settings, engine: sa.Engine) -> Iterator[TestClient]:
    # The host check is part of create_app: no test adds it by hand.
    with TestClient(create_app(settings, engine=engine), follow_redirects=False) as client:
        yield client


@pytest.mark.parametrize("path", ["/ansatt/logg-inn", "/ansatt", "/i/en-lenke", "/static/app.js", "/healthz"])
def test_a_request_for_another_host_is_refused_in_norwegian(host_client: TestClient, path: str) -> None:
    r = host_client.get(path, headers={"Host": FOREIGN})
    assert r.status_code == 400, r.text
    assert r.content == REFUSED_HOST
    assert r.text.startswith("Ukjent adresse"), r.text
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert "location" not in r.headers
    assert "set-cookie" not in r.headers, "no session is begun for a refused host"
    assert FOREIGN not in r.text
    assert "content-security-policy" in r.headers, "the security headers are on the refusal too"


def test_redirects_and_links_name_only_the_configured_host(host_client: TestClient) -> None:
    with_port = host_client.get("/ansatt", headers={"Host": f"{FOREIGN}:443"})
    assert with_port.status_code == 400, "the port does not make another host acceptable"

    r = host_client.get("/ansatt")  # Host: testserver, the test settings' base_url
    assert r.status_code == 303, r.text
    location = urlsplit(r.headers["location"])
    assert location.hostname in (None, "testserver"), r.headers["location"]
    page = host_client.get("/ansatt/logg-inn")
    form = BeautifulSoup(page.text, "html.parser").find("form", class_="login-form")
    assert form is not None, page.text[:500]
    assert urlsplit(str(form["action"])).hostname == "testserver"


def test_allowed_hosts_default_to_the_public_address(tmp_path: Path) -> None:
    production = {"environment": "production", "secret_key": KEY, "database_url": "postgresql://x@db/x"}
    public = Settings(data_dir=tmp_path, base_url="https://innspill.fylke.no", **production)  # type: ignore[arg-type]
    assert public.host_patterns == ["innspill.fylke.no"], "production: the public address only"

    local = Settings(data_dir=tmp_path, base_url="http://127.0.0.1:8000")
    assert local.host_patterns == ["127.0.0.1", "localhost", "[::1]"]

    named = Settings(data_dir=tmp_path, allowed_hosts="Innspill.fylke.no, *.fylke.no")  # type: ignore[arg-type]
    assert named.host_patterns == ["innspill.fylke.no", "*.fylke.no"], "configured: exactly these"


@pytest.mark.parametrize("value", ["*", "innspill.fylke.no:443", "https://innspill.fylke.no", "a.*.no"])
def test_allowed_hosts_refuse_what_would_never_match_or_match_all(tmp_path: Path, value: str) -> None:
    with pytest.raises(ValidationError, match="SURVEY_APP_ALLOWED_HOSTS"):
        Settings(data_dir=tmp_path, allowed_hosts=value)  # type: ignore[arg-type]


def test_trusted_proxies_are_addresses_or_networks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings(data_dir=tmp_path).trusted_proxies == [], "none by default"
    monkeypatch.setenv("SURVEY_APP_TRUSTED_PROXIES", "10.0.0.5, 10.1.0.0/16,::1")
    assert Settings(data_dir=tmp_path).trusted_proxies == ["10.0.0.5", "10.1.0.0/16", "::1"]
    monkeypatch.setenv("SURVEY_APP_TRUSTED_PROXIES", "proxy.fylke.no")
    with pytest.raises(ValidationError, match="SURVEY_APP_TRUSTED_PROXIES"):
        Settings(data_dir=tmp_path)


# --- forwarded headers, on the real server ----------------------------------------------------------


@pytest.mark.parametrize(
    ("trusted", "seen_as", "scheme"),
    [
        (None, "127.0.0.1", "http"),  # nothing trusted: the headers are ignored
        ("127.0.0.1", CLIENT, "https"),  # the proxy on this machine is trusted: its headers count
    ],
    ids=["no-trusted-proxy", "trusted-proxy"],
)
def test_forwarded_headers_count_only_from_a_trusted_proxy(
    settings: Settings,
    database_url: str,
    engine: sa.Engine,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
    trusted: str | None,
    seen_as: str,
    scheme: str,
) -> None:
    # Uvicorn's own setting, which would trust any address: the server must not read it.
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")
    if trusted:
        monkeypatch.setenv("SURVEY_APP_TRUSTED_PROXIES", trusted)
    else:
        monkeypatch.delenv("SURVEY_APP_TRUSTED_PROXIES", raising=False)
    forwarded = {"X-Forwarded-For": CLIENT, "X-Forwarded-Proto": "https"}
    fresh(session)
    with (
        live_server(settings, database_url) as server,
        httpx.Client(base_url=server.url, follow_redirects=False, timeout=60) as client,
    ):
        page = client.get("/ansatt/logg-inn", headers=forwarded)
        assert page.status_code == 200, page.text
        form = BeautifulSoup(page.text, "html.parser").find("form", class_="login-form")
        assert form is not None, page.text[:500]
        assert urlsplit(str(form["action"])).scheme == scheme, form["action"]
        token = CSRF_RE.search(page.text)
        assert token, page.text[:500]
        failed = client.post(
            "/ansatt/logg-inn",
            data={"csrf_token": token.group(1), "email": "ingen@fylke.test", "password": "feil-passord"},
            headers=forwarded,
        )
        assert failed.status_code == 401, failed.text

    fresh(session)
    # The login throttle counts the address, and the audit log names it.
    attempts = session.exec(select(LoginAttempt.address)).all()
    assert attempts == [seen_as], attempts
    actors = session.exec(
        select(AuditEvent.actor).where(AuditEvent.action == "login.failed").order_by(col(AuditEvent.id))
    ).all()
    assert actors == [f"anonym:{seen_as}"], actors
