"""Behind a real reverse proxy with HTTPS: Debian's nginx with the shipped ``deploy/nginx/innspill.conf``.

The module starts ``survey-app serve --trusted-proxy 127.0.0.1`` on a free port (SQLite in a temporary data
dir, or the test PostgreSQL when SURVEY_APP_TEST_DATABASE_URL is set), makes a self-signed certificate with
openssl, and runs nginx as a subprocess on the shipped config: only the ports, the host name, the
certificate and log paths and the upstream's port are put in (each substitution must match, so a changed
config is noticed here). Clients connect from different loopback addresses (127.0.0.2, 127.0.0.3, …), so
nginx sees different clients, as it would on the internet; nginx itself reaches Innspill from 127.0.0.1, the
trusted proxy.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx2 as httpx  # the maintained fork starlette 1.x tests with (pyproject: httpx2)
import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from sqlmodel import Session, col, select

from survey_app.db import make_engine
from survey_app.models import LoginAttempt, LoginOutcome
from survey_app.routes import recommendation
from survey_app.security import token_hash
from survey_app.services import users
from tests.conftest import CSRF_RE, TEST_SECRET

REPO_ROOT = Path(__file__).resolve().parent.parent
SHIPPED_CONFIG = REPO_ROOT / "deploy" / "nginx" / "innspill.conf"
NGINX = shutil.which("nginx", path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin")
HOST = "localhost"
PROXY = "127.0.0.1"  # where nginx connects to Innspill from: the one trusted address
CLIENT_A, CLIENT_B, DIRECT = "127.0.0.2", "127.0.0.3", "127.0.0.4"
FORGED = "198.51.100.7"  # TEST-NET-2: what a client claims to be
STARTUP_SECONDS = 90  # generous: a loaded machine imports slowly
WRONG_PASSWORD = "feil-passord-hver-gang"

pytestmark = [
    pytest.mark.skipif(NGINX is None, reason="nginx er ikke installert (make system-deps installerer det)"),
    pytest.mark.database,  # the test database is chosen at run time: it runs again on PostgreSQL
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def survey_app_command() -> list[str]:
    script = Path(sys.executable).with_name("survey-app")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from survey_app.cli import app; app()"]


@dataclass
class Site:
    tmp: Path
    https_port: int
    http_port: int
    app_port: int
    cert: Path
    env: dict[str, str]
    engine: sa.Engine

    @property
    def public_url(self) -> str:
        return f"https://{HOST}:{self.https_port}"

    def client(self, local_address: str) -> httpx.Client:
        """A client of nginx over HTTPS, connecting from ``local_address``."""
        transport = httpx.HTTPTransport(
            verify=ssl.create_default_context(cafile=str(self.cert)), local_address=local_address
        )
        return httpx.Client(
            base_url=self.public_url, transport=transport, follow_redirects=False, timeout=60, trust_env=False
        )

    def direct_client(self, local_address: str) -> httpx.Client:
        """A client of Innspill itself, not through nginx."""
        transport = httpx.HTTPTransport(local_address=local_address)
        return httpx.Client(
            base_url=f"http://127.0.0.1:{self.app_port}",
            transport=transport,
            follow_redirects=False,
            timeout=60,
            trust_env=False,
        )

    def attempts(self, email: str) -> Counter[tuple[str, LoginOutcome]]:
        with Session(self.engine) as session:
            rows = session.exec(
                select(LoginAttempt.address, LoginAttempt.outcome)
                .where(col(LoginAttempt.email).in_([email, unknown_account_key(email)]))
                .order_by(col(LoginAttempt.id))
            ).all()
        return Counter((address, LoginOutcome(outcome)) for address, outcome in rows)

    def log(self, name: str) -> str:
        path = self.tmp / "logs" / name
        return path.read_text(errors="replace") if path.exists() else ""


def unknown_account_key(email: str) -> str:
    """What the throttle counts a try on an unknown account under (it keeps no typed text, see
    services/throttle.py)."""
    return "ukjent:" + token_hash(users.normalise_email(email))


def nginx_config(site_conf: str, *, https_port: int, http_port: int, app_port: int, tmp: Path) -> str:
    """The shipped config with this test's ports, host name, certificate and log paths: nothing else."""
    substitutions = [
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};"),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;"),
        # IPv6 may be missing on a test machine; the IPv4 listeners above carry the test.
        ("    listen [::]:80;\n", ""),
        ("    listen [::]:443 ssl;\n", ""),
        ("server_name innspill.fylke.no;", f"server_name {HOST};"),
        ("/etc/ssl/certs/innspill.fylke.no.crt", str(tmp / "cert.pem")),
        ("/etc/ssl/private/innspill.fylke.no.key", str(tmp / "key.pem")),
        ("/var/log/nginx/", f"{tmp}/logs/"),
        # The shipped redirect goes to the standard port 443, which the test cannot take.
        ("return 301 https://$host$request_uri;", f"return 301 https://$host:{https_port}$request_uri;"),
    ]
    for old, new in substitutions:
        assert old in site_conf, f"deploy/nginx/innspill.conf no longer has {old!r}: update this test"
        site_conf = site_conf.replace(old, new)
    (tmp / "innspill.conf").write_text(site_conf)
    temp = tmp / "temp"
    return "\n".join(
        [
            # As root, nginx's workers would otherwise become «nobody», who cannot use the test's folders.
            *(["user root;"] if os.geteuid() == 0 else []),
            "worker_processes 1;",
            f"pid {tmp}/nginx.pid;",
            f"error_log {tmp}/logs/error.log;",
            "events { worker_connections 64; }",
            "http {",
            f"    client_body_temp_path {temp}/body;",
            f"    proxy_temp_path {temp}/proxy;",
            f"    fastcgi_temp_path {temp}/fastcgi;",
            f"    uwsgi_temp_path {temp}/uwsgi;",
            f"    scgi_temp_path {temp}/scgi;",
            f"    access_log {tmp}/logs/other.log;",
            f"    include {tmp}/innspill.conf;",
            "}",
            "",
        ]
    )


