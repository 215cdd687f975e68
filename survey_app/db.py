"""Engine creation and schema upgrades. SQLite is the embedded default, PostgreSQL the server choice."""

from __future__ import annotations

import asyncio
import sqlite3
import time
import warnings
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlmodel import Session

if TYPE_CHECKING:
    # Alembic is loaded when the schema is brought up to date, not by every command that opens the database.
    from alembic.config import Config

IMMEDIATE = "innspill_immediate"
BUSY_TIMEOUT_MS = 30_000
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# PostgreSQL connections per process: kept open, and opened more at the busiest (Settings has the same).
POOL_SIZE = 20
MAX_OVERFLOW = 10


def make_engine(url: str, **kwargs: Any) -> sa.Engine:
    """An engine with the pragmas SQLite needs to be a safe multi-process store."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000})
        # Never make a request wait for the pool: a request holds its connection until it has answered,
        # and begin_write() checks one out again, so a bounded pool could wait 30 s for connections held
        # by requests that are waiting themselves (seen under load, when writes still ran on the event
        # loop, as a 500 after a 30 s stall). SQLite connections are cheap; SQLite itself queues writers.
        kwargs.setdefault("max_overflow", -1)
        engine = sa.create_engine(url, **kwargs)

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy, not the driver, begin transactions (SQLAlchemy's documented recipe), so
            # savepoints work and a writer can ask for BEGIN IMMEDIATE.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            # WAL lets readers go on while one writer commits; with it, NORMAL sync is still durable
            # against a process crash (an acknowledged commit is in the WAL file).
            if ":memory:" not in url and "mode=memory" not in url:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cur.close()

        @sa.event.listens_for(engine, "begin")
        def _sqlite_begin(conn: sa.Connection) -> None:
            # A write transaction takes the write lock up front: a deferred one that read first could
            # fail at once (SQLITE_BUSY) instead of waiting when another process wrote in between.
            if conn.get_execution_options().get(IMMEDIATE, False):
                _begin_immediate(conn.connection.dbapi_connection)
            else:
                conn.exec_driver_sql("BEGIN")

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", POOL_SIZE)
    kwargs.setdefault("max_overflow", MAX_OVERFLOW)
    return sa.create_engine(url, **kwargs)


def _begin_immediate(dbapi_conn: Any) -> None:
    """BEGIN IMMEDIATE, retrying every millisecond while another writer holds the lock (up to 30 s).

    SQLite's own busy handler sleeps in growing steps of up to 100 ms and is not woken when the lock is
    freed: with 50 municipalities saving at once (tests/test_durability.py), writers waited up to 0.35 s
    for a lock held ~2 ms at a time. Polling keeps the wait close to the real queue (tens of ms at most).

    The wait is a blocking ``time.sleep``, which is right only in a thread of its own: on the event loop it
    would stop every request of the process for as long as the lock is held elsewhere. It runs only through
    ``begin_write``, which only sync code calls: sync routes (FastAPI runs them in its thread pool; form
    routes read the form on the loop through ``forms.FormDataDep`` and are sync for this reason), the mail
    sender's thread (services/outbox.py) and the command line. ``begin_write`` warns if called on the loop.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    dbapi_conn.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                dbapi_conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() >= deadline:
                    raise
            time.sleep(0.001)
    finally:
        dbapi_conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def alembic_config(engine: sa.Engine) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: sa.Engine) -> None:
    """Bring the schema up to the newest migration (idempotent)."""
    if engine.url.drivername.startswith("sqlite") and engine.url.database:
        Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)
    from alembic import command

    command.upgrade(alembic_config(engine), "head")


def begin_write(session: Session) -> None:
    """Start a write transaction (ending any read transaction first; loaded objects stay usable).

    Never on the event loop (an ``async def`` route or dependency): waiting for the write lock blocks
    (``_begin_immediate``; on PostgreSQL, a locked row), and on the loop it would hold up every request.
    Doing so warns, which fails the test suite (warnings are errors there).
    """
    if _on_event_loop():
        warnings.warn(
            "begin_write() on the event loop: a write waits for its lock and would stall every request; "
            "make the route or dependency a plain def (forms.FormDataDep reads a form for it)",
            RuntimeWarning,
            stacklevel=2,
        )
    if session.get_bind().dialect.name != "sqlite":
        # PostgreSQL locks rows as they are written and each statement reads what is committed, so the
        # transaction goes on. The session keeps its connection: returning it to the pool and checking
        # one out again could wait for connections held by requests that wait for this one.
        return
    session.commit()
    session.connection(execution_options={IMMEDIATE: True})


# The event loops that serve the app (create_app's lifespan adds its own). Only these count: a test's or a
# browser driver's loop in the same process runs no request.
_SERVING_LOOPS: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()


def serving_here() -> None:
    """Mark the running event loop as one that serves requests (called from the app's lifespan)."""
    _SERVING_LOOPS.add(asyncio.get_running_loop())


def _on_event_loop() -> bool:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return False  # a worker thread, the mail sender or the command line
    return loop in _SERVING_LOOPS


def session_scope(engine: sa.Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@sa.event.listens_for(sa.Engine, "before_cursor_execute", retval=True)
def _without_nul(
    conn: sa.Connection, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> tuple[str, Any]:
    """Every engine: NUL characters are removed from text sent to the database.

    PostgreSQL cannot store NUL in text at all (a form field with one was a 500 there); removing it on
    SQLite too keeps both databases holding the same text. No person types NUL; answers already lose
    their control characters in forms.py. JSON is sent as escaped text and is not affected.
    """
    return statement, _strip_nul(parameters) if _has_nul(parameters) else parameters


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(v) for v in value.values())
    return isinstance(value, list | tuple) and any(_has_nul(v) for v in value)


def _strip_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {k: _strip_nul(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_strip_nul(v) for v in value)
    return value
