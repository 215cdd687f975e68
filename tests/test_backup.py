"""``survey-app backup FILE`` and ``survey-app restore FILE``: a round trip on this test run's database
(SQLite, or PostgreSQL when SURVEY_APP_TEST_DATABASE_URL is set), and the checks a restore makes first.
"""

from __future__ import annotations

import sqlite3
import tarfile
from contextlib import closing
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select
from typer.testing import CliRunner, Result

from survey_app import audit
from survey_app.cli import app
from survey_app.config import Settings
from survey_app.db import alembic_config, make_engine
from survey_app.models import Answer, AuditEvent, Role, StaffUser
from survey_app.services import backup, responses
from tests.conftest import fresh
from tests.factories import World, make_staff, make_world

runner = CliRunner()


def cli(settings: Settings, *args: str, database_url: str | None = "") -> Result:
    """``survey-app --data-dir <tmp> …`` on this test's database (or, with ``database_url=None``, SQLite in
    the data dir)."""
    url = settings.database_url if database_url == "" else database_url
    # The key the app runs with (tests' settings: as SURVEY_APP_SECRET_KEY; else the data dir's file).
    env = {"DATABASE_URL": url, "SURVEY_APP_DATABASE_URL": None, "SURVEY_APP_SECRET_KEY": settings.secret_key}
    return runner.invoke(app, ["--data-dir", str(settings.data_dir), *args], env=env)


def ok(result: Result) -> Result:
    assert result.exit_code == 0, f"exit {result.exit_code}\n{result.output}\n{result.exception!r}"
    return result


def answers(session: Session, world: World) -> dict[str, object]:
    fresh(session)
    response = world.response(session, "3005")
    found = {
        a.question_id: a.value for a in session.exec(select(Answer).where(Answer.response_id == response.id))
    }
    fresh(session)  # no transaction left open: a PostgreSQL restore drops and recreates the tables
    return found


def head(engine: sa.Engine) -> str:
    revision = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    assert revision is not None
    return revision


def test_backup_then_restore_brings_the_data_back(
    session: Session, settings: Settings, engine: sa.Engine, client: TestClient, tmp_path: Path
) -> None:
    world = make_world(session, settings)
    draft = responses.load_draft(session, response_id=world.response(session, "3005").id or 0)
    responses.save(session, draft=draft, changes={"politikk": ("ja", 0), "kommentar": ("Før", 0)}, editor="")
    saved = answers(session, world)
    file = tmp_path / "kopi" / "innspill.backup"

    result = ok(cli(settings, "backup", str(file)))
    assert result.stdout.startswith(f"Sikkerhetskopi skrevet til {file} ("), result.stdout
    assert f"databaseversjon {head(engine)})" in result.stdout
    refused = cli(settings, "backup", str(file))
    assert refused.exit_code == 1 and "finnes allerede" in refused.stderr, refused.output

    # After the backup: an answer changed, one deleted, a user added.
    draft = responses.load_draft(session, response_id=world.response(session, "3005").id or 0)
    responses.save(session, draft=draft, changes={"kommentar": ("Etter", 1)}, editor="")
    session.delete(session.get(Answer, draft.answers["politikk"].id))
    session.commit()
    make_staff(session, Role.admin)
    assert answers(session, world) == {"kommentar": "Etter"}

    refused = cli(settings, "restore", str(file))
    assert refused.exit_code == 1, refused.output
    assert "Databasen har allerede data" in refused.stderr and "--ja" in refused.stderr, refused.stderr
    assert answers(session, world) == {"kommentar": "Etter"}, "refused means untouched"

    result = ok(cli(settings, "restore", str(file), "--ja"))
    first, *rest = result.stdout.splitlines()
    assert first == f"Databasen er gjenopprettet fra {file} (databaseversjon {head(engine)}).", result.stdout
    assert "  Nøkkelen i SURVEY_APP_SECRET_KEY brukes og stemmer." in rest
    assert "Invitasjonslenkene virker." in rest, result.stdout
    assert answers(session, world) == saved
    assert session.exec(select(func.count()).select_from(StaffUser)).one() == 0
    restored = session.exec(select(AuditEvent).where(AuditEvent.action == "database.restore")).one()
    assert restored.actor == audit.SYSTEM and restored.details["revision"] == head(engine)
    fresh(session)

    # The running app goes on with the restored data.
    r = client.get(world.link("3005"))
    assert r.status_code == 303, r.text
    page = client.get("/svar/del/del2")
    assert page.status_code == 200 and ">Før</textarea>" in page.text


