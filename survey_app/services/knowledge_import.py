"""Importing into the knowledge base: settlement history files and SSB statbank downloads.

Imports go preview first. ``preview_history`` and ``preview_register`` read a file (``analysis.history_file``,
``analysis.ssb``) and say what would be added and what would change (old → new), which municipalities the
register does not know, and which numbers were mapped through the successor table; ``import_history`` and
``import_register`` do the same in one transaction with an audit event, or nothing at all. A file waits
between the preview page and «Importer» as a ``KnowledgeUpload``. What the pages and the recommendation
read is in ``survey_app.services.knowledge``.

Numbers in a file under a predecessor or successor of a register number (3101 for 3001 after 2024) land on
the register's number (``analysis.kommunenummer``, with the shipped successor table). A blank cell never
erases what is stored: an import adds knowledge, and corrects what it gives a new value.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Literal

from sqlmodel import Session, col, delete, select

from analysis.history_file import HistoryRecord, read_history
from analysis.problems import ProblemsError
from analysis.ssb import StatTable, read_statbank
from survey_app import audit
from survey_app.db import begin_write
from survey_app.models import KnowledgeUpload, RegisterValue, SettlementHistory, utcnow
from survey_app.services.knowledge import (
    HISTORY_LABELS,
    POPULATION,
    indicator_labels,
    register_names,
    to_register,
)

# Tables whose indicator is known without asking: SSB table id → (indicator, label).
KNOWN_TABLES = {"07459": (POPULATION, "Befolkning")}
INDICATOR_ID = re.compile(r"[a-z][a-z0-9_]{0,49}")
UPLOAD_KEPT = timedelta(days=1)
Kind = Literal["history", "register"]
Value = int | float | str | None


class KnowledgeError(ProblemsError):
    """A file or a choice that cannot be imported; ``problems`` say why, in Norwegian, with row numbers."""


@dataclass(frozen=True)
class Change:
    field: str
    label: str
    old: Value
    new: Value


@dataclass(frozen=True)
class RowChange:
    """What an import does to one municipality's year: a new row, or the values that change."""

    kommunenummer: str  # the register's number
    name: str
    year: int
    file_number: str  # as the file writes it (differs when mapped through the successor table)
    is_new: bool
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class ImportPreview:
    """What importing a file would do, or did. ``fingerprint`` identifies the changes, so a confirmation
    can tell whether the stored figures changed since the preview was shown."""

    kind: Kind
    filename: str
    added: list[RowChange]
    changed: list[RowChange]
    unchanged: int
    unknown: list[str]  # municipalities in the file that the register lacks: not imported
    mapped: list[tuple[str, str]]  # (the file's number, the register's number)
    years: list[int]
    notes: list[str] = field(default_factory=list)
    indicator: str = ""
    label: str = ""
    table_id: str = ""

    @property
    def fingerprint(self) -> str:
        text = repr((self.kind, self.indicator, self.label, self.table_id, self.added, self.changed))
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    @property
    def rows(self) -> int:
        return len(self.added) + len(self.changed)


class PreviewOutdated(Exception):
    """The stored figures changed after the preview was shown; ``preview`` is what an import does now."""

    def __init__(self, preview: ImportPreview) -> None:
        super().__init__("the preview is outdated")
        self.preview = preview


# --- settlement history ------------------------------------------------------------------------------


def _read_history(data: bytes) -> list[HistoryRecord]:
    try:
        return read_history(data).records
    except ProblemsError as error:  # the file's problems, also when it is not text at all
        raise KnowledgeError(error.problems) from None


