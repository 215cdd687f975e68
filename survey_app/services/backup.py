"""Backup and restore of everything Innspill's data needs, safe while Innspill runs.

One backup is one tar file (uncompressed) holding:

- ``manifest.json``: format version, when, Innspill's version, the kind of database, its Alembic revision,
  the rows per table, and the fingerprint of the secret key (``Manifest``);
- the database: SQLite's online backup API copies a consistent snapshot while the app goes on writing
  (``database.sqlite3``); PostgreSQL: ``pg_dump`` in its custom format (``database.pgdump``), taken in the
  same snapshot the rows were counted in, restored with ``pg_restore`` through ``psql`` in one transaction
  (found on PATH or in /usr/lib/postgresql/*/bin);
- ``secret_key``: the key invitation links are derived from (``security.invitation_token``), when it is the
  data dir's file. A key set in SURVEY_APP_SECRET_KEY belongs to the server's configuration and is not
  copied; the manifest keeps its fingerprint, so a restore can tell whether the right key is configured;
- ``files/``: the files in the data dir that come from the data (``DATA_FILES``). Exported links
  (invitations.csv) are left out: they are made again from the database and the key.

Why a tar, and why not compressed: it opens with ``tar`` on any machine, so the database alone can be taken
out by hand; pg_dump's custom format is compressed already; and backup tools that deduplicate (restic,
borg) find the unchanged pages of a SQLite database from one night to the next, which compression hides.
``tar.gz`` made by hand from such a file is read as well.

The file holds the key: it is written private (0600) and must be kept as safely as the database.

A restore checks the file and the key before it touches anything, refuses to replace a database that has
data, or a different key in the data dir, unless told to (``confirmed``); it restores the database, then
the key and the files, counts the rows against the manifest, leaves the database at the newest migration
with an audit event, and tries one invitation link with the key Innspill will use. A plain database file
from before this format is still accepted, but only where the key it needs is already in place.
"""

from __future__ import annotations

import enum
import glob
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from itertools import pairwise
from pathlib import Path
from typing import Literal

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from pydantic import BaseModel, ValidationError
from sqlmodel import Session

from survey_app import audit
from survey_app.config import Settings
from survey_app.db import alembic_config, begin_write, upgrade
from survey_app.security import invitation_token, token_hash

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
# Debian and Ubuntu keep the PostgreSQL programs here, one folder per major version.
PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"

FORMAT = "innspill-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
KEY_MEMBER = "secret_key"
# The file Settings.resolved_secret_key() keeps the key in, when SURVEY_APP_SECRET_KEY is not set.
KEY_FILE = "secret_key"
DATABASE_MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
# Files in the data dir that the data needs: the staff-confirmed codings the theme model is trained on,
# which `python -m analysis themes --data-dir` reads (services/analysis.py TRAINING_FILE). Only these are
# copied and restored, never a name taken from the archive.
DATA_FILES = ("theme_training.jsonl",)


class BackupError(Exception):
    """The backup or restore could not be done; the message says why, in Norwegian."""


class ConfirmationNeeded(BackupError):
    """The restore would replace a database that has data, or a different key, and nobody said yes."""


class KeyInfo(BaseModel):
    # "data_dir": the key file is in the archive; "environment": only its fingerprint is; None: there was
    # no key when the backup was taken.
    source: Literal["data_dir", "environment"] | None
    fingerprint: str | None


class Manifest(BaseModel):
    """What ``manifest.json`` in a backup says about it."""

    format: Literal["innspill-backup"]
    format_version: int
    created_at: datetime
    innspill_version: str
    database: Literal["sqlite", "postgresql"]
    revision: str
    rows: dict[str, int]
    key: KeyInfo
    files: list[str]


class LinkCheck(enum.StrEnum):
    works = "works"
    broken = "broken"
    no_invitations = "no_invitations"


@dataclass(frozen=True)
class BackupFile:
    path: Path
    kind: str  # "sqlite" or "postgresql"
    revision: str  # the Alembic migration the copied database was at
    size: int
    manifest: Manifest | None = None  # None: a plain database file from before the archive format


