"""Backup and restore of the whole database, safe while Innspill runs.

SQLite: SQLite's online backup API copies a consistent snapshot while the app goes on writing; the copy
is one self-contained database file. PostgreSQL: ``pg_dump`` in its custom format, restored with
``pg_restore`` through ``psql`` in one transaction (found on PATH or in /usr/lib/postgresql/*/bin).

A restore checks the file before it touches anything, refuses to replace a database that has data unless
told to (``confirmed``), and leaves the database at the newest migration, with an audit event.
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
import tempfile
from contextlib import closing
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlmodel import Session

from survey_app import audit
from survey_app.db import alembic_config, begin_write, upgrade

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
# Debian and Ubuntu keep the PostgreSQL programs here, one folder per major version.
PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"


class BackupError(Exception):
    """The backup or restore could not be done; the message says why, in Norwegian."""


class ConfirmationNeeded(BackupError):
    """The restore would replace a database that has data, and nobody said yes."""


@dataclass(frozen=True)
class BackupFile:
    path: Path
    kind: str  # "sqlite" or "postgresql"
    revision: str  # the Alembic migration the copied database was at
    size: int


@dataclass(frozen=True)
class Restored:
    source: BackupFile
    revision: str  # after bringing it up to date


def backup(*, engine: sa.Engine, target: Path, actor: str, overwrite: bool = False) -> BackupFile:
    """Copy the whole database to ``target`` while the app may be running, and audit it."""
    if _is_sqlite(engine) and target.resolve() == _sqlite_path(engine).resolve():
        raise BackupError(f"{target} er selve databasen. Skriv sikkerhetskopien til en annen fil.")
    if target.exists() and not overwrite:
        raise ConfirmationNeeded(
            f"{target} finnes allerede. Velg et annet filnavn, eller bruk --ja for å overskrive."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    # Write beside the target and rename at the end, so a failed backup never leaves a half file there.
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(fd)
    partial = Path(name)
    try:
        if _is_sqlite(engine):
            _sqlite_backup(_sqlite_path(engine, must_exist=True), partial)
        else:
            _pg_dump(engine, partial)
        copied = inspect_file(partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    made = BackupFile(target, copied.kind, copied.revision, copied.size)
    with Session(engine) as session:
        begin_write(session)
        audit.record(
            session,
            actor=actor,
            action="database.backup",
            object_type="database",
            details={"file": str(target.resolve()), "bytes": made.size, "revision": made.revision},
        )
        session.commit()
    return made


def inspect_file(path: Path) -> BackupFile:
    """What a backup file holds (kind and migration), or a BackupError saying why it is not usable."""
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
        size = path.stat().st_size
    except OSError as exc:
        raise BackupError(f"Kan ikke lese {path}: {exc.strerror}.") from None
    if head.startswith(SQLITE_MAGIC):
        return BackupFile(path, "sqlite", _sqlite_revision(path), size)
    if head.startswith(PGDUMP_MAGIC):
        return BackupFile(path, "postgresql", _pg_revision(path), size)
    raise BackupError(f"{path} er ikke en sikkerhetskopi fra Innspill (verken SQLite eller pg_dump).")


def has_data(engine: sa.Engine) -> bool:
    """Whether the database already holds an Innspill database (which a restore would replace)."""
    if _is_sqlite(engine) and not _sqlite_path(engine).exists():
        return False
    with engine.connect() as conn:
        return sa.inspect(conn).has_table("alembic_version")


def restore(*, engine: sa.Engine, source: Path, actor: str, confirmed: bool) -> Restored:
    """Replace the database with a backup, bring it to the newest migration, and audit it.

    The file is checked first; a database with data is replaced only when ``confirmed``.
    """
    found = inspect_file(source)
    kind = "sqlite" if _is_sqlite(engine) else "postgresql"
    if found.kind != kind:
        raise BackupError(
            f"{source} er en sikkerhetskopi av en {_KIND_NAMES[found.kind]}-database, men Innspill bruker "
            f"{_KIND_NAMES[kind]}. Gjenopprett den i en database av samme slag."
        )
    _check_known(engine, found.revision)
    if not confirmed and has_data(engine):
        raise ConfirmationNeeded(
            f"Databasen har allerede data, og alt i den blir erstattet av innholdet i {source}. "
            "Ta gjerne en sikkerhetskopi først. Kjør igjen med --ja for å gjenopprette."
        )
    if kind == "sqlite":
        _sqlite_restore(source, _sqlite_path(engine))
    else:
        _pg_restore(engine, source)
    engine.dispose()  # connections opened before the restore may cache the old schema
    upgrade(engine)
    with Session(engine) as session:
        revision = session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
        begin_write(session)
        audit.record(
            session,
            actor=actor,
            action="database.restore",
            object_type="database",
            details={"file": str(source.resolve()), "from_revision": found.revision, "revision": revision},
        )
        session.commit()
    return Restored(found, revision)


_KIND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def _is_sqlite(engine: sa.Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _check_known(engine: sa.Engine, revision: str) -> None:
    try:
        ScriptDirectory.from_config(alembic_config(engine)).get_revision(revision)
    except Exception:  # alembic raises several kinds for an unknown revision
        raise BackupError(
            f"Sikkerhetskopien er fra en nyere versjon av Innspill (databaseversjon {revision}). "
            "Oppgrader Innspill først, og gjenopprett så."
        ) from None


# --- SQLite -----------------------------------------------------------------------------------------


def _sqlite_path(engine: sa.Engine, *, must_exist: bool = False) -> Path:
    database = engine.url.database
    if not database or database == ":memory:" or engine.url.query.get("mode") == "memory":
        raise BackupError("Databasen ligger bare i minnet; den kan ikke sikkerhetskopieres.")
    path = Path(database)
    if must_exist and not path.exists():
        raise BackupError(f"Fant ingen database i {path}.")
    return path


def _sqlite_backup(source: Path, target: Path) -> None:
    # One step: the copy is read in one read transaction, a consistent snapshot. In WAL mode the app's
    # writers are not blocked meanwhile.
    with closing(sqlite3.connect(source, timeout=30)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
        # The copy inherits WAL mode; a backup should be one file that can be moved on its own.
        dst.execute("PRAGMA journal_mode=DELETE")


def _sqlite_revision(path: Path) -> str:
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as conn:
            if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise BackupError(f"{path} er skadet (SQLite fant feil i filen).")
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        raise BackupError(
            f"{path} er ikke en sikkerhetskopi fra Innspill (SQLite-filen mangler skjemaet)."
        ) from None
    if row is None:
        raise BackupError(f"{path} er ikke en sikkerhetskopi fra Innspill (ingen databaseversjon).")
    return str(row[0])


def _sqlite_restore(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    # The backup API writes into the live file in one transaction under SQLite's own locks: the app's
    # connections see the old database or the restored one, never a mix, and keep working.
    with (
        closing(sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)) as src,
        closing(sqlite3.connect(target, timeout=30)) as dst,
    ):
        src.backup(dst)


# --- PostgreSQL -------------------------------------------------------------------------------------


def find_pg_tool(name: str) -> str:
    """A PostgreSQL program on PATH, or the newest in /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found
    candidates = [p for p in glob.glob(os.path.join(PG_BIN_GLOB, name)) if os.access(p, os.X_OK)]
    if candidates:
        return max(candidates, key=lambda p: _major(Path(p).parent.parent.name))
    raise BackupError(
        f"Fant ikke programmet {name}, som trengs for sikkerhetskopi av PostgreSQL. Installer "
        "PostgreSQL-klientverktøyene (for eksempel «apt-get install postgresql-client») i samme versjon "
        f"som databasetjeneren eller nyere, eller legg {name} i PATH."
    )