def _history_preview(session: Session, records: list[HistoryRecord], filename: str) -> ImportPreview:
    names = register_names(session)
    mapper = to_register(names)
    unknown: dict[str, None] = {}
    mapped: dict[tuple[str, str], None] = {}
    targets: dict[tuple[str, int], HistoryRecord] = {}
    problems = []
    for record in records:
        number = mapper(record.kommunenummer)
        if number is None:
            unknown[f"{record.kommunenummer} {record.name}".strip()] = None
            continue
        if number != record.kommunenummer:
            mapped[(record.kommunenummer, number)] = None
        other = targets.get((number, record.year))
        if other is not None:
            problems.append(
                f"Rad {record.row}: {names[number]} ({number}) for {record.year} står også på rad {other.row} "
                f"(som {other.kommunenummer}); kommunenummeret ble endret ved en reform."
            )
            continue
        targets[(number, record.year)] = record
    if problems:
        raise KnowledgeError(problems)
    years = sorted({year for _, year in targets})
    stored = {
        (r.kommunenummer, r.year): r
        for r in session.exec(select(SettlementHistory).where(col(SettlementHistory.year).in_(years)))
    }
    added, changed, unchanged = [], [], 0
    for (number, year), record in sorted(targets.items(), key=lambda kv: (kv[0][1], names[kv[0][0]])):
        row = stored.get((number, year))
        changes = []
        for name, new in record.given().items():
            old = _stored_history_value(row, name)
            if old != new:
                changes.append(Change(name, HISTORY_LABELS[name], old, new))
        if row is None:
            added.append(RowChange(number, names[number], year, record.kommunenummer, True, tuple(changes)))
        elif changes:
            changed.append(
                RowChange(number, names[number], year, record.kommunenummer, False, tuple(changes))
            )
        else:
            unchanged += 1
    return ImportPreview("history", filename, added, changed, unchanged, list(unknown), list(mapped), years)


def _stored_history_value(row: SettlementHistory | None, name: str) -> Value:
    if row is None:
        return None
    value: Value = getattr(row, name)
    return value or None if name == "decision_years" else value


def preview_history(session: Session, *, data: bytes, filename: str) -> ImportPreview:
    """What importing this history file would add and change. Changes nothing; raises KnowledgeError."""
    return _history_preview(session, _read_history(data), filename)


def import_history(
    session: Session,
    *,
    data: bytes,
    filename: str,
    actor: str,
    fingerprint: str | None = None,
    upload_id: int | None = None,
) -> ImportPreview:
    """Import a history file in one transaction, audited (``knowledge.history_import``).

    With ``fingerprint`` (from the preview the user confirmed), raises PreviewOutdated and changes nothing
    if the import would now do something else. ``upload_id`` names the pending upload to remove with it.
    """
    records = _read_history(data)
    begin_write(session)
    try:
        preview = _history_preview(session, records, filename)
        if fingerprint is not None and fingerprint != preview.fingerprint:
            raise PreviewOutdated(preview)
        stored = {
            (r.kommunenummer, r.year): r
            for r in session.exec(
                select(SettlementHistory).where(col(SettlementHistory.year).in_(preview.years))
            )
        }
        now = utcnow()
        for row_change in [*preview.added, *preview.changed]:
            key = (row_change.kommunenummer, row_change.year)
            row = stored.get(key) or SettlementHistory(kommunenummer=key[0], year=key[1])
            for change in row_change.changes:
                setattr(row, change.field, change.new)
            row.source, row.imported_at = filename[:300], now
            session.add(row)
        _finish(session, preview=preview, actor=actor, upload_id=upload_id)
    except BaseException:
        session.rollback()
        raise
    return preview


def _finish(session: Session, *, preview: ImportPreview, actor: str, upload_id: int | None) -> None:
    if upload_id is not None:
        session.execute(delete(KnowledgeUpload).where(col(KnowledgeUpload.id) == upload_id))
    details: dict[str, object] = {
        "file": preview.filename,
        "added": len(preview.added),
        "changed": len(preview.changed),
        "unchanged": preview.unchanged,
        "unknown": preview.unknown[:50],
        "years": [preview.years[0], preview.years[-1]] if preview.years else [],
    }
    if preview.kind == "register":
        details.update(indicator=preview.indicator, table_id=preview.table_id)
    audit.record(
        session,
        actor=actor,
        action=f"knowledge.{preview.kind}_import",
        object_type="knowledge",
        object_id=preview.indicator or "history",
        details=details,
    )
    session.commit()


# --- register figures ----------------------------------------------------------------------------------


def _read_statbank(data: bytes) -> StatTable:
    try:
        return read_statbank(data)
    except ProblemsError as error:
        raise KnowledgeError(error.problems) from None


