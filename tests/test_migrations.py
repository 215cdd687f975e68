"""The schema comes from Alembic migrations, and they match the models exactly."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from survey_app.db import make_engine, upgrade


def test_migrations_run_up_from_empty_and_twice(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    upgrade(engine)
    upgrade(engine)  # idempotent: start-up and `init` may both run it
    tables = set(sa.inspect(engine).get_table_names())
    assert {
        "county",
        "region",
        "municipality",
        "staff_user",
        "questionnaire_version",
        "round",
        "invitation",
        "response",
        "answer",
        "audit_event",
        "alembic_version",
    } <= tables


def test_models_and_migrations_agree(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == [], "the models changed without a migration: generate one (see README, Development)"


def test_sqlite_runs_in_wal_with_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'wal.sqlite3'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