def test_restore_of_an_old_backup_into_a_new_place_ends_at_the_newest_migration(tmp_path: Path) -> None:
    old_settings = Settings(data_dir=tmp_path / "gammel", database_url=None)
    old = make_engine(old_settings.sqlalchemy_url)
    Path(old.url.database or "").parent.mkdir(parents=True)
    command.upgrade(alembic_config(old), "0001")
    with old.begin() as conn:
        conn.execute(sa.text("INSERT INTO county (name) VALUES ('Gamle fylke')"))
    old.dispose()
    file = tmp_path / "gammel.backup"
    ok(cli(old_settings, "backup", str(file), database_url=None))

    # A new server: no database yet, so nothing to confirm.
    new_settings = Settings(data_dir=tmp_path / "ny", database_url=None)
    result = ok(cli(new_settings, "restore", str(file), database_url=None))
    new = make_engine(new_settings.sqlalchemy_url)
    try:
        assert "oppgradert fra databaseversjon 0001" in result.stdout, result.stdout
        with new.connect() as conn:
            assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one() == head(new)
            assert conn.execute(sa.text("SELECT name FROM county")).scalar_one() == "Gamle fylke"
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    finally:
        new.dispose()


def test_restore_checks_the_file_before_touching_anything(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url=None)
    ok(cli(settings, "init", database_url=None))
    file = tmp_path / "innspill.backup"
    ok(cli(settings, "backup", str(file), database_url=None))

    not_a_backup = tmp_path / "notater.txt"
    not_a_backup.write_text("hei")
    result = cli(settings, "restore", str(not_a_backup), "--ja", database_url=None)
    assert result.exit_code == 1
    assert f"{not_a_backup} er ikke en sikkerhetskopi fra Innspill" in result.stderr, result.output

    # A plain database file, as backups were before they held the key, from a newer Innspill.
    plain = tmp_path / "innspill.sqlite3"
    with tarfile.open(file) as tar:
        database = tar.extractfile("database.sqlite3")
        assert database is not None
        plain.write_bytes(database.read())
    with closing(sqlite3.connect(plain)) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_fra_fremtiden'")
        conn.commit()
    result = cli(settings, "restore", str(plain), "--ja", database_url=None)
    assert result.exit_code == 1
    assert "nyere versjon av Innspill (databaseversjon 9999_fra_fremtiden)" in result.stderr, result.output

    # An archive whose database is not the one its manifest names.
    swapped = tmp_path / "byttet.tar"
    with tarfile.open(file) as tar, tarfile.open(swapped, "w") as out:
        for member in tar.getmembers():
            if member.name == "database.sqlite3":
                member.size = plain.stat().st_size
                with plain.open("rb") as db:
                    out.addfile(member, db)
            else:
                out.addfile(member, tar.extractfile(member))
    result = cli(settings, "restore", str(swapped), "--ja", database_url=None)
    assert result.exit_code == 1
    assert f"{swapped} er skadet: databasen i den stemmer ikke med manifest.json" in result.stderr, (
        result.output
    )

    with closing(sqlite3.connect(settings.data_dir / "innspill.sqlite3")) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] != "9999_fra_fremtiden"


def test_postgresql_backup_without_pg_dump_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(backup, "PG_BIN_GLOB", str(tmp_path / "postgresql" / "*" / "bin"))
    settings = Settings(data_dir=tmp_path, database_url=None)
    file = tmp_path / "innspill.backup"
    result = cli(settings, "backup", str(file), database_url="postgresql://innspill@127.0.0.1:9/innspill")
    assert result.exit_code == 1
    assert "Fant ikke programmet pg_dump" in result.stderr, result.output
    assert "postgresql-client" in result.stderr
    assert not file.exists() and list(tmp_path.iterdir()) == [], "no half-written file is left behind"
