"""A backup holds everything the data needs: restored into a fresh data dir and an empty database, the
invitation links sent out before still open the form. Without the key, or with another one, a restore says
so and refuses before it touches anything.

On this test run's database (SQLite, or PostgreSQL when SURVEY_APP_TEST_DATABASE_URL is set); the restore
goes into an empty SQLite file in the new data dir, or a new PostgreSQL database beside the test's.
"""

from __future__ import annotations

import csv
import json
import secrets
import shutil
import stat
import tarfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session
from typer.testing import CliRunner, Result

from survey_app.cli import app
from survey_app.config import Settings
from survey_app.main import create_app
from survey_app.services import backup
from tests.factories import make_world

runner = CliRunner()
TRAINING = '{"text": "Vi trenger flere boliger", "themes": ["bolig"]}\n'


def cli(data_dir: Path, *args: str, database_url: str | None, secret_key: str | None = None) -> Result:
    """``survey-app --data-dir DATA_DIR …`` as a county's server runs it: the key from the data dir unless
    ``secret_key`` stands for SURVEY_APP_SECRET_KEY."""
    env = {"DATABASE_URL": database_url, "SURVEY_APP_DATABASE_URL": None, "SURVEY_APP_SECRET_KEY": secret_key}
    return runner.invoke(app, ["--data-dir", str(data_dir), *args], env=env)


def ok(result: Result) -> Result:
    assert result.exit_code == 0, f"exit {result.exit_code}\n{result.output}\n{result.exception!r}"
    return result


@pytest.fixture
def empty_database(engine: sa.Engine) -> Iterator[str | None]:
    """The DATABASE_URL to restore into: None (SQLite in the new data dir) or a new PostgreSQL database."""
    if engine.dialect.name != "postgresql":
        yield None
        return
    name = f"innspill_gjenoppretting_{secrets.token_hex(4)}"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield engine.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))


def member(tar: tarfile.TarFile, name: str) -> bytes:
    fh = tar.extractfile(name)
    assert fh is not None, name
    return fh.read()


