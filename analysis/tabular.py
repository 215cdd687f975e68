"""Reading the tables a county gets from others: CSV as Excel, IMDi and SSB write it, and XLSX.

Every row keeps its number as the user's spreadsheet shows it (1 = the first line), so that an error can
point at it. Shared by ``history_file`` (settlement history) and ``ssb`` (statbank downloads).
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
import warnings
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from analysis.problems import ProblemsError

# More rows than any county's municipalities × years; the cap keeps a wrong file from filling memory.
MAX_ROWS = 20_000
MAX_COLUMNS = 300
# SSB's standard symbols for a value that is missing («..»), cannot occur («.»), cannot be published
# («...», «:»); blank cells mean the same in the county's own files.
MISSING = frozenset({"", ".", "..", "...", ":", "…"})
# SSB's «–» is «null»: nothing to report, that is zero (SSB, «Standardtegn i tabeller»). IMDi's and the
# counties' spreadsheets use a dash the same way.
ZERO = frozenset({"-", "–", "—"})

XLSX_UNREADABLE = "Filen kan ikke leses som et Excel-ark (XLSX). Lagre den på nytt som XLSX eller CSV."
_SPACES = re.compile(r"[\s\u00a0\u202f]")


class TableError(ValueError):
    """The file cannot be read as a table at all (not CSV, a broken XLSX)."""


Row = tuple[int, list[str]]


class TextFileError(ProblemsError):
    """The file is not text Innspill can read; the problem names the file and how to save it instead."""


def decode(data: bytes, *, source: str = "filen") -> str:
    """The text of ``data``: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252.

    The one reader for files as Excel and Windows editors write them (register, rules, figures, history and
    SSB files): Excel saves «CSV UTF-8» with a byte-order mark, plain «CSV» in Windows-1252 and «Unicode-tekst»
    as UTF-16. Anything else (an XLSX workbook given as CSV, a PDF) is refused with its name and what to do.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise TextFileError([_not_text(source)]) from None
    if data.startswith(b"PK\x03\x04"):
        raise TextFileError(
            [f"{source} er en Excel-arbeidsbok (XLSX), ikke tekst. Lagre den som «CSV UTF-8» i Excel."]
        )
    if b"\x00" in data:
        raise TextFileError([_not_text(source)])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        # The five bytes Windows-1252 leaves undefined: neither encoding, so not a file we can read right.
        raise TextFileError([_not_text(source)]) from None


def _not_text(source: str) -> str:
    return (
        f"{source} er verken UTF-8- eller Windows-1252-tekst, og ser ikke ut som tekst (CSV) i det hele tatt. "
        "Åpne den i Excel eller en tekstredigerer og lagre den som «CSV UTF-8»."
    )


def is_xlsx(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"


def delimiters(text: str) -> list[str]:
    """Candidate CSV delimiters, most likely first (counted over the first lines)."""
    head = "\n".join(text.splitlines()[:20])
    return sorted([";", ",", "\t"], key=lambda d: -head.count(d))


def csv_rows(text: str, delimiter: str) -> list[Row]:
    """Rows of a CSV text, each with the line it starts on; blank rows are left out."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=delimiter)
    rows: list[Row] = []
    line = 1
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                rows.append((line, [c.strip() for c in cells[:MAX_COLUMNS]]))
                if len(rows) > MAX_ROWS:
                    break
            line = reader.line_num + 1
    except csv.Error as error:
        raise TableError(f"Linje {reader.line_num}: filen kan ikke leses som CSV ({error}).") from None
    return rows


def xlsx_rows(data: bytes) -> list[Row]:
    """Rows of the first worksheet of an XLSX file, each with its row number as Excel shows it."""
    # Imported here: only XLSX files need it, and it is a large import.
    from openpyxl import load_workbook

    with warnings.catch_warnings():
        # openpyxl warns about styles and extensions it skips; they do not matter for the values.
        warnings.simplefilter("ignore")
        return _xlsx_rows(load_workbook, data)


def _xlsx_rows(load_workbook: Any, data: bytes) -> list[Row]:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError):
        raise TableError(XLSX_UNREADABLE) from None
    try:
        sheet = workbook.worksheets[0]
        rows: list[Row] = []
        for number, values in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1):
            cells = [_cell_text(v) for v in values]
            if any(cells):
                rows.append((number, cells))
                if len(rows) > MAX_ROWS:
                    break
        return rows
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError, IndexError):
        raise TableError(XLSX_UNREADABLE) from None
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # Excel stores 3001 and 12 as floats; an integral float is written as the integer it is.
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def tables(data: bytes) -> Iterator[list[Row]]:
    """The file as rows: once for an XLSX file, once per likely delimiter for CSV (the caller keeps the
    first reading in which it finds its header)."""
    if is_xlsx(data):
        yield xlsx_rows(data)
        return
    try:
        text = decode(data)
    except TextFileError as error:
        raise TableError(error.problems[0]) from None
    for delimiter in delimiters(text):
        yield csv_rows(text, delimiter)


def normalise(header: str) -> str:
    """A column name compared without case, accents or punctuation: «Anmodet (herav EMA)» → «anmodet herav ema»."""
    text = header.lower().replace("å", "a").replace("ø", "o").replace("æ", "ae")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def parse_number(text: str) -> float | None:
    """A number as Norwegians write it («12 345», «72,5», «65 %») or as programs do («72.5»).

    Blank and SSB's «..», «.», «...», «:» are None (unknown); a dash is zero. Anything else that is not a
    number raises ValueError.
    """
    cleaned = _SPACES.sub("", text).removesuffix("%")
    if cleaned in MISSING:
        return None
    if cleaned in ZERO:
        return 0.0
    if "," in cleaned and "." in cleaned:
        # «1.234,5» (Norwegian) or «1,234.5» (English): the last mark is the decimal one.
        if cleaned.rfind(",") > cleaned.rfind("."):
            cleaned = cleaned.replace(".", "").replace(",", ".")
        else:
            cleaned = cleaned.replace(",", "")
    else:
        cleaned = cleaned.replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError:
        raise ValueError(text) from None
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def parse_count(text: str) -> int | None:
    """A whole number, 0 or more (a count of people); None when unknown. ValueError otherwise."""
    value = parse_number(text)
    if value is None:
        return None
    if not value.is_integer() or value < 0 or value > 10_000_000:
        raise ValueError(text)
    return int(value)


YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")


def years_in(text: str) -> list[int]:
    """The four-digit years (1900–2099) written in a text, in order."""
    return [int(y) for y in YEAR.findall(text)]