def _major(version: str) -> int:
    return int(version) if version.isdigit() else 0


def _libpq(engine: sa.Engine) -> tuple[str, dict[str, str]]:
    """A libpq connection URI for the command-line tools; the password goes in the environment, not argv."""
    url = engine.url
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    uri = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return uri, env


def _run(command: list[str], env: dict[str, str], what: str) -> str:
    done = subprocess.run(command, env=env, capture_output=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{what} mislyktes: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout.decode(errors="replace")


def _pg_dump(engine: sa.Engine, target: Path) -> None:
    uri, env = _libpq(engine)
    command = [
        find_pg_tool("pg_dump"),
        "--format=custom",
        "--no-owner",
        "--no-privileges",
        f"--file={target}",
    ]
    _run([*command, f"--dbname={uri}"], env, "pg_dump")


def _pg_revision(path: Path) -> str:
    # The custom format is read by pg_restore only; ask it for the one row of alembic_version.
    listing = _run(
        [find_pg_tool("pg_restore"), "--data-only", "--table=alembic_version", "--file=-", str(path)],
        dict(os.environ),
        f"Lesing av {path}",
    )
    lines = [*listing.splitlines(), "\\."]
    for line, following in pairwise(lines):
        if line.startswith("COPY ") and "alembic_version" in line and following != "\\.":
            return following.strip()
    raise BackupError(f"{path} er ikke en sikkerhetskopi fra Innspill (ingen databaseversjon).")


# Tables the dump will create again are dropped first, in the same transaction: a table that a newer
# migration added is dropped too, so the upgrade afterwards starts from exactly what was backed up.
_DROP_TABLES = """\
DO $$
DECLARE t record;
BEGIN
  FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = current_schema() LOOP
    EXECUTE format('DROP TABLE IF EXISTS %I CASCADE', t.tablename);
  END LOOP;
END $$;
"""


def _pg_restore(engine: sa.Engine, source: Path) -> None:
    uri, env = _libpq(engine)
    psql = find_pg_tool("psql")
    with tempfile.TemporaryDirectory(prefix="innspill-restore-") as tmp:
        drop = Path(tmp) / "drop.sql"
        drop.write_text(_DROP_TABLES, encoding="utf-8")
        script = Path(tmp) / "restore.sql"
        _run(
            [find_pg_tool("pg_restore"), "--no-owner", "--no-privileges", f"--file={script}", str(source)],
            env,
            "pg_restore",
        )
        # One transaction: if anything fails, the database is as it was.
        _run(
            [
                psql,
                "-X",
                "-q",
                "--single-transaction",
                "-v",
                "ON_ERROR_STOP=1",
                f"--file={drop}",
                f"--file={script}",
                f"--dbname={uri}",
            ],
            env,
            "Gjenopprettingen",
        )
