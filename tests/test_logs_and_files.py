"""What the server writes to its log and to disk: no invitation link or search term in the log, and every
file in the data dir, and every export, readable by Innspill's own account only.

The log test starts the real server (``survey-app serve``, with the logging set-up it ships) and reads what
it wrote; the file tests run the real command in a subprocess, so its umask is the one a county gets.
"""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx2 as httpx  # the maintained fork starlette 1.x tests with (pyproject: httpx2)
import pytest
import sqlalchemy as sa
from sqlmodel import Session
from uvicorn.logging import AccessFormatter

from survey_app.config import Settings
from survey_app.db import make_engine
from survey_app.logfilter import RedactSecrets, install, redact
from survey_app.models import Role
from tests.conftest import CSRF_RE, fresh
from tests.factories import PASSWORD, make_staff, make_world
from tests.test_durability import live_server

SEARCH = "Kari Nordmann"  # what an adviser might search the free text for
WHO = "kari.nordmann@kommune.no"  # and the audit log's «hvem» for


# --- the log ----------------------------------------------------------------------------------------


def test_the_server_log_names_pages_but_not_invitation_links_or_search_terms(
    settings: Settings, database_url: str, engine: sa.Engine, session: Session
) -> None:
    world = make_world(session, settings)
    admin = make_staff(session, Role.admin)
    link = world.links["3005"]
    token = link.rsplit("/", 1)[1]
    assert len(token) > 10, link
    fresh(session)
    with live_server(settings, database_url) as server:
        with httpx.Client(base_url=server.url, follow_redirects=False, timeout=60) as client:
            assert client.get(link).status_code == 303
            # A login page that would send the adviser back to an invitation link after signing in.
            assert client.get("/ansatt/logg-inn", params={"neste": link}).status_code == 200
            page = client.get("/ansatt/logg-inn")
            csrf = CSRF_RE.search(page.text)
            assert csrf, page.text[:500]
            signed_in = client.post(
                "/ansatt/logg-inn",
                data={"csrf_token": csrf.group(1), "email": admin.email, "password": PASSWORD},
            )
            assert signed_in.status_code == 303, signed_in.text
            free_text = f"/ansatt/runder/{world.round.id}/fritekst"
            found = client.get(free_text, params={"sporsmal": "tiltak", "sok": SEARCH})
            assert found.status_code == 200, found.text[:500]
            audit = client.get("/ansatt/logg", params={"hvem": WHO, "side": "1"})
            assert audit.status_code == 200, audit.text[:500]

        expected = [
            '"GET /i/[skjult] HTTP/1.1" 303',
            '"GET /ansatt/logg-inn?neste=%2Fi%2F[skjult] HTTP/1.1" 200',
            f'"GET {free_text}?sporsmal=tiltak&sok=[skjult] HTTP/1.1" 200',
            '"GET /ansatt/logg?hvem=[skjult]&side=1 HTTP/1.1" 200',
        ]
        # The access log line is written just after the answer is sent.
        deadline = time.monotonic() + 10
        while not all(line in server.log.read_text() for line in expected) and time.monotonic() < deadline:
            time.sleep(0.05)
        log = server.log.read_text()
    for line in expected:
        assert line in log, f"{line!r} not in the log:\n{log[-3000:]}"
    for secret in (token, "Nordmann", "nordmann", "Kari"):
        assert secret not in log, f"{secret!r} is in the log:\n{log[-3000:]}"


def test_records_keep_their_shape_and_tracebacks_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    # A record as uvicorn's access log makes it: the formatter reads the path from the arguments.
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/i/1-abcdef0123?s%6Fk=hemmelig&token=t0k&side=2", "1.1", 303),
        None,
    )
    assert RedactSecrets().filter(record)
    line = AccessFormatter(fmt="%(client_addr)s %(request_line)s %(status_code)s", use_colors=False).format(
        record
    )
    assert (
        line == "127.0.0.1:5000 GET /i/[skjult]?s%6Fk=[skjult]&token=[skjult]&side=2 HTTP/1.1 303 See Other"
    )

    # An error the app logs while serving an invitation link, with its traceback.
    logger = logging.getLogger("tests.logfilter")
    redacting = RedactSecrets()
    logger.addFilter(redacting)
    try:
        raise RuntimeError("kunne ikke åpne /i/1-abcdef0123")
    except RuntimeError:
        with caplog.at_level(logging.ERROR, logger=logger.name):
            logger.exception("unhandled error on %s %s", "GET", "/i/1-abcdef0123")
    finally:
        logger.removeFilter(redacting)
    assert "abcdef0123" not in caplog.text, caplog.text
    assert "unhandled error on GET /i/[skjult]" in caplog.text
    assert "RuntimeError: kunne ikke åpne /i/[skjult]" in caplog.text