@dataclass(frozen=True)
class Made:
    file: BackupFile
    manifest: Manifest
    links: LinkCheck  # whether the key in (or named by) the backup opens the invitation links in it


@dataclass(frozen=True)
class Restored:
    source: BackupFile
    revision: str  # after bringing it up to date
    key_note: str  # what was done about the key, in Norwegian
    key_written: bool  # the data dir's key file was written: a running Innspill must be restarted
    files: list[str]
    rows: dict[str, int]  # counted right after the restore, before any migration
    row_mismatches: dict[str, tuple[int, int]] = field(default_factory=dict)  # table: (backup, restored)
    links: LinkCheck = LinkCheck.no_invitations


def fingerprint(key: str) -> str:
    """A short, one-way mark of a secret key: tells two keys apart without revealing either."""
    return hashlib.sha256(f"innspill-secret-key-fingerprint:{key}".encode()).hexdigest()[:16]


def backup(
    *, engine: sa.Engine, settings: Settings, target: Path, actor: str, overwrite: bool = False
) -> Made:
    """Write the database, the key and the data dir's files to ``target`` while the app may be running."""
    if _is_sqlite(engine) and target.resolve() == _sqlite_path(engine).resolve():
        raise BackupError(f"{target} er selve databasen. Skriv sikkerhetskopien til en annen fil.")
    if target.is_dir():
        raise BackupError(
            f"{target} er en mappe. Oppgi et filnavn i den, for eksempel {target / 'innspill.tar'}."
        )
    if target.exists() and not overwrite:
        raise ConfirmationNeeded(
            f"{target} finnes allerede. Velg et annet filnavn, eller bruk --ja for å overskrive."
        )
    source, key = _configured_key(settings)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        # Everything is written beside the target and renamed at the end, so a failed backup never leaves
        # a half file there; mkstemp makes it private (0600) from the start, as the key in it needs.
        with tempfile.TemporaryDirectory(prefix=f".{target.name}.", dir=target.parent) as tmp:
            database = Path(tmp) / DATABASE_MEMBERS["sqlite" if _is_sqlite(engine) else "postgresql"]
            if _is_sqlite(engine):
                _sqlite_backup(_sqlite_path(engine, must_exist=True), database)
                copy = sa.create_engine(f"sqlite:///{database}", poolclass=sa.NullPool)
                try:
                    with copy.connect() as conn:
                        rows, links = _row_counts(conn), _link_check(conn, key)
                finally:
                    copy.dispose()
            else:
                rows, links = _pg_dump_counted(engine, database, key)
            copied = _inspect_database(database)
            files = [name for name in DATA_FILES if (settings.data_dir / name).is_file()]
            manifest = Manifest(
                format=FORMAT,
                format_version=FORMAT_VERSION,
                created_at=datetime.now(UTC),
                innspill_version=_innspill_version(),
                database=copied.kind,
                revision=copied.revision,
                rows=rows,
                key=KeyInfo(source=source, fingerprint=fingerprint(key) if key else None),
                files=files,
            )
            fd, name = tempfile.mkstemp(prefix="archive.", dir=tmp)
            with os.fdopen(fd, "wb") as fh:
                _write_archive(fh, manifest, database, settings.data_dir)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(name, target)
    except OSError as exc:
        raise BackupError(f"Kan ikke skrive {target}: {exc.strerror}.") from None
    except sqlite3.Error as exc:  # the copy could not be made (a full disk, a damaged database)
        raise BackupError(f"Kan ikke skrive {target}: {exc}.") from None
    made = BackupFile(target, copied.kind, copied.revision, target.stat().st_size, manifest)
    with Session(engine) as session:
        begin_write(session)
        audit.record(
            session,
            actor=actor,
            action="database.backup",
            object_type="database",
            details={
                "file": str(target.resolve()),
                "bytes": made.size,
                "revision": made.revision,
                "key": source or "none",
                "files": files,
            },
        )
        session.commit()
    return Made(made, manifest, links)


