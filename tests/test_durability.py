"""Durability: what the browser was told is saved stays saved, through ``kill -9`` and under load.

These tests start the real server (``survey-app serve``) in a subprocess on this test run's database
(a SQLite file, or PostgreSQL when SURVEY_APP_TEST_DATABASE_URL is set) and talk to it over HTTP exactly
as the browser does: invitation link, session cookie, CSRF token, autosave POST.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx2 as httpx  # the maintained fork starlette 1.x tests with (pyproject: httpx2)
import sqlalchemy as sa
from bs4 import BeautifulSoup
from sqlmodel import Session, select

from survey_app.config import Settings
from survey_app.db import begin_write, make_engine
from survey_app.models import Answer, County, Municipality, Response
from survey_app.services import backup
from tests.conftest import CSRF_RE, TEST_SECRET, fresh
from tests.factories import make_world

HTMX = {"HX-Request": "true"}
SAVED = "Lagret kl."
STARTUP_SECONDS = 90  # generous: a loaded CI machine imports slowly


# --- a live server ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class LiveServer:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def kill_9(self) -> None:
        """SIGKILL: no shutdown handler, no flush, nothing the app could still do."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def server_errors(self) -> list[str]:
        """Requests answered 5xx, and tracebacks, from the server's log."""
        lines = self.log.read_text(errors="replace").splitlines()
        return [line for line in lines if re.search(r'HTTP/[\d.]+" 5\d\d|Traceback', line)]


def _command() -> list[str]:
    script = Path(sys.executable).with_name("survey-app")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from survey_app.cli import app; app()"]


@contextmanager
def live_server(settings: Settings, database_url: str, *, workers: int = 1) -> Iterator[LiveServer]:
    """``survey-app serve`` on a free port, on this test's database; stopped (its whole group) afterwards.

    End the test's own transaction first (``fresh``): the server upgrades the schema as it starts, and on
    PostgreSQL a migration would wait for the locks of an idle transaction.
    """
    env = {
        **os.environ,
        "SURVEY_APP_DATA_DIR": str(settings.data_dir),
        "DATABASE_URL": database_url,
        "SURVEY_APP_SECRET_KEY": TEST_SECRET,
        "SURVEY_APP_ENVIRONMENT": "test",
    }
    env.pop("SURVEY_APP_DATABASE_URL", None)
    server = None
    for attempt in range(3):  # another process may grab the free port before the server binds it
        port = free_port()
        log = settings.data_dir / f"server-{port}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [*_command(), "serve", "--port", str(port), "--workers", str(workers)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so the workers go with it
            )
        server = LiveServer(process, f"http://127.0.0.1:{port}", log)
        if _wait_until_ready(server):
            break
        died = server.process.poll() is not None
        _stop(server)
        # Only a server that exited (a port taken meanwhile) is tried again; a slow one is a finding.
        assert died and attempt < 2, f"the server did not start:\n{server.log_tail()}"
    assert server is not None
    try:
        yield server
    finally:
        _stop(server)


def _wait_until_ready(server: LiveServer) -> bool:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return False
        try:
            if httpx.get(f"{server.url}/healthz", timeout=5).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    return False


def _stop(server: LiveServer) -> None:
    # No graceful shutdown: it only costs time (seconds with two workers), and what was acknowledged is
    # committed anyway, which is what these tests are about. The group takes the workers along.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.process.pid, signal.SIGKILL)
    server.process.wait(timeout=30)


# --- the browser's way through ----------------------------------------------------------------------


def browser(server: LiveServer, cookies: httpx.Cookies | None = None) -> httpx.Client:
    return httpx.Client(base_url=server.url, follow_redirects=False, timeout=60, cookies=cookies)


def enter(client: httpx.Client, link: str) -> str:
    """Open the invitation link; returns the CSRF token the page gives this session."""
    r = client.get(link)
    assert r.status_code == 303, r.text
    page = client.get("/svar")
    assert page.status_code == 200, page.text
    match = CSRF_RE.search(page.text)
    assert match, page.text[:500]
    return match.group(1)


def autosave(client: httpx.Client, csrf: str, question_id: str, value: str, base: int) -> httpx.Response:
    """What htmx sends when a field changes: the value and the version the page was showing."""
    return client.post(
        f"/svar/sporsmal/{question_id}",
        data={question_id: value, f"v:{question_id}": str(base)},
        headers={**HTMX, "X-CSRF-Token": csrf},
    )