def tables(database_url: str | None, data_dir: Path) -> list[str]:
    """The tables in the restore's target (none when nothing was restored)."""
    if database_url is None:
        if not (data_dir / "innspill.sqlite3").exists():
            return []
        database_url = f"sqlite:///{data_dir / 'innspill.sqlite3'}"
    engine = sa.create_engine(database_url, poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            return sorted(sa.inspect(conn).get_table_names())
    finally:
        engine.dispose()


@pytest.fixture
def old_server(session: Session, database_url: str, tmp_path: Path) -> tuple[Path, str]:
    """A server with its key in its data dir, a round with invitations and a trained theme model's codings;
    its links exported with ``invitations export`` as a county sends them. Returns (data dir, one link)."""
    data_dir = tmp_path / "gammel"
    settings = Settings(
        environment="test", data_dir=data_dir, secret_key=None, database_url=database_url, base_url="http://x"
    )
    world = make_world(session, settings)
    (data_dir / "theme_training.jsonl").write_text(TRAINING, encoding="utf-8")
    links = tmp_path / "lenker.csv"
    ok(
        cli(
            data_dir,
            "invitations",
            "export",
            "--round",
            str(world.round.id),
            "--output",
            str(links),
            database_url=database_url,
        )
    )
    with links.open(encoding="utf-8") as fh:
        rows = sorted(csv.DictReader(fh), key=lambda r: r["kommunenummer"])
    return data_dir, rows[0]["url"]


def take_backup(data_dir: Path, database_url: str, target: Path) -> Path:
    result = ok(cli(data_dir, "backup", str(target), database_url=database_url))
    assert "Den hemmelige nøkkelen" in result.stdout and "oppbevar filen like trygt" in result.stdout, (
        result.stdout
    )
    return target


def opens_the_form(data_dir: Path, database_url: str | None, link: str) -> None:
    settings = Settings(
        environment="test",
        data_dir=data_dir,
        secret_key=None,
        database_url=database_url,
        base_url="http://testserver",
    )
    with TestClient(create_app(settings), follow_redirects=False) as client:
        r = client.get(urlsplit(link).path)
        assert r.status_code == 303, r.text
        assert urlsplit(r.headers["location"]).path == "/svar", r.headers
        assert "Lenken er ikke gyldig" not in client.get(r.headers["location"]).text


def test_a_restored_backup_opens_the_links_sent_before(
    old_server: tuple[Path, str], database_url: str, empty_database: str | None, tmp_path: Path
) -> None:
    old_dir, link = old_server
    file = take_backup(old_dir, database_url, tmp_path / "kopier" / "innspill.tar")
    assert stat.S_IMODE(file.stat().st_mode) == 0o600, "the file holds the key"

    key = (old_dir / "secret_key").read_text().strip()
    with tarfile.open(file) as tar:
        names = tar.getnames()
        manifest = json.loads(member(tar, "manifest.json"))
    kind = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    assert names == [
        "manifest.json",
        backup.DATABASE_MEMBERS[kind],
        "secret_key",
        "files/theme_training.jsonl",
    ]
    assert manifest["format_version"] == 1 and manifest["database"] == kind
    assert manifest["rows"]["invitation"] == 3 and manifest["rows"]["municipality"] == 3
    assert manifest["key"] == {"source": "data_dir", "fingerprint": backup.fingerprint(key)}
    assert key not in json.dumps(manifest)

    new_dir = tmp_path / "ny"
    result = ok(cli(new_dir, "restore", str(file), database_url=empty_database))
    assert f"Nøkkelen fra sikkerhetskopien er skrevet til {new_dir / 'secret_key'}." in result.stdout
    assert "Filer i datamappen: theme_training.jsonl." in result.stdout
    assert "Radene stemmer med sikkerhetskopien:" in result.stdout and "invitation 3" in result.stdout
    assert "Invitasjonslenkene virker." in result.stdout, result.stdout
    assert (new_dir / "secret_key").read_text().strip() == key
    assert stat.S_IMODE((new_dir / "secret_key").stat().st_mode) == 0o600
    assert (new_dir / "theme_training.jsonl").read_text(encoding="utf-8") == TRAINING

    opens_the_form(new_dir, empty_database, link)


def test_an_old_backup_without_the_key_is_refused_until_the_key_is_in_place(
    old_server: tuple[Path, str], database_url: str, empty_database: str | None, tmp_path: Path
) -> None:
    old_dir, link = old_server
    archive = take_backup(old_dir, database_url, tmp_path / "innspill.tar")
    # The database alone, as `survey-app backup` wrote it before the key went into the backup.
    kind = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    plain = tmp_path / "innspill.backup"
    with tarfile.open(archive) as tar:
        plain.write_bytes(member(tar, backup.DATABASE_MEMBERS[kind]))

    new_dir = tmp_path / "ny"
    refused = cli(new_dir, "restore", str(plain), database_url=empty_database)
    assert refused.exit_code == 1, refused.output
    assert f"{plain} har ikke den hemmelige nøkkelen invitasjonslenkene er laget med" in refused.stderr
    assert "«Lenken er ikke gyldig»" in refused.stderr
    assert f"Legg den gamle nøkkelfilen i {new_dir / 'secret_key'}" in refused.stderr, refused.stderr
    assert "SURVEY_APP_SECRET_KEY" in refused.stderr and "Traceback" not in refused.output
    assert tables(empty_database, new_dir) == [], "refused means untouched"

    new_dir.mkdir(exist_ok=True)
    shutil.copy(old_dir / "secret_key", new_dir / "secret_key")  # what the message says to do
    result = ok(cli(new_dir, "restore", str(plain), database_url=empty_database))
    assert f"nøkkelen i {new_dir / 'secret_key'} brukes" in result.stdout
    assert "Invitasjonslenkene virker." in result.stdout, result.stdout
    opens_the_form(new_dir, empty_database, link)


def test_a_different_key_in_the_environment_is_refused(
    old_server: tuple[Path, str], database_url: str, empty_database: str | None, tmp_path: Path
) -> None:
    old_dir, _ = old_server
    file = take_backup(old_dir, database_url, tmp_path / "innspill.tar")
    other = secrets.token_urlsafe(48)
    new_dir = tmp_path / "ny"
    refused = cli(new_dir, "restore", str(file), database_url=empty_database, secret_key=other)
    assert refused.exit_code == 1, refused.output
    key = (old_dir / "secret_key").read_text().strip()
    assert (
        f"SURVEY_APP_SECRET_KEY er ikke nøkkelen sikkerhetskopien ble tatt med (fingeravtrykk "
        f"{backup.fingerprint(other)}, sikkerhetskopien har {backup.fingerprint(key)})"
    ) in refused.stderr, refused.stderr
    assert tables(empty_database, new_dir) == [] and not (new_dir / "secret_key").exists()

    # The same key in the environment: restored, and nothing written to the data dir.
    result = ok(cli(new_dir, "restore", str(file), database_url=empty_database, secret_key=key))
    assert "Nøkkelen i SURVEY_APP_SECRET_KEY brukes og stemmer." in result.stdout
    assert "Invitasjonslenkene virker." in result.stdout and not (new_dir / "secret_key").exists()


def test_a_different_key_in_the_data_dir_is_replaced_only_when_asked_and_kept_beside(
    old_server: tuple[Path, str], database_url: str, empty_database: str | None, tmp_path: Path
) -> None:
    old_dir, link = old_server
    file = take_backup(old_dir, database_url, tmp_path / "innspill.tar")
    new_dir = tmp_path / "ny"
    new_dir.mkdir()
    (new_dir / "secret_key").write_text("en-annen-nokkel-som-er-lang-nok-0123456789")
    refused = cli(new_dir, "restore", str(file), database_url=empty_database)
    assert refused.exit_code == 1 and "har en annen nøkkel enn sikkerhetskopien" in refused.stderr, (
        refused.output
    )
    assert "--ja" in refused.stderr and tables(empty_database, new_dir) == []

    result = ok(cli(new_dir, "restore", str(file), "--ja", database_url=empty_database))
    assert "er byttet med den fra sikkerhetskopien. Den gamle nøkkelen er lagt i" in result.stdout
    (kept,) = new_dir.glob("secret_key.erstattet-*")
    assert kept.read_text() == "en-annen-nokkel-som-er-lang-nok-0123456789"
    assert "Invitasjonslenkene virker." in result.stdout
    opens_the_form(new_dir, empty_database, link)


def test_a_backup_taken_without_the_services_key_fails_loudly(
    old_server: tuple[Path, str], database_url: str, tmp_path: Path
) -> None:
    # A backup job run with another data dir than the service: no key, or the wrong one, for these links.
    file = tmp_path / "innspill.tar"
    result = cli(tmp_path / "feil-mappe", "backup", str(file), database_url=database_url)
    assert result.exit_code == 1, result.output
    assert "gir ikke invitasjonslenkene i databasen" in result.stderr, result.stderr
    assert not (tmp_path / "feil-mappe" / "secret_key").exists(), "a backup never makes a key"
    assert file.exists(), "the database is still backed up"


def test_the_data_files_are_those_the_analysis_writes() -> None:
    from survey_app.services.analysis import TRAINING_FILE

    assert backup.DATA_FILES == (TRAINING_FILE,)