def make_certificate(tmp: Path) -> Path:
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", str(tmp / "key.pem"), "-out", str(tmp / "cert.pem"),
            "-subj", f"/CN={HOST}", "-addext", f"subjectAltName=DNS:{HOST}",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return tmp / "cert.pem"


def wait_until(url: str, process: subprocess.Popen[bytes], *, verify: ssl.SSLContext | bool = False) -> bool:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            if httpx.get(url, timeout=5, verify=verify, trust_env=False).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    return False


def stop(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


@contextlib.contextmanager
def innspill(env: dict[str, str], tmp: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """``survey-app serve`` trusting only nginx's address, given by the flag (not the setting)."""
    for attempt in range(3):  # another process may take the free port before the server binds it
        port = free_port()
        log = tmp / "logs" / f"innspill-{port}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [*survey_app_command(), "serve", "--port", str(port), "--trusted-proxy", PROXY],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so that it stops with its workers
            )
        if wait_until(f"http://127.0.0.1:{port}/healthz", process):
            break
        died = process.poll() is not None
        stop(process, signal.SIGKILL)
        assert died and attempt < 2, f"Innspill did not start:\n{log.read_text(errors='replace')[-3000:]}"
    try:
        yield process, port
    finally:
        # SIGTERM: uvicorn finishes what it is doing and stops.
        stop(process, signal.SIGTERM)


@contextlib.contextmanager
def nginx(tmp: Path, app_port: int, cert: Path) -> Iterator[tuple[int, int]]:
    assert NGINX is not None
    site_conf = SHIPPED_CONFIG.read_text()
    for attempt in range(3):  # as above: the free ports may be taken before nginx binds them
        https_port, http_port = free_port(), free_port()
        conf = tmp / "nginx.conf"
        conf.write_text(
            nginx_config(site_conf, https_port=https_port, http_port=http_port, app_port=app_port, tmp=tmp)
        )
        command = [NGINX, "-e", f"{tmp}/logs/error.log", "-p", str(tmp), "-c", str(conf)]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        with (tmp / "logs" / "nginx.out").open("ab") as out:
            process = subprocess.Popen(
                [*command, "-g", "daemon off;"], stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        context = ssl.create_default_context(cafile=str(cert))
        if wait_until(f"https://{HOST}:{https_port}/healthz", process, verify=context):
            break
        died = process.poll() is not None
        stop(process, signal.SIGKILL)
        assert died and attempt < 2, f"nginx did not start:\n{(tmp / 'logs' / 'error.log').read_text()}"
    try:
        yield https_port, http_port
    finally:
        stop(process, signal.SIGQUIT)  # nginx's graceful shutdown


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("proxy")
    for folder in ("logs", "temp", "data"):
        (tmp / folder).mkdir()
    cert = make_certificate(tmp)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SURVEY_APP_TRUSTED_PROXIES", "SURVEY_APP_DATABASE_URL", "SURVEY_APP_ALLOWED_HOSTS"}
    }
    env |= {
        "SURVEY_APP_DATA_DIR": str(tmp / "data"),
        "SURVEY_APP_SECRET_KEY": TEST_SECRET,
        "SURVEY_APP_ENVIRONMENT": "test",
        "SURVEY_APP_SECURE_COOKIES": "true",  # as behind HTTPS in production
        "FORWARDED_ALLOW_IPS": "*",  # uvicorn's own setting, which would trust anyone: must not be read
    }
    if os.environ.get("SURVEY_APP_TEST_DATABASE_URL"):
        # The shared PostgreSQL test database; conftest empties its tables after each test.
        engine: sa.Engine = request.getfixturevalue("engine")
        env["DATABASE_URL"] = request.getfixturevalue("database_url")
        owned = None
    else:
        env.pop("DATABASE_URL", None)
        owned = engine = make_engine(f"sqlite:///{tmp / 'data' / 'innspill.sqlite3'}")
    # The public address is nginx's, which is known only once nginx has its ports; Innspill reads it for
    # invitation links only, and builds pages and redirects from the Host header nginx passes on.
    env["SURVEY_APP_BASE_URL"] = f"https://{HOST}"
    try:
        with innspill(env, tmp) as (_, app_port), nginx(tmp, app_port, cert) as (https_port, http_port):
            yield Site(tmp, https_port, http_port, app_port, cert, env, engine)
    finally:
        if owned is not None:
            owned.dispose()


def login_page(client: httpx.Client) -> tuple[str, str]:
    """The login form's action and its CSRF token."""
    page = client.get("/ansatt/logg-inn")
    assert page.status_code == 200, page.text
    form = BeautifulSoup(page.text, "html.parser").find("form", class_="login-form")
    assert form is not None, page.text[:500]
    token = CSRF_RE.search(page.text)
    assert token, page.text[:500]
    return str(form["action"]), token.group(1)


def log_in(client: httpx.Client, email: str, password: str = WRONG_PASSWORD) -> httpx.Response:
    _, token = login_page(client)
    return client.post(
        "/ansatt/logg-inn",
        data={"csrf_token": token, "email": email, "password": password},
        headers={"X-Forwarded-For": FORGED, "X-Real-IP": FORGED},  # what a client claims, never believed
    )


# --- links and redirects ----------------------------------------------------------------------------


def test_the_login_form_and_redirects_use_the_public_https_address(site: Site) -> None:
    with site.client(CLIENT_A) as client:
        action, _ = login_page(client)
        assert action == f"{site.public_url}/ansatt/logg-inn", action

        redirect = client.get("/ansatt")
    assert redirect.status_code == 303, redirect.text
    # Relative (the browser keeps to https and the public address) or absolute with both.
    location = urljoin(f"{site.public_url}/ansatt", redirect.headers["location"])
    assert location == f"{site.public_url}/ansatt/logg-inn?neste=/ansatt", redirect.headers["location"]


def test_plain_http_is_sent_to_https(site: Site) -> None:
    with httpx.Client(timeout=60, trust_env=False, follow_redirects=False) as client:
        r = client.get(f"http://{HOST}:{site.http_port}/ansatt/logg-inn?neste=/ansatt")
    assert r.status_code == 301, r.text
    assert r.headers["location"] == f"{site.public_url}/ansatt/logg-inn?neste=/ansatt"


def test_a_staff_member_logs_in_over_https_with_a_secure_cookie(site: Site) -> None:
    created = subprocess.run(
        [
            *survey_app_command(),
            "users",
            "create",
            "--role",
            "radgiver",
            "--password-stdin",
            "--email",
            "kari@fylke.test",
        ],
        input="et-langt-og-trygt-passord-9\n",
        env=site.env,
        capture_output=True,
        text=True,
    )
    assert created.returncode == 0, created.stderr
    with site.client(CLIENT_A) as client:
        signed_in = log_in(client, "kari@fylke.test", "et-langt-og-trygt-passord-9")
        assert signed_in.status_code == 303, signed_in.text
        location = urlsplit(signed_in.headers["location"])
        assert (location.scheme, location.netloc) == ("https", f"{HOST}:{site.https_port}"), location
        assert "secure" in signed_in.headers["set-cookie"].lower(), signed_in.headers["set-cookie"]
        page = client.get(location.path)
    assert page.status_code == 200, page.text


# --- the client address -----------------------------------------------------------------------------


def test_the_login_throttle_counts_each_real_client_behind_the_proxy(site: Site) -> None:
    email = "ingen-a@fylke.test"
    with site.client(CLIENT_A) as a, site.client(CLIENT_B) as b:
        for _ in range(5):
            assert log_in(a, email).status_code == 401
        refused = log_in(a, email)
        assert refused.status_code == 429, "the sixth try from the same client is refused"
        # Another client is counted apart, whatever address it claims in X-Forwarded-For.
        assert log_in(b, email).status_code == 401, "another client must still be checked"

    assert site.attempts(email) == {
        (CLIENT_A, LoginOutcome.failed): 5,
        (CLIENT_A, LoginOutcome.refused): 1,
        (CLIENT_B, LoginOutcome.failed): 1,
    }


def test_a_forged_forwarded_for_is_not_believed_from_outside_the_proxy(site: Site) -> None:
    email = "ingen-direkte@fylke.test"
    forged = {"X-Forwarded-For": FORGED, "X-Forwarded-Proto": "https"}
    with site.direct_client(DIRECT) as client:
        page = client.get("/ansatt/logg-inn", headers=forged)
        assert page.status_code == 200, page.text
        form = BeautifulSoup(page.text, "html.parser").find("form", class_="login-form")
        assert form is not None, page.text[:500]
        assert urlsplit(str(form["action"])).scheme == "http", "an untrusted client cannot claim https"
        token = CSRF_RE.search(page.text)
        assert token, page.text[:500]
        # The session cookie is Secure; over plain http the client must be handed it explicitly.
        cookies = {c.name: c.value for c in client.cookies.jar}
        failed = client.post(
            "/ansatt/logg-inn",
            data={"csrf_token": token.group(1), "email": email, "password": WRONG_PASSWORD},
            headers={**forged, "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())},
        )
    assert failed.status_code == 401, failed.text
    assert site.attempts(email) == {(DIRECT, LoginOutcome.failed): 1}


# --- what nginx itself does ---------------------------------------------------------------------------


def test_nginxs_access_log_keeps_no_invitation_link(site: Site) -> None:
    secret = "7-hemmeligtoken0123456789abcdef"
    with site.client(CLIENT_A) as client:
        client.get(f"/i/{secret}")
        client.get("/ansatt/logg-inn?sok=fødselsnummer")
    log = site.log("innspill.access.log")
    assert "/i/[skjult]" in log, log[-2000:]
    assert secret not in log and "sok=" not in log, log[-2000:]
    assert CLIENT_A in log, "the access log names the real client"


def test_uploads_up_to_the_apps_limit_reach_the_app(site: Site) -> None:
    upload = recommendation.router.url_path_for("recommendation_create")
    over_the_apps_limit = b"x" * (2 * 1024 * 1024 + 512 * 1024)  # 2.5 MB: within nginx's, over Innspill's
    over_nginxs_limit = b"x" * (4 * 1024 * 1024)
    with site.client(CLIENT_A) as client:
        by_innspill = client.post(upload, content=over_the_apps_limit)
        by_nginx = client.post(upload, content=over_nginxs_limit)
    assert by_innspill.status_code == 413, by_innspill.text[:500]
    assert "større enn 2 MB" in by_innspill.text, "Innspill's own page, with its own limit"
    assert by_nginx.status_code == 413, by_nginx.text[:500]
    assert by_nginx.text.startswith("Det du sendte, er større enn 3 MB"), by_nginx.text[:500]