def inspect_file(path: Path) -> BackupFile:
    """What a backup file holds (kind and migration), or a BackupError saying why it is not usable."""
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
        size = path.stat().st_size
    except OSError as exc:
        raise BackupError(f"Kan ikke lese {path}: {exc.strerror}.") from None
    if head.startswith((SQLITE_MAGIC, PGDUMP_MAGIC)):
        return _inspect_database(path)
    if tarfile.is_tarfile(path):
        with _archive(path) as tar:
            manifest = _read_manifest(tar, path)
        return BackupFile(path, manifest.database, manifest.revision, size, manifest)
    raise BackupError(
        f"{path} er ikke en sikkerhetskopi fra Innspill (verken en sikkerhetskopi fra survey-app backup, "
        "SQLite eller pg_dump)."
    )


def has_data(engine: sa.Engine) -> bool:
    """Whether the database already holds an Innspill database (which a restore would replace)."""
    if _is_sqlite(engine) and not _sqlite_path(engine).exists():
        return False
    with engine.connect() as conn:
        return sa.inspect(conn).has_table("alembic_version")


def restore(*, engine: sa.Engine, settings: Settings, source: Path, actor: str, confirmed: bool) -> Restored:
    """Replace the database, the key and the data dir's files with a backup's, and check what came back.

    The file and the key are checked first; a database with data, or a different key in the data dir, is
    replaced only when ``confirmed``. Afterwards the rows are counted against the manifest and one
    invitation link is tried with the key Innspill will use (``Restored.row_mismatches``, ``.links``).
    """
    found = inspect_file(source)
    kind = "sqlite" if _is_sqlite(engine) else "postgresql"
    if found.kind != kind:
        raise BackupError(
            f"{source} er en sikkerhetskopi av en {_KIND_NAMES[found.kind]}-database, men Innspill bruker "
            f"{_KIND_NAMES[kind]}. Gjenopprett den i en database av samme slag."
        )
    if found.manifest is not None and found.manifest.format_version > FORMAT_VERSION:
        raise BackupError(
            f"{source} er skrevet av en nyere versjon av Innspill ({found.manifest.innspill_version}). "
            "Oppgrader Innspill først, og gjenopprett så."
        )
    _check_known(engine, found.revision)
    plan = _key_plan(settings, found, confirmed=confirmed)
    if not confirmed and has_data(engine):
        raise ConfirmationNeeded(
            f"Databasen har allerede data, og alt i den blir erstattet av innholdet i {source}. "
            "Ta gjerne en sikkerhetskopi først. Kjør igjen med --ja for å gjenopprette."
        )
    try:
        data_dir = settings.ensure_data_dir()
        with tempfile.TemporaryDirectory(prefix=".innspill-restore-", dir=data_dir) as tmp:
            database = found.path if found.manifest is None else _extract(found, Path(tmp))
            if kind == "sqlite":
                _sqlite_restore(database, _sqlite_path(engine))
            else:
                _pg_restore(engine, database)
            # The key and the files after the database: if the database cannot be restored (the likelier
            # failure), the running system keeps the key its links were made with.
            key_note = plan.apply(data_dir)
            files = _restore_files(found, data_dir)
    except OSError as exc:
        raise BackupError(f"Kan ikke skrive i {settings.data_dir}: {exc.strerror}.") from None
    except sqlite3.Error as exc:
        raise BackupError(f"Gjenopprettingen mislyktes: {exc}.") from None
    engine.dispose()  # connections opened before the restore may cache the old schema
    with engine.connect() as conn:
        rows = _row_counts(conn)
    expected = found.manifest.rows if found.manifest is not None else {}
    mismatches = {t: (n, rows.get(t, 0)) for t, n in sorted(expected.items()) if rows.get(t, 0) != n}
    upgrade(engine)
    with engine.connect() as conn:
        links = _link_check(conn, settings.resolved_secret_key())
    with Session(engine) as session:
        revision = session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
        begin_write(session)
        audit.record(
            session,
            actor=actor,
            action="database.restore",
            object_type="database",
            details={
                "file": str(source.resolve()),
                "from_revision": found.revision,
                "revision": revision,
                "rows_differ": sorted(mismatches),
                "links": links.value,
            },
        )
        session.commit()
    return Restored(found, revision, key_note, plan.write is not None, files, rows, mismatches, links)


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


