"""The settlement history file: recommendation, request, decision and settled, per municipality and year.

Two layouts are read, from CSV (comma or semicolon, UTF-8 or Windows-1252, decimal comma) or XLSX:

- **long**, one row per municipality and year::

    kommunenummer;kommune;år;anbefalt;anmodning;anmodning_ema;vedtak;vedtak_ema;vedtak_gjelder;bosatt;bosatt_ema
    3001;Halden;2024;40;40;5;35;;2024;33;4

- **wide**, one row per municipality and a column per measure and year, as IMDi and counties publish it::

    Kommune;Anmodning 2023;Vedtak 2023;Bosatte 2023;Anmodning 2024;Vedtak 2024
    3001 Halden;60;60;58;40;35

Column names are matched without case or punctuation, with Norwegian variants («år», «ar», «aar»;
«anmodet»; «herav enslige mindreårige» or «EMA» after a measure). A blank cell, «..» or «:» is unknown;
a dash is zero. Every problem is reported with its row number, and nothing is returned unless the whole
file is right.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from analysis.kommunenummer import parse_region
from analysis.problems import ProblemsError
from analysis.tabular import MAX_ROWS, TableError, normalise, parse_count, tables, years_in

HEADER_SEARCH = 20  # a title above the header is allowed; the header is within the first rows
COUNT_FIELDS = (
    "recommended",
    "requested",
    "requested_minors",
    "decided",
    "decided_minors",
    "settled",
    "settled_minors",
)
FIELDS = (*COUNT_FIELDS, "decision_years")
# The name of each field in the long layout, as the docs and the messages write it.
COLUMN_NAMES = {
    "recommended": "anbefalt",
    "requested": "anmodning",
    "requested_minors": "anmodning_ema",
    "decided": "vedtak",
    "decided_minors": "vedtak_ema",
    "decision_years": "vedtak_gjelder",
    "settled": "bosatt",
    "settled_minors": "bosatt_ema",
}
# Word stems that name a measure, matched against the start of each word of a column name.
_MEASURES = (
    (("anbefal", "tilrad"), "recommended"),
    (("anmod",), "requested"),
    (("vedt",), "decided"),
    (("bosatt", "bosette"), "settled"),
)
_MINORS = {"ema", "enslig", "enslige", "mindrearig", "mindrearige", "emaer"}
_INCLUDED = {"inkl", "inkludert", "medregnet", "iberegnet"}  # «Anmodning (inkl. EMA)» is the total
_PERIOD = {"gjelder", "periode", "vedtaksperiode", "vedtaksar"}
_NUMBER_WORDS = {"kommunenummer", "kommunenr", "knr", "nr", "nummer"}
_NAME_WORDS = {"kommune", "kommunenavn", "navn", "region", "bosettingskommune", "og"}
_YEAR_WORDS = {"ar", "aar", "year", "arstall", "bosettingsar", "bosettingsaret"}
_TOTAL_ROW = re.compile(r"^(sum|totalt?|i alt|hele landet|fylket|alle kommuner)\b", re.IGNORECASE)
_PERIOD_VALUE = re.compile(r"^((?:19|20)\d\d)(?:\s*[-–/]\s*((?:19|20)\d\d))?$")


class HistoryFileError(ProblemsError):
    """The file cannot be imported; ``problems`` name each row and what is wrong, in Norwegian."""


@dataclass(frozen=True)
class HistoryRecord:
    """One municipality's settlement year as the file gives it. None: the file does not say (blank, «..»,
    or no such column); an import leaves what is stored for that field as it is."""

    row: int
    kommunenummer: str
    name: str
    year: int
    recommended: int | None = None
    requested: int | None = None
    requested_minors: int | None = None
    decided: int | None = None
    decided_minors: int | None = None
    decision_years: str | None = None
    settled: int | None = None
    settled_minors: int | None = None

    def given(self) -> dict[str, int | str]:
        """The fields this record has a value for."""
        out: dict[str, int | str] = {}
        for f in FIELDS:
            value = getattr(self, f)
            if value is not None:
                out[f] = value
        return out


@dataclass(frozen=True)
class HistoryFile:
    records: list[HistoryRecord]
    layout: Literal["lang", "bred"]
    ignored_columns: list[str] = field(default_factory=list)
    skipped_rows: list[int] = field(default_factory=list)  # sums, counties, the whole country


@dataclass(frozen=True)
class _Column:
    index: int
    header: str
    field: str
    year: int | None


@dataclass
class _Header:
    row: int
    number: int | None = None
    name: int | None = None
    year: int | None = None
    columns: list[_Column] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def _classify(index: int, header: str, previous: _Column | None) -> tuple[str, int | None] | None:
    """The field a column holds and the year in its name; None for a column that is not a measure."""
    words = normalise(header).split()
    years = years_in(" ".join(words))
    words = [w for w in words if not re.fullmatch(r"(19|20)\d\d", w)]
    base = next((f for stems, f in _MEASURES for w in words if w.startswith(stems)), None)
    minors = any(w in _MINORS for w in words) and not any(w in _INCLUDED for w in words)
    if base is None and minors and previous is not None and previous.field != "decision_years":
        # «herav enslige mindreårige» right after the measure it belongs to.
        base = previous.field.removesuffix("_minors")
        years = years or ([previous.year] if previous.year is not None else [])
    if base is None or (base == "recommended" and minors):
        return None
    if base == "decided" and any(w in _PERIOD for w in words):
        name = "decision_years"
    elif minors:
        name = f"{base}_minors"
    else:
        name = base
    return name, years[0] if len(years) == 1 else (-1 if years else None)


def _header(row: int, cells: list[str]) -> _Header:
    found = _Header(row)
    previous: _Column | None = None
    for index, header in enumerate(cells):
        words = set(normalise(header).split())
        if not words:
            continue
        if words & _NUMBER_WORDS and words <= _NUMBER_WORDS | _NAME_WORDS and found.number is None:
            found.number = index
        elif words <= _NAME_WORDS and found.name is None:
            found.name = index
        elif words <= _YEAR_WORDS and found.year is None:
            found.year = index
        elif (kind := _classify(index, header, previous)) is not None:
            previous = _Column(index, header, kind[0], kind[1])
            found.columns.append(previous)
            continue
        else:
            found.ignored.append(header)
        previous = None
    return found


def _find_header(rows: list[tuple[int, list[str]]]) -> tuple[_Header, int] | None:
    for position, (number, cells) in enumerate(rows[:HEADER_SEARCH]):
        header = _header(number, cells)
        if (header.number is not None or header.name is not None) and header.columns:
            return header, position
    return None


def read_history(data: bytes) -> HistoryFile:
    """Read a history file (CSV or XLSX, long or wide). Raises HistoryFileError listing every problem."""
    if not data.strip():
        raise HistoryFileError(["Filen er tom."])
    found = None
    rows: list[tuple[int, list[str]]] = []
    try:
        for rows in tables(data):
            found = _find_header(rows)
            if found is not None:
                break
    except TableError as error:
        raise HistoryFileError([str(error)]) from None
    if found is None:
        raise HistoryFileError(
            [
                f"Fant ingen overskriftsrad i de første {HEADER_SEARCH} radene. Filen må ha en kolonne "
                "kommunenummer (eller kommune, skrevet som «3001 Halden») og minst én av kolonnene anbefalt, "
                "anmodning, vedtak eller bosatt."
            ]
        )
    header, position = found
    if len(rows) > MAX_ROWS:
        raise HistoryFileError([f"Filen har mer enn {MAX_ROWS:,} rader. Del den opp.".replace(",", " ")])
    problems = _header_problems(header)
    if problems:
        raise HistoryFileError(problems)
    records, skipped, problems = _records(header, rows[position + 1 :])
    if problems:
        raise HistoryFileError(problems)
    if not records:
        raise HistoryFileError(["Filen har ingen rader med tall."])
    return HistoryFile(records, "lang" if header.year is not None else "bred", header.ignored, skipped)


def _header_problems(header: _Header) -> list[str]:
    problems = []
    where = f"Rad {header.row}"
    seen: dict[tuple[str, int | None], str] = {}
    for column in header.columns:
        if column.year == -1:
            problems.append(
                f"{where}: kolonnen «{column.header}» har flere årstall. Skriv ett år per kolonne."
            )
            continue
        if header.year is not None and column.year is not None:
            problems.append(
                f"{where}: filen har en kolonne for år, men kolonnen «{column.header}» har også et årstall. "
                "Bruk enten én rad per kommune og år (med kolonnen år), eller år i kolonnenavnene."
            )
            continue
        if header.year is None and column.year is None:
            problems.append(
                f"{where}: kolonnen «{column.header}» mangler år. Skriv året i kolonnenavnet "
                f"(for eksempel «{column.header} 2024»), eller legg til en kolonne «år»."
            )
            continue
        key = (column.field, column.year)
        if key in seen:
            problems.append(f"{where}: kolonnene «{seen[key]}» og «{column.header}» gir det samme tallet.")
        seen[key] = column.header
    return problems


def _records(
    header: _Header, rows: list[tuple[int, list[str]]]
) -> tuple[list[HistoryRecord], list[int], list[str]]:
    problems: list[str] = []
    records: list[HistoryRecord] = []
    skipped: list[int] = []
    seen: dict[tuple[str, int], int] = {}

    def cell(cells: list[str], index: int | None) -> str:
        return cells[index].strip() if index is not None and index < len(cells) else ""

    for number, cells in rows:
        municipality = _municipality(cell(cells, header.number), cell(cells, header.name))
        if municipality is None:
            text = cell(cells, header.name) or cell(cells, header.number)
            region = parse_region(text)
            if _TOTAL_ROW.match(text) or (region is not None and len(region.code) <= 2):
                skipped.append(number)
            else:
                problems.append(
                    f"Rad {number}: finner ikke kommunenummeret i «{text}». Skriv det som «3001 Halden», "
                    "eller ha en egen kolonne kommunenummer med fire sifre."
                )
            continue
        kommunenummer, name = municipality
        by_year: dict[int, dict[str, int | str]] = {}
        if header.year is not None:
            text = cell(cells, header.year)
            year = int(text) if re.fullmatch(r"(19|20)\d\d", text) else None
            if year is None:
                problems.append(f"Rad {number}: år «{text}» er ikke et årstall (for eksempel 2024).")
                continue
            by_year[year] = {}
        for column in header.columns:
            assert column.year is not None or header.year is not None
            year = column.year if column.year is not None else next(iter(by_year))
            text = cell(cells, column.index)
            value = _value(column, text, number, problems)
            if value is not None:
                by_year.setdefault(year, {})[column.field] = value
        for year, values in by_year.items():
            if not values:
                continue
            key = (kommunenummer, year)
            if key in seen:
                problems.append(
                    f"Rad {number}: kommune {kommunenummer} for {year} står også på rad {seen[key]}."
                )
                continue
            seen[key] = number
            records.append(HistoryRecord(number, kommunenummer, name, year, **values))  # type: ignore[arg-type]
    return records, skipped, problems


def _municipality(number: str, name: str) -> tuple[str, str] | None:
    if number:
        region = parse_region(number)
        if region is not None and region.is_municipality:
            return region.kommunenummer, region.name or name
    region = parse_region(name)
    if region is not None and region.is_municipality:
        return region.kommunenummer, region.name
    return None


def _value(column: _Column, text: str, row: int, problems: list[str]) -> int | str | None:
    if column.field == "decision_years":
        if not text or text in ("..", ":"):
            return None
        match = _PERIOD_VALUE.match(text)
        if match is None or (match.group(2) and match.group(2) < match.group(1)):
            problems.append(
                f"Rad {row}: {column.header} «{text}» er ikke et år eller en periode "
                "(for eksempel 2025 eller 2025–2026)."
            )
            return None
        return f"{match.group(1)}–{match.group(2)}" if match.group(2) else match.group(1)
    try:
        return parse_count(text)
    except ValueError:
        problems.append(f"Rad {row}: {column.header} «{text}» er ikke et helt tall.")
        return None