def stored(session: Session, response_id: int | None) -> dict[str, object]:
    fresh(session)
    return {
        a.question_id: a.value for a in session.exec(select(Answer).where(Answer.response_id == response_id))
    }


def check_integrity(engine: sa.Engine) -> None:
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"


# --- no waiting for a connection --------------------------------------------------------------------


def test_a_save_never_waits_for_a_free_connection(database_url: str, engine: sa.Engine) -> None:
    """Every request in flight holds its pooled connection until it has answered, and autosave runs on the
    event loop. If begin_write() needed a second connection from a pool held by requests waiting for that
    loop, the save waited 30 s and failed (seen once with 50 clients). On SQLite the pool never runs out;
    on PostgreSQL begin_write keeps the connection it has.
    """
    tight = make_engine(database_url, pool_timeout=1)
    returned: list[object] = []
    sa.event.listen(tight, "checkin", lambda *_: returned.append(1))
    busy = 20 if tight.dialect.name == "sqlite" else 0  # PostgreSQL's pool is bounded on purpose
    held = [tight.connect() for _ in range(busy)]
    try:
        with Session(tight) as session:
            session.exec(select(Municipality)).all()  # the request's reads
            before = len(returned)
            begin_write(session)
            if tight.dialect.name != "sqlite":
                assert len(returned) == before, "begin_write gave its connection back to the pool"
            session.add(Municipality(county_id=county_id(session), kommunenummer="9999", name="Ny"))
            session.commit()
    finally:
        for conn in held:
            conn.close()
        tight.dispose()


def county_id(session: Session) -> int:
    county = County(name="Testfylket")
    session.add(county)
    session.flush()
    assert county.id is not None
    return county.id


# --- kill -9 ----------------------------------------------------------------------------------------


def test_an_acknowledged_autosave_survives_kill_9(
    session: Session, settings: Settings, database_url: str, engine: sa.Engine
) -> None:
    world = make_world(session, settings)
    response_id = world.response(session, "3005").id
    fresh(session)
    typed = {"kommentar": 0}  # the last draft of the comment that the server acknowledged
    problems: list[str] = []
    with live_server(settings, database_url) as server, browser(server) as client:
        csrf = enter(client, world.link("3005"))
        for question_id, value in [("politikk", "ja"), ("vedtaksar", "2015"), ("stilling", "Rådgiver")]:
            r = autosave(client, csrf, question_id, value, 0)
            assert r.status_code == 200 and SAVED in r.text, r.text

        # A colleague keeps typing; the server dies while saves are in flight.
        stop = threading.Event()

        def keep_typing() -> None:
            with browser(server, client.cookies) as colleague:
                draft = 1
                while not stop.is_set():
                    try:
                        r = autosave(colleague, csrf, "kommentar", f"utkast {draft}", draft - 1)
                    except httpx.TransportError:
                        return  # the server is gone: this save was never acknowledged
                    if r.status_code != 200 or SAVED not in r.text:
                        problems.append(f"{r.status_code} {r.text[:300]}")
                        return
                    typed["kommentar"] = draft
                    draft += 1

        typist = threading.Thread(target=keep_typing)
        typist.start()
        deadline = time.monotonic() + 60
        while typed["kommentar"] < 5 and typist.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        server.kill_9()
        stop.set()
        typist.join(timeout=60)
        acknowledged = typed["kommentar"]
        assert not problems and acknowledged >= 5, f"{problems}\n{server.log_tail()}"

    # Restarted, the same browser session finds everything it was told was saved.
    with live_server(settings, database_url) as server, browser(server, client.cookies) as again:
        first = BeautifulSoup(again.get("/svar/del/del1").text, "html.parser")
        assert first.find("input", attrs={"name": "politikk", "value": "ja"}).has_attr("checked")
        assert first.find("input", attrs={"name": "vedtaksar"})["value"] == "2015"
        second = BeautifulSoup(again.get("/svar/del/del2").text, "html.parser")
        assert second.find("input", attrs={"name": "stilling"})["value"] == "Rådgiver"
        comment = second.find("textarea", attrs={"name": "kommentar"}).get_text()
    # The draft in flight at the kill may or may not have landed; no acknowledged one may be missing.
    assert comment.startswith("utkast ") and int(comment.split()[1]) in (acknowledged, acknowledged + 1)
    values = stored(session, response_id)
    assert values == {"politikk": "ja", "vedtaksar": 2015, "stilling": "Rådgiver", "kommentar": comment}
    check_integrity(engine)