def test_the_served_logging_writes_the_apps_own_errors_redacted() -> None:
    """``survey-app serve``'s logging set-up: an error the app logs (errors.py logs the path of a 500) goes
    through the same filter as the access log, not to Python's unfiltered last-resort handler."""
    script = (
        "import logging.config\n"
        "from survey_app.logfilter import log_config\n"
        "logging.config.dictConfig(log_config())\n"
        "logging.getLogger('survey_app.errors').error('unhandled error on %s %s', 'GET', '/i/1-abcdef0123')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert "unhandled error on GET /i/[skjult]" in done.stderr, done.stderr
    assert "abcdef0123" not in done.stderr + done.stdout


def test_install_puts_the_filter_on_the_server_and_app_loggers(caplog: pytest.LogCaptureFixture) -> None:
    """For an app served some other way than ``survey-app serve`` (``uvicorn --factory``, whose logging
    set-up has no filter): ``app_from_env`` installs the filter on the loggers themselves."""
    names = ["uvicorn.access", "uvicorn.error", "survey_app.errors"]
    loggers = [logging.getLogger(name) for name in names]
    before = [list(logger.filters) for logger in loggers]
    try:
        install()
        install()  # idempotent
        for logger in loggers:
            assert sum(isinstance(f, RedactSecrets) for f in logger.filters) == 1, logger.name
        with caplog.at_level(logging.INFO):
            for logger in loggers:
                # Directly, and on: a uvicorn served earlier in this process may have stopped its loggers
                # propagating, raised their level or disabled them.
                state = (logger.level, logger.disabled)
                logger.setLevel(logging.INFO)
                logger.disabled = False
                logger.addHandler(caplog.handler)
                logger.info("%s", "/ansatt/runder/1/fritekst?sok=Kari")
                logger.removeHandler(caplog.handler)
                logger.setLevel(state[0])
                logger.disabled = state[1]
        # (A propagating logger's record may be captured twice, once here and once at the root.)
        assert {r.name for r in caplog.records} == set(names)
        assert {r.getMessage() for r in caplog.records} == {"/ansatt/runder/1/fritekst?sok=[skjult]"}
    finally:
        for logger, filters in zip(loggers, before, strict=True):
            logger.filters[:] = filters


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/ansatt/runder/1/resultater?region=Hallingdal", "/ansatt/runder/1/resultater?region=Hallingdal"),
        ("/ansatt/runder/1/fritekst?sok=", "/ansatt/runder/1/fritekst?sok="),
        ("/api/runder/1/svar", "/api/runder/1/svar"),
        ("GET /i%2F1-abc HTTP/1.1", "GET /i%2F[skjult] HTTP/1.1"),
        ("Har kommunen en plan? Ja.", "Har kommunen en plan? Ja."),
    ],
)
def test_only_the_secret_parts_are_rewritten(text: str, expected: str) -> None:
    assert redact(text) == expected


# --- files ------------------------------------------------------------------------------------------


def survey_app(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """``survey-app --data-dir DATA_DIR ARGS`` in its own process, on SQLite in the data dir."""
    environment = {**os.environ, **(env or {})}
    for name in ("DATABASE_URL", "SURVEY_APP_DATABASE_URL", "SURVEY_APP_SECRET_KEY"):
        environment.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-c", "from survey_app.cli import app; app()", "--data-dir", str(data_dir), *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def mode(path: Path) -> str:
    return oct(stat.S_IMODE(path.stat().st_mode))


def test_the_data_dir_and_every_file_written_are_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    survey_app(data_dir, "init")
    assert mode(data_dir) == "0o700"

    sqlite_url = Settings(data_dir=data_dir, database_url=None).sqlalchemy_url
    engine = make_engine(sqlite_url)
    with Session(engine, expire_on_commit=False) as db:
        # The links from the data dir's own key, as on a server (a backup checks that they match).
        world = make_world(db, Settings(data_dir=data_dir, secret_key=None))
    engine.dispose()
    round_id = str(world.round.id)

    # The links into the data dir (as `demo` writes them), and to a folder of the administrator's choice.
    survey_app(
        data_dir, "invitations", "export", "--round", round_id, "--output", str(data_dir / "invitations.csv")
    )
    exported = tmp_path / "eksport" / "lenker.csv"
    survey_app(data_dir, "invitations", "export", "--round", round_id, "--output", str(exported))
    backup = tmp_path / "kopier" / "innspill.sqlite3"
    survey_app(data_dir, "backup", str(backup))

    # Written over, an older readable file becomes private too.
    exported.chmod(0o644)
    survey_app(data_dir, "invitations", "export", "--round", round_id, "--output", str(exported))

    assert {p.name for p in data_dir.iterdir()} == {"innspill.sqlite3", "secret_key", "invitations.csv"}
    for path in [*data_dir.iterdir(), exported, backup]:
        assert mode(path) == "0o600", f"{path}: {mode(path)}"
    assert urlsplit(exported.read_text().splitlines()[1].split(",")[-1]).path.startswith("/i/")
    for folder in (exported.parent, backup.parent):
        assert mode(folder) == "0o700", f"{folder}: {mode(folder)}"

    # Served: SQLite's -wal and -shm, made by the server, follow the database's mode.
    served = Settings(data_dir=data_dir, database_url=None)
    with live_server(served, sqlite_url) as server:
        assert httpx.get(f"{server.url}/healthz", timeout=30).status_code == 200
        files = {p.name: mode(p) for p in data_dir.iterdir() if p != server.log}  # the test's own log
    assert files == {
        name: "0o600"
        for name in (
            "innspill.sqlite3",
            "innspill.sqlite3-wal",
            "innspill.sqlite3-shm",
            "secret_key",
            "invitations.csv",
        )
    }, files