def indicator_of(
    table: StatTable, indicator: str, label: str, stored: Mapping[str, str] | None = None
) -> tuple[str, str]:
    """The indicator id and label for a table: as given, or known from its table id (07459 → befolkning).

    Without a label, an indicator keeps the name it has (``stored``: id → label), a known one gets its
    known name, and a new one the name of the file's measure.
    """
    indicator = indicator.strip().lower()
    known = KNOWN_TABLES.get(table.table_id)
    if not indicator:
        if known is None:
            where = f"tabell {table.table_id}" if table.table_id else "en tabell Innspill ikke kjenner"
            raise KnowledgeError(
                [
                    f"Filen er fra {where}. Gi indikatoren en kort id med små bokstaver, tall og _ "
                    "(for eksempel intro_arbeid_utdanning)."
                ]
            )
        indicator = known[0]
    if not INDICATOR_ID.fullmatch(indicator):
        raise KnowledgeError(
            [f"Indikator «{indicator}»: bruk små bokstaver a–z, tall og _, og begynn med en bokstav."]
        )
    label = " ".join(label.split())[:200]
    known_labels = {i: name for i, name in KNOWN_TABLES.values()}
    if not label:
        label = (stored or {}).get(indicator) or known_labels.get(indicator) or table.measure or table.title
    return indicator, label[:200] or indicator


def _register_preview(
    session: Session, table: StatTable, filename: str, indicator: str, label: str
) -> ImportPreview:
    indicator, label = indicator_of(table, indicator, label, indicator_labels(session))
    names = register_names(session)
    mapper = to_register(names)
    unknown: dict[str, None] = {}
    mapped: dict[tuple[str, str], None] = {}
    targets: dict[tuple[str, int], tuple[str, float]] = {}
    problems = []
    for value in table.values:
        number = mapper(value.kommunenummer)
        if number is None:
            unknown[f"{value.kommunenummer} {value.name}".strip()] = None
            continue
        if number != value.kommunenummer:
            mapped[(value.kommunenummer, number)] = None
        if (number, value.year) in targets:
            problems.append(
                f"{value.where}: {names[number]} ({number}) for {value.year} står også under "
                f"{targets[(number, value.year)][0]}; kommunenummeret ble endret ved en reform."
            )
            continue
        targets[(number, value.year)] = (value.kommunenummer, value.value)
    if problems:
        raise KnowledgeError(problems)
    stored = {
        (r.kommunenummer, r.year): r
        for r in session.exec(select(RegisterValue).where(RegisterValue.indicator == indicator))
    }
    added, changed, unchanged = [], [], 0
    for (number, year), (file_number, new) in sorted(
        targets.items(), key=lambda kv: (kv[0][1], names[kv[0][0]])
    ):
        row = stored.get((number, year))
        old = None if row is None else row.value
        change = (Change("value", label, old, new),)
        if row is None:
            added.append(RowChange(number, names[number], year, file_number, True, change))
        elif old != new:
            changed.append(RowChange(number, names[number], year, file_number, False, change))
        else:
            unchanged += 1
    notes = []
    if table.missing:
        notes.append(f"{table.missing} celler uten tall («..», «:» eller tomme) er hoppet over.")
    if table.skipped:
        notes.append(f"Fylker og landet er hoppet over: {', '.join(table.skipped[:5])}.")
    earlier = {r.table_id for r in stored.values() if r.table_id and r.table_id != table.table_id}
    if earlier:
        notes.append(
            f"Indikatoren {indicator} har tall fra tabell {', '.join(sorted(earlier))} fra før; denne filen er fra "
            f"{'tabell ' + table.table_id if table.table_id else 'en ukjent tabell'}."
        )
    years = sorted({year for _, year in targets})
    return ImportPreview(
        "register",
        filename,
        added,
        changed,
        unchanged,
        list(unknown),
        list(mapped),
        years,
        notes,
        indicator=indicator,
        label=label,
        table_id=table.table_id,
    )


def preview_register(
    session: Session, *, data: bytes, filename: str, indicator: str = "", label: str = ""
) -> ImportPreview:
    """What importing this statbank file as ``indicator`` would add and change. Changes nothing."""
    return _register_preview(session, _read_statbank(data), filename, indicator, label)