# --- many municipalities at once --------------------------------------------------------------------

CLIENTS = 50
# One municipality's saves, in order, as the browser sends them: (question, value, base version).
SAVES = [
    ("stilling", "Koordinator {nr}", 0),
    ("kommentar", "Første utkast fra {nr}", 0),
    ("enighet", "3", 0),
    ("kommentar", "Andre utkast fra {nr}", 1),
    ("kommentar", "Ferdig tekst fra {nr}", 2),
    ("enighet", "4", 1),
]
EXPECTED = {"stilling": "Koordinator {nr}", "kommentar": "Ferdig tekst fra {nr}", "enighet": 4}


@dataclass
class Saves:
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def many_municipalities(session: Session, settings: Settings, count: int) -> dict[str, str]:
    """A round with ``count`` municipalities; their invitation links by kommunenummer."""
    csv_text = "kommunenummer,name,region\n" + "".join(
        f"{5000 + i},Kommune {i},Region {i % 5}\n" for i in range(count)
    )
    return make_world(session, settings, register_csv=csv_text).links


def test_fifty_municipalities_autosaving_at_once_lose_nothing(
    session: Session, settings: Settings, database_url: str, engine: sa.Engine
) -> None:
    links = many_municipalities(session, settings, CLIENTS)
    fresh(session)
    saves = Saves()
    start = threading.Barrier(CLIENTS + 1)

    def municipality(server: LiveServer, nr: str) -> None:
        try:
            with browser(server) as opening:
                csrf = enter(opening, links[nr])
                cookies = opening.cookies
        except BaseException:
            start.abort()  # let the others fail at once instead of waiting for this one
            raise
        start.wait(timeout=120)
        # A new connection: the opening one may have idled past the server's keep-alive meanwhile.
        with browser(server, cookies) as client:
            for question_id, value, base in SAVES:
                began = time.perf_counter()
                r = autosave(client, csrf, question_id, value.format(nr=nr), base)
                took = time.perf_counter() - began
                with saves.lock:
                    saves.latencies.append(took)
                    if r.status_code != 200 or SAVED not in r.text:
                        saves.failures.append(f"{nr} {question_id}: {r.status_code} {r.text[:300]}")

    with live_server(settings, database_url, workers=2) as server, ThreadPoolExecutor(CLIENTS) as pool:
        running = [pool.submit(municipality, server, nr) for nr in links]
        start.wait(timeout=120)  # every session is open: now they all save at once
        began = time.perf_counter()
        # A backup taken meanwhile is a consistent database (SQLite's backup API, or pg_dump).
        made = backup.backup(
            engine=engine, settings=settings, target=settings.data_dir / "under-last.backup", actor="test"
        )
        for done in running:
            done.result(timeout=300)
        wall = time.perf_counter() - began
        errors = server.server_errors()

    assert not saves.failures, "\n".join(saves.failures[:10])
    assert not errors, "\n".join(errors[:10])
    fresh(session)
    by_nr = {m.id: m.kommunenummer for m in session.exec(select(Municipality))}
    found = {by_nr[r.municipality_id]: stored(session, r.id) for r in session.exec(select(Response)).all()}
    assert found == {
        nr: {k: v.format(nr=nr) if isinstance(v, str) else v for k, v in EXPECTED.items()} for nr in links
    }
    assert all(r.version == len(SAVES) for r in session.exec(select(Response))), (
        "every acknowledged save bumped its response's version exactly once"
    )
    check_integrity(engine)
    assert backup.inspect_file(made.file.path).revision == made.file.revision

    lat = sorted(saves.latencies)
    print(
        f"\n{len(lat)} autosaves from {CLIENTS} municipalities on {engine.dialect.name}, 2 workers: "
        f"{len(lat) / wall:.0f}/s; latency p50 {statistics.median(lat) * 1000:.0f} ms, "
        f"p95 {lat[int(0.95 * len(lat))] * 1000:.0f} ms, max {lat[-1] * 1000:.0f} ms"
    )