def _innspill_version() -> str:
    try:
        return package_version("innspill")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "ukjent"


def _inspect_database(path: Path) -> BackupFile:
    with path.open("rb") as fh:
        head = fh.read(16)
    size = path.stat().st_size
    if head.startswith(SQLITE_MAGIC):
        return BackupFile(path, "sqlite", _sqlite_revision(path), size)
    if head.startswith(PGDUMP_MAGIC):
        return BackupFile(path, "postgresql", _pg_revision(path), size)
    raise BackupError(f"{path} er ikke en sikkerhetskopi fra Innspill (verken SQLite eller pg_dump).")


# --- What the data holds: rows and a link ---------------------------------------------------------


def _row_counts(conn: sa.Connection) -> dict[str, int]:
    quote = conn.dialect.identifier_preparer.quote
    return {
        name: int(conn.execute(sa.text(f"SELECT count(*) FROM {quote(name)}")).scalar_one())
        for name in sorted(sa.inspect(conn).get_table_names())
    }


def _link_check(conn: sa.Connection, key: str | None) -> LinkCheck:
    """Whether ``key`` gives the link of the newest invitation not revoked (its stored hash)."""
    if not sa.inspect(conn).has_table("invitation"):
        return LinkCheck.no_invitations
    row = conn.execute(
        sa.text(
            "SELECT id, salt, token_hash FROM invitation WHERE revoked_at IS NULL "
            "AND token_hash NOT LIKE 'pending-%' ORDER BY id DESC LIMIT 1"
        )
    ).first()
    if row is None:
        return LinkCheck.no_invitations
    if key is None:
        return LinkCheck.broken
    works = token_hash(invitation_token(key, row.id, row.salt)) == row.token_hash
    return LinkCheck.works if works else LinkCheck.broken


# --- The key ----------------------------------------------------------------------------------------


def _configured_key(settings: Settings) -> tuple[Literal["data_dir", "environment"] | None, str | None]:
    """Where the key Innspill uses comes from, and the key; a backup never makes a new one."""
    if settings.secret_key:
        return "environment", settings.secret_key
    path = settings.data_dir / KEY_FILE
    if path.is_file():
        return "data_dir", path.read_text().strip()
    return None, None


@dataclass(frozen=True)
class _KeyPlan:
    note: str
    write: bytes | None = None  # the key file's content to put in place
    keep_old: bool = False  # a different key is there: keep it beside, not lose it

    def apply(self, data_dir: Path) -> str:
        if self.write is None:
            return self.note
        path = data_dir / KEY_FILE
        note = self.note
        if self.keep_old and path.exists():
            old = data_dir / f"{KEY_FILE}.erstattet-{datetime.now(UTC):%Y%m%dT%H%M%S}"
            os.replace(path, old)
            note += f" Den gamle nøkkelen er lagt i {old}."
        _write_private(path, self.write)
        return note


