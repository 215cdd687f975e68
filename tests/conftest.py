"""Test set-up: the app from create_app(test settings) on a real database.

SQLite (a file per test session) by default; PostgreSQL when SURVEY_APP_TEST_DATABASE_URL is set, as
.ci/run does. The schema comes from the Alembic migrations, and every test starts with empty tables.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, SQLModel

from survey_app.config import Settings
from survey_app.db import make_engine, upgrade
from survey_app.main import create_app

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"


def _test_database_url(tmp_dir: Path) -> str:
    url = os.environ.get("SURVEY_APP_TEST_DATABASE_URL")
    if url:
        return Settings(database_url=url).sqlalchemy_url
    return f"sqlite:///{tmp_dir / 'test.sqlite3'}"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "database: uses the test database chosen at run time (getfixturevalue), so it runs again on PostgreSQL",
    )
    config.addinivalue_line(
        "markers",
        "first_pass_only: checks what pages or files look like, the same on any database; not run again on "
        "PostgreSQL",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On PostgreSQL (CI's second pass) only the tests that use the test database run again.

    The rest (the analysis library, the command line's messages, the wheel, README's examples) would run
    exactly as in the SQLite pass before it; running them twice took CI past its 20 minutes. So would the
    checks marked ``first_pass_only``: the walk of every page and axe look at what a page shows, which the
    database engine does not change (the page tests on PostgreSQL check what the queries bring).
    """
    if not os.environ.get("SURVEY_APP_TEST_DATABASE_URL"):
        return
    keep: list[pytest.Item] = []
    again: list[pytest.Item] = []
    for item in items:
        uses = "database_url" in getattr(item, "fixturenames", ()) or item.get_closest_marker("database")
        (keep if uses and not item.get_closest_marker("first_pass_only") else again).append(item)
    if again:
        config.hook.pytest_deselected(items=again)
        items[:] = keep


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _test_database_url(tmp_path_factory.mktemp("db"))


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = make_engine(database_url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(autouse=True)
def _empty_tables(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "engine" not in request.fixturenames:
        return
    engine: sa.Engine = request.getfixturevalue("engine")
    with engine.begin() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        environment="test",
        data_dir=tmp_path,
        secret_key=TEST_SECRET,
        database_url=database_url,
        base_url="http://testserver",
    )


@pytest.fixture
def app(settings: Settings, engine: sa.Engine) -> FastAPI:
    return create_app(settings, engine=engine)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as client:
        yield client


@pytest.fixture
def session(engine: sa.Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


CSRF_RE = re.compile(r'"X-CSRF-Token": "([^"]+)"')


def csrf_of(client: TestClient, path: str = "/") -> str:
    """The CSRF token of this client's session, read from a page like a browser would."""
    page = client.get(path)
    match = CSRF_RE.search(page.text)
    assert match, page.text[:500]
    return match.group(1)


def fresh(session: Session) -> None:
    """Forget what this test's session has loaded, to see what the app has committed since."""
    session.rollback()
    session.expire_all()