def import_register(
    session: Session,
    *,
    data: bytes,
    filename: str,
    actor: str,
    indicator: str = "",
    label: str = "",
    fingerprint: str | None = None,
    upload_id: int | None = None,
) -> ImportPreview:
    """Import a statbank file in one transaction, audited (``knowledge.register_import``); see import_history."""
    table = _read_statbank(data)
    begin_write(session)
    try:
        preview = _register_preview(session, table, filename, indicator, label)
        if fingerprint is not None and fingerprint != preview.fingerprint:
            raise PreviewOutdated(preview)
        stored = {
            (r.kommunenummer, r.year): r
            for r in session.exec(select(RegisterValue).where(RegisterValue.indicator == preview.indicator))
        }
        now = utcnow()
        for row_change in [*preview.added, *preview.changed]:
            key = (row_change.kommunenummer, row_change.year)
            new = row_change.changes[0].new
            assert isinstance(new, float)
            row = stored.get(key) or RegisterValue(
                kommunenummer=key[0], indicator=preview.indicator, year=key[1], label=preview.label, value=new
            )
            row.value, row.label, row.table_id = new, preview.label, table.table_id
            row.source, row.imported_at = filename[:300], now
            session.add(row)
        # One indicator has one name: the newest import's.
        for row in stored.values():
            if row.label != preview.label:
                row.label = preview.label
                session.add(row)
        _finish(session, preview=preview, actor=actor, upload_id=upload_id)
    except BaseException:
        session.rollback()
        raise
    return preview


# --- pending uploads (between the preview page and «Importer») ---------------------------------------------


def keep_upload(
    session: Session,
    *,
    user_id: int,
    kind: Kind,
    filename: str,
    content: bytes,
    indicator: str = "",
    label: str = "",
) -> KnowledgeUpload:
    """Keep a previewed file until its uploader confirms it; uploads older than a day are removed."""
    begin_write(session)
    session.execute(delete(KnowledgeUpload).where(col(KnowledgeUpload.created_at) < utcnow() - UPLOAD_KEPT))
    upload = KnowledgeUpload(
        user_id=user_id,
        kind=kind,
        filename=filename[:300],
        content=content,
        indicator=indicator[:50],
        label=label[:200],
    )
    session.add(upload)
    session.commit()
    return upload


def pending_upload(session: Session, *, upload_id: int, user_id: int) -> KnowledgeUpload | None:
    """The user's own pending upload, if it is still there."""
    upload = session.get(KnowledgeUpload, upload_id)
    if upload is None or upload.user_id != user_id or upload.created_at < utcnow() - UPLOAD_KEPT:
        return None
    return upload


# --- the demo's synthetic files ----------------------------------------------------------------------

DEMO_DIR = Path(__file__).resolve().parent.parent / "data"
DEMO_HISTORY = DEMO_DIR / "demo_historikk_syntetisk.csv"
# (file, indicator, label): label blank takes the file's own name for the measure.
DEMO_FIGURES = (
    (DEMO_DIR / "demo_befolkning_07459_syntetisk.csv", POPULATION, ""),
    (
        DEMO_DIR / "demo_intro_arbeid_utdanning_syntetisk.json",
        "intro_arbeid_utdanning",
        "I arbeid eller utdanning ett år etter introduksjonsprogrammet (prosent)",
    ),
)


def import_demo(session: Session, *, actor: str) -> None:
    """The demo's synthetic history and register figures (bench/demo_knowledge.py wrote them), each file
    only if its kind of figures is not loaded yet: running the demo again changes nothing."""
    if session.exec(select(SettlementHistory.id).limit(1)).first() is None:
        import_history(session, data=DEMO_HISTORY.read_bytes(), filename=DEMO_HISTORY.name, actor=actor)
    for path, indicator, label in DEMO_FIGURES:
        loaded = select(RegisterValue.id).where(RegisterValue.indicator == indicator).limit(1)
        if session.exec(loaded).first() is None:
            import_register(
                session,
                data=path.read_bytes(),
                filename=path.name,
                actor=actor,
                indicator=indicator,
                label=label,
            )