def _key_plan(settings: Settings, found: BackupFile, *, confirmed: bool) -> _KeyPlan:
    """What the restore does about the key, or a BackupError when the links would not work after it."""
    path = settings.data_dir / KEY_FILE
    in_dir = path.read_text().strip() if path.is_file() else None
    configured = settings.secret_key
    manifest = found.manifest
    expected = manifest.key.fingerprint if manifest else None
    if configured:
        if expected and fingerprint(configured) != expected:
            raise BackupError(
                f"SURVEY_APP_SECRET_KEY er ikke nøkkelen sikkerhetskopien ble tatt med (fingeravtrykk "
                f"{fingerprint(configured)}, sikkerhetskopien har {expected}). Med den ville ingen av "
                "invitasjonslenkene virke. Sett SURVEY_APP_SECRET_KEY til nøkkelen fra da sikkerhetskopien "
                "ble tatt"
                + (
                    ", eller fjern den, så brukes nøkkelen i sikkerhetskopien."
                    if manifest and manifest.key.source == "data_dir"
                    else "."
                )
            )
        return _KeyPlan("Nøkkelen i SURVEY_APP_SECRET_KEY brukes" + (" og stemmer." if expected else "."))
    if manifest is None or (manifest.key.source is None and manifest.rows.get("invitation", 0) > 0):
        if in_dir is not None:
            return _KeyPlan(f"Sikkerhetskopien har ingen nøkkel; nøkkelen i {path} brukes.")
        raise BackupError(
            f"{found.path} har ikke den hemmelige nøkkelen invitasjonslenkene er laget med, og {path} "
            "finnes ikke. Gjenopprettet slik ville alle lenkene som er sendt ut, svare «Lenken er ikke "
            f"gyldig». Legg den gamle nøkkelfilen i {path} (eller sett SURVEY_APP_SECRET_KEY til den gamle "
            "nøkkelen) og kjør igjen. Er nøkkelen tapt, kan du lage en ny (for eksempel med «openssl rand "
            f"-base64 48 > {path}») og gjenopprette; da må alle kommunene få nye lenker."
        )
    if manifest.key.source is None:
        if in_dir is not None:
            return _KeyPlan(f"Sikkerhetskopien har ingen nøkkel; nøkkelen i {path} brukes.")
        return _KeyPlan(
            "Sikkerhetskopien har ingen nøkkel og ingen invitasjoner; Innspill lager en ny nøkkel."
        )
    if manifest.key.source == "environment":
        if in_dir is not None and fingerprint(in_dir) == expected:
            return _KeyPlan(f"Nøkkelen i {path} er den sikkerhetskopien ble tatt med.")
        raise BackupError(
            "Sikkerhetskopien ble tatt med nøkkelen i SURVEY_APP_SECRET_KEY, og den er ikke med i filen "
            f"(bare fingeravtrykket {expected}). Sett SURVEY_APP_SECRET_KEY til den samme nøkkelen som "
            "da, og kjør igjen; ellers virker ingen av invitasjonslenkene."
        )
    with _archive(found.path) as tar:
        archived = _member_bytes(tar, KEY_MEMBER, found.path)
    if fingerprint(archived.decode().strip()) != expected:
        raise BackupError(f"{found.path} er skadet (nøkkelen stemmer ikke med fingeravtrykket).")
    if in_dir is None:
        return _KeyPlan(f"Nøkkelen fra sikkerhetskopien er skrevet til {path}.", archived)
    if in_dir == archived.decode().strip():
        return _KeyPlan(f"Nøkkelen i {path} er den samme som i sikkerhetskopien.")
    if not confirmed:
        raise ConfirmationNeeded(
            f"{path} har en annen nøkkel enn sikkerhetskopien. Lenkene som er laget med den, slutter å "
            "virke når nøkkelen fra sikkerhetskopien tar over. Kjør igjen med --ja for å bytte den (den "
            "gamle blir liggende ved siden av)."
        )
    return _KeyPlan(f"Nøkkelen i {path} er byttet med den fra sikkerhetskopien.", archived, keep_old=True)


def _write_private(path: Path, content: bytes) -> None:
    # Whole or not at all, and private from the first byte.
    fd, partial = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(partial, path)
    finally:
        Path(partial).unlink(missing_ok=True)


# --- The archive ------------------------------------------------------------------------------------


@contextmanager
def _archive(path: Path) -> Iterator[tarfile.TarFile]:
    try:
        with tarfile.open(path, "r:*") as tar:
            yield tar
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BackupError(f"{path} kan ikke leses som sikkerhetskopi ({exc}).") from None


def _member_bytes(tar: tarfile.TarFile, name: str, path: Path) -> bytes:
    try:
        member = tar.getmember(name)
    except KeyError:
        raise BackupError(f"{path} er ufullstendig: {name} mangler.") from None
    fh = tar.extractfile(member) if member.isfile() else None
    if fh is None:
        raise BackupError(f"{path} er skadet: {name} er ikke en fil.")
    with fh:
        return fh.read()


