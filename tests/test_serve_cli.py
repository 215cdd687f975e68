"""``survey-app serve`` and ``survey-app demo`` as a county's IT person runs them: real subprocesses.

Arguments that cannot work are refused before anything happens (exit 2, in Norwegian), a busy port is found
before the demo is built or a banner printed, trusted proxies can be given by flag, and the demo reports its
progress, writes the links of every open round and shows one example per state of an answer.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx2 as httpx  # the maintained fork starlette 1.x tests with (pyproject: httpx2)
import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from sqlmodel import Session, col, select

from survey_app.db import make_engine
from survey_app.models import Municipality, Response, ResponseStatus, Round, RoundStatus
from tests.conftest import TEST_SECRET
from tests.test_demo_language import unknown_words

# The test database is chosen at run time (getfixturevalue): it runs again on PostgreSQL.
pytestmark = pytest.mark.database

REPO_ROOT = Path(__file__).resolve().parent.parent
SYSTEMD_UNIT = REPO_ROOT / "deploy" / "systemd" / "innspill.service"
INSTALLED_COMMAND = "/opt/innspill/venv/bin/survey-app"
DEMO_MUNICIPALITIES = 51
DEMO_PORT = 8123  # only in the links: the demo is built with --no-serve
STARTUP_SECONDS = 90  # generous: a loaded machine imports slowly
# Not a timing assertion: a refused command ends at once, a server that starts anyway never does.
REFUSAL_SECONDS = 120


def survey_app_command() -> list[str]:
    script = Path(sys.executable).with_name("survey-app")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from survey_app.cli import app; app()"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def base_env(data_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "SURVEY_APP_DATABASE_URL", "SURVEY_APP_TRUSTED_PROXIES"}
    }
    return env | {"SURVEY_APP_DATA_DIR": str(data_dir), "SURVEY_APP_ENVIRONMENT": "test"}


@dataclass
class Finished:
    returncode: int
    stdout: str
    stderr: str


def run(*args: str, env: dict[str, str]) -> Finished:
    """Run ``survey-app ARGS``; one that does not end (a server started after all) is stopped and fails."""
    process = subprocess.Popen(
        [*survey_app_command(), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=REFUSAL_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        pytest.fail(f"survey-app {' '.join(args)} did not end (a server started?):\n{stdout}\n{stderr}")
    return Finished(process.returncode, stdout, stderr)


def refused(result: Finished, code: int) -> str:
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stdout == "", "nothing is printed before the refusal"
    return result.stderr


# --- arguments ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["serve", "--port", "99999"], "--port må være et tall fra 1 til 65535 (fikk 99999)"),
        (["serve", "--port", "0"], "--port må være et tall fra 1 til 65535 (fikk 0)"),
        (["demo", "--port", "70000"], "--port må være et tall fra 1 til 65535 (fikk 70000)"),
        (["serve", "--workers", "0"], "--workers må være minst 1 (fikk 0)"),
        (["serve", "--trusted-proxy", "proxy.fylke.no"], "«proxy.fylke.no» er ikke en IP-adresse"),
    ],
    ids=["port-too-high", "port-zero", "demo-port", "no-workers", "proxy-name"],
)
def test_arguments_that_cannot_work_are_refused_before_anything_happens(
    tmp_path: Path, args: list[str], message: str
) -> None:
    data_dir = tmp_path / "data"
    # A free port, so that only the argument can be the reason.
    port = [] if "--port" in args else ["--port", str(free_port())]
    stderr = refused(run(*args, *port, env=base_env(data_dir)), 2)
    assert message in stderr, stderr
    assert not data_dir.exists(), "no database was made or migrated"


@pytest.mark.parametrize(
    ("command", "fix"),
    [
        (["serve"], "survey-app serve --port {next}"),
        (["demo"], "survey-app demo --port {next} eller make run PORT={next}"),
    ],
    ids=["serve", "demo"],
)
def test_a_busy_port_is_reported_with_the_fix_before_anything_else(
    tmp_path: Path, command: list[str], fix: str
) -> None:
    data_dir = tmp_path / "data"
    with socket.socket() as other_server:
        other_server.bind(("127.0.0.1", 0))
        other_server.listen()
        port = other_server.getsockname()[1]
        stderr = refused(run(*command, "--port", str(port), env=base_env(data_dir)), 1)
    assert f"porten {port} på 127.0.0.1 er allerede i bruk" in stderr, stderr
    assert fix.format(next=port + 1) in stderr, stderr
    assert not data_dir.exists(), "the demo was not built, nothing was migrated"


# --- trusted proxies by flag ---------------------------------------------------------------------------


@contextlib.contextmanager
def serving(*args: str, env: dict[str, str], log: Path) -> Iterator[str]:
    for attempt in range(3):  # another process may take the free port before the server binds it
        port = free_port()
        with log.open("wb") as out:
            process = subprocess.Popen(
                [*survey_app_command(), "serve", "--port", str(port), *args],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + STARTUP_SECONDS
        ready = False
        while not ready and process.poll() is None and time.monotonic() < deadline:
            with contextlib.suppress(httpx.TransportError):
                ready = httpx.get(f"{url}/healthz", timeout=5, trust_env=False).status_code == 200
            time.sleep(0.1)
        if ready:
            break
        died = process.poll() is not None
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        assert died and attempt < 2, f"the server did not start:\n{log.read_text(errors='replace')[-3000:]}"
    try:
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)


def test_trusted_proxies_given_by_flag_reach_every_worker(tmp_path: Path) -> None:
    env = base_env(tmp_path / "data") | {
        "SURVEY_APP_SECRET_KEY": TEST_SECRET,
        "SURVEY_APP_TRUSTED_PROXIES": "10.9.9.9",  # the flag replaces the setting
        "FORWARDED_ALLOW_IPS": "*",  # uvicorn's own setting: not read
    }
    forwarded = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    args = ["--workers", "2", "--trusted-proxy", "10.0.0.0/8,127.0.0.1", "--trusted-proxy", "::1"]
    with (
        serving(*args, env=env, log=tmp_path / "server.log") as url,
        httpx.Client(base_url=url, timeout=60, trust_env=False) as client,
    ):
        # Several requests, so that both workers are likely to answer some: each must trust the proxy.
        actions = set()
        for _ in range(6):
            page = client.get("/ansatt/logg-inn", headers=forwarded)
            assert page.status_code == 200, page.text
            form = BeautifulSoup(page.text, "html.parser").find("form", class_="login-form")
            assert form is not None, page.text[:500]
            actions.add(urlsplit(str(form["action"])).scheme)
    assert actions == {"https"}, actions


# --- the systemd unit -----------------------------------------------------------------------------------


def test_the_systemd_unit_is_valid_and_starts_serve_as_documented(tmp_path: Path) -> None:
    unit = SYSTEMD_UNIT.read_text()
    (exec_start,) = [line for line in unit.splitlines() if line.startswith("ExecStart=")]
    command = shlex.split(exec_start.removeprefix("ExecStart="))
    assert command[0] == INSTALLED_COMMAND, command
    # The unit's arguments are ones `serve` takes (--help: parsed, nothing started).
    parsed = run(*command[1:], "--help", env=base_env(tmp_path / "data"))
    assert parsed.returncode == 0, parsed.stderr
    for setting in ("User=innspill", "EnvironmentFile=/etc/innspill/innspill.env", "NoNewPrivileges=true",
                    "ProtectSystem=strict", "ReadWritePaths=/var/lib/innspill", "PrivateTmp=true",
                    "Restart=on-failure"):  # fmt: skip
        assert setting in unit.splitlines(), setting
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze er ikke installert: enhetsfilen er ikke kontrollert av systemd")
    # Verified with this machine's survey-app in place of the server's, which is not installed here.
    checked = tmp_path / "innspill.service"
    checked.write_text(unit.replace(INSTALLED_COMMAND, survey_app_command()[0]))
    verified = subprocess.run([analyze, "verify", str(checked)], capture_output=True, text=True, cwd=tmp_path)
    assert verified.returncode == 0, verified.stderr
    assert "innspill.service" not in verified.stderr, verified.stderr


# --- the demo -----------------------------------------------------------------------------------------


@dataclass
class Demo:
    stdout: str
    data_dir: Path
    open_rounds: dict[int, str]  # id: title
    status_of: dict[str, ResponseStatus]  # in the survey round, by kommunenummer
    survey_id: int


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Demo]:
    data_dir = tmp_path_factory.mktemp("demo") / "data"
    env = base_env(data_dir)
    engine: sa.Engine
    if os.environ.get("SURVEY_APP_TEST_DATABASE_URL"):
        # The shared PostgreSQL test database; conftest empties its tables after each test, so what the
        # tests need is read here, once.
        engine = request.getfixturevalue("engine")
        env["DATABASE_URL"] = request.getfixturevalue("database_url")
        owned = None
    else:
        owned = engine = make_engine(f"sqlite:///{data_dir / 'innspill.sqlite3'}")
    built = run("demo", "--no-serve", "--host", "localhost", "--port", str(DEMO_PORT), env=env)
    assert built.returncode == 0, (built.stdout, built.stderr)
    with Session(engine) as session:
        rounds = session.exec(
            select(Round).where(Round.status == RoundStatus.open).order_by(col(Round.id))
        ).all()
        open_rounds = {r.id: r.title for r in rounds if r.id is not None}
        survey_id = next(r.id for r in rounds if r.title == "Kommuneundersøkelsen 2026" and r.id is not None)
        status_of = {
            m.kommunenummer: ResponseStatus(s)
            for s, m in session.exec(
                select(Response.status, Municipality)
                .join(Municipality, col(Municipality.id) == Response.municipality_id)
                .where(Response.round_id == survey_id)
            )
        }
    try:
        yield Demo(built.stdout, data_dir, open_rounds, status_of, survey_id)
    finally:
        if owned is not None:
            owned.dispose()


def test_the_demo_reports_its_progress_before_the_banner(demo: Demo) -> None:
    before, banner, _ = demo.stdout.partition("Demoen er laget")
    assert banner, demo.stdout
    steps = [line.strip() for line in before.splitlines() if line.strip().endswith("…")]
    assert steps[0] == "Leser kommuneregisteret …", steps
    assert any(s.startswith("Analyserer fritekstsvarene") for s in steps), steps
    assert len(steps) >= 8, steps


# Compounds the nb_NO dictionary lacks, each right as written.
DEMO_OUTPUT_WORDS = {"Ansattinnlogging", "Demoen", "demoen", "E", "Invitasjonslenker", "spørreskjemaene",
                     "fritekstsvarene"}  # fmt: skip


def test_the_demo_speaks_bokmal(demo: Demo) -> None:
    # Links, paths and the e-mail address are not words.
    text = re.sub(r"\S*[/@]\S*", " ", demo.stdout)
    assert unknown_words([text], "nb") - DEMO_OUTPUT_WORDS == set()


def rows_of(path: Path) -> list[dict[str, str]]:
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "kommunenummer,kommune,url", text[:200]
    return list(csv.DictReader(io.StringIO(text)))


def test_the_demo_writes_the_links_of_every_open_round(demo: Demo) -> None:
    assert sorted(demo.open_rounds.values()) == [
        "Kommuneundersøkelsen 2026",
        "Konsultasjon om samarbeid 2026",
    ]
    urls = set()
    for round_id, title in demo.open_rounds.items():
        path = demo.data_dir / f"invitasjoner-runde-{round_id}.csv"
        assert f"{title} (runde {round_id}): {path.resolve()}" in demo.stdout, demo.stdout
        rows = rows_of(path)
        assert len(rows) == DEMO_MUNICIPALITIES, title
        assert all(r["url"].startswith(f"http://localhost:{DEMO_PORT}/i/") for r in rows), rows[0]
        urls |= {r["url"] for r in rows}
    assert len(urls) == 2 * DEMO_MUNICIPALITIES, "every municipality has its own link in each round"


def test_the_demo_shows_one_example_link_per_state_of_an_answer(demo: Demo) -> None:
    by_url = {
        r["url"]: r["kommunenummer"]
        for r in rows_of(demo.data_dir / f"invitasjoner-runde-{demo.survey_id}.csv")
    }
    labels = {
        "Ikke startet": ResponseStatus.not_started,
        "Påbegynt": ResponseStatus.in_progress,
        "Sendt inn": ResponseStatus.submitted,
    }
    shown = {}
    for line in demo.stdout.splitlines():
        label, _, rest = line.strip().partition(" (")
        if label in labels:
            shown[labels[label]] = rest.rpartition(": ")[2]
    assert list(shown) == list(labels.values()), demo.stdout
    for status, url in shown.items():
        assert url in by_url, f"{url} is not one of the round's links"
        assert demo.status_of[by_url[url]] == status, (status, url)