def _read_manifest(tar: tarfile.TarFile, path: Path) -> Manifest:
    try:
        return Manifest.model_validate_json(_member_bytes(tar, MANIFEST, path))
    except BackupError:
        raise BackupError(f"{path} er ikke en sikkerhetskopi fra Innspill (ingen {MANIFEST}).") from None
    except ValidationError:
        raise BackupError(f"{path} er ikke en sikkerhetskopi fra Innspill ({MANIFEST} er ukjent).") from None


def _tar_info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o600, int(time.time())
    return info


def _write_archive(fh: io.BufferedWriter, manifest: Manifest, database: Path, data_dir: Path) -> None:
    with tarfile.open(fileobj=fh, mode="w:", format=tarfile.PAX_FORMAT) as tar:
        # The manifest first: reading it does not mean reading past the database.
        text = json.dumps(manifest.model_dump(mode="json"), ensure_ascii=False, indent=2).encode()
        tar.addfile(_tar_info(MANIFEST, len(text)), io.BytesIO(text))
        with database.open("rb") as db:
            tar.addfile(_tar_info(DATABASE_MEMBERS[manifest.database], database.stat().st_size), db)
        if manifest.key.source == "data_dir":
            key = (data_dir / KEY_FILE).read_bytes()
            tar.addfile(_tar_info(KEY_MEMBER, len(key)), io.BytesIO(key))
        for name in manifest.files:
            # Read whole first: the analysis rewrites this file, and tar needs the size before the bytes.
            content = (data_dir / name).read_bytes()
            tar.addfile(_tar_info(f"files/{name}", len(content)), io.BytesIO(content))


def _extract(found: BackupFile, into: Path) -> Path:
    """The archive's database, written to ``into`` and checked to be what the manifest says."""
    assert found.manifest is not None
    name = DATABASE_MEMBERS[found.kind]
    target = into / name
    with _archive(found.path) as tar:
        try:
            member = tar.getmember(name)
        except KeyError:
            raise BackupError(f"{found.path} er ufullstendig: databasen ({name}) mangler.") from None
        fh = tar.extractfile(member) if member.isfile() else None
        if fh is None:
            raise BackupError(f"{found.path} er skadet: {name} er ikke en fil.")
        with fh, target.open("wb") as out:
            shutil.copyfileobj(fh, out, 1 << 20)
    inside = _inspect_database(target)
    if (inside.kind, inside.revision) != (found.kind, found.revision):
        raise BackupError(f"{found.path} er skadet: databasen i den stemmer ikke med {MANIFEST}.")
    return target


def _restore_files(found: BackupFile, data_dir: Path) -> list[str]:
    if found.manifest is None:
        return []
    restored = []
    with _archive(found.path) as tar:
        for name in DATA_FILES:
            if name in found.manifest.files:
                _write_private(data_dir / name, _member_bytes(tar, f"files/{name}", found.path))
                restored.append(name)
            else:
                # Left from other data, it would not belong to the restored database.
                (data_dir / name).unlink(missing_ok=True)
    return restored


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


def _pg_dump_counted(engine: sa.Engine, target: Path, key: str | None) -> tuple[dict[str, int], LinkCheck]:
    """``pg_dump`` to ``target``, and the rows and the link check of exactly what it dumped.

    The rows are counted in a repeatable-read transaction whose snapshot pg_dump takes over
    (``--snapshot``), so the counts in the manifest are those of the dump while the app goes on writing.
    """
    pg_dump = find_pg_tool("pg_dump")  # before anything else: say what to install, not that it failed
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            snapshot = conn.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
            rows, links = _row_counts(conn), _link_check(conn, key)
            _pg_dump(engine, pg_dump, target, snapshot=str(snapshot))
    return rows, links


def _pg_dump(engine: sa.Engine, pg_dump: str, target: Path, *, snapshot: str) -> None:
    uri, env = _libpq(engine)
    command = [
        pg_dump,
        "--format=custom",
        "--no-owner",
        "--no-privileges",
        f"--snapshot={snapshot}",
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
