"""SSB statbank downloads: one figure per municipality and year, with the table it came from.

Two formats, as statbank (ssb.no/statbank) saves them:

- **semicolon CSV** («semikolonseparert med overskrift»): perhaps a title line (``07459: Befolkning, etter
  region og år``) and a blank line, then a header whose first column is the region and one column per
  year (``"region";"07459: Personer 2023";"07459: Personer 2024"``), or a column for the year and the value
  last (``"region";"år";"Personer"``); regions as ``"3001 Halden"`` or ``"3001 Halden (2020-2023)"``;
  ``..``, ``.``, ``...`` and ``:`` for values that are missing or withheld, ``-`` for zero; Windows-1252 or
  UTF-8 with a byte-order mark.
- **JSON-stat 2** (``{"version": "2.0", "class": "dataset", "id": [...], "size": [...], "dimension": {...},
  "value": [...]}``), as the statbank API and the «JSON-stat2» download give it; the table id is in
  ``extension.px.tableid`` or at the start of the label. JSON-stat 1 (``{"dataset": {...}}``) is read too.

A file must hold one measure (statistikkvariabel): every other dimension than region and year must have a
single value. Counties and the whole country are skipped; a region code of three or four digits is a
municipality. Problems are reported in Norwegian with the line (CSV) or the region and year (JSON-stat).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from analysis.kommunenummer import parse_region
from analysis.problems import ProblemsError
from analysis.tabular import (
    MAX_ROWS,
    TableError,
    TextFileError,
    csv_rows,
    decode,
    delimiters,
    normalise,
    parse_number,
    years_in,
)

MAX_CELLS = 1_000_000  # far above a county's municipalities × years; the cap keeps a wrong file cheap
_TABLE_ID = re.compile(r"^\s*(\d{5})\s*:")
_YEAR_HEADERS = {"ar", "aar", "tid", "year", "arstall"}
_MEASURE_HEADERS = {"statistikkvariabel", "contents", "statistikkvariabler"}


class StatbankError(ProblemsError):
    """The file cannot be imported; ``problems`` say where and what, in Norwegian."""


@dataclass(frozen=True)
class StatValue:
    kommunenummer: str
    name: str
    year: int
    value: float
    where: str  # «Linje 7» (CSV) or «3001 Halden, 2024» (JSON-stat), for messages


@dataclass(frozen=True)
class StatTable:
    """The figures of one statbank table and measure, per municipality and year."""

    table_id: str  # «07459»; blank when the file does not say
    title: str
    measure: str  # «Personer»
    values: list[StatValue]
    missing: int = 0  # cells with «..», «:» and the like: not stored
    skipped: list[str] = field(default_factory=list)  # counties and the whole country


def read_statbank(data: bytes) -> StatTable:
    """Read a statbank download: JSON-stat (1 or 2) or semicolon CSV."""
    try:
        text = decode(data)
    except TextFileError as error:
        raise StatbankError(error.problems) from None
    if not text.strip():
        raise StatbankError(["Filen er tom."])
    if text.lstrip().startswith("{"):
        try:
            document = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as error:
            raise StatbankError([f"Filen er ikke gyldig JSON ({error})."]) from None
        return read_jsonstat(document)
    return read_statbank_csv(text)


# --- CSV ---------------------------------------------------------------------------------------------


def read_statbank_csv(text: str) -> StatTable:
    """Read statbank's semicolon CSV (or comma), wide (years as columns) or long (a year column)."""
    if "\x00" in text:
        raise StatbankError(["Filen ser ikke ut som tekst (CSV) eller JSON-stat."])
    for delimiter in delimiters(text):
        try:
            rows = csv_rows(text, delimiter)
        except TableError as error:
            raise StatbankError([str(error)]) from None
        if len(rows) > MAX_ROWS:
            raise StatbankError([f"Filen har mer enn {MAX_ROWS:,} linjer. Del den opp.".replace(",", " ")])
        for position, (line, cells) in enumerate(rows[:10]):
            if _is_header(cells):
                title = " ".join(rows[0][1]) if position > 0 else ""
                return _csv_table(title, line, cells, rows[position + 1 :])
    raise StatbankError(
        [
            "Fant ingen overskriftsrad med region og årstall i de første linjene. Last ned tabellen fra "
            "statistikkbanken som «semikolonseparert med overskrift» (CSV) eller som JSON-stat2."
        ]
    )


def _is_header(cells: list[str]) -> bool:
    if len(cells) < 2 or parse_region(cells[0]) is not None:
        return False
    rest = [normalise(c) for c in cells[1:]]
    return any(years_in(c) for c in rest) or any(c in _YEAR_HEADERS for c in rest)


def _table_id(*texts: str) -> str:
    for text in texts:
        match = _TABLE_ID.match(text)
        if match:
            return match.group(1)
    return ""


def _measure(header: str) -> str:
    text = _TABLE_ID.sub("", header)
    text = re.sub(r"(?<!\d)(?:19|20)\d\d(?!\d)", "", text)
    return " ".join(text.split())


def _csv_table(
    title: str, header_line: int, header: list[str], rows: list[tuple[int, list[str]]]
) -> StatTable:
    normalised = [normalise(h) for h in header]
    year_column = next((i for i, h in enumerate(normalised) if h in _YEAR_HEADERS and i > 0), None)
    problems: list[str] = []
    # (column, year) of every value column (year None: in the year column), and the other dimensions.
    value_columns: list[tuple[int, int | None]]
    if year_column is not None:
        value_columns = [(len(header) - 1, None)]
        dimensions = [i for i in range(1, len(header) - 1) if i != year_column]
        measure_column = next((i for i in dimensions if normalised[i] in _MEASURE_HEADERS), None)
        measure = _measure(header[-1])
    else:
        value_columns = []
        dimensions = []
        for i, h in enumerate(header[1:], start=1):
            years = years_in(h)
            if len(years) == 1:
                value_columns.append((i, years[0]))
            elif not years and h:
                dimensions.append(i)
            elif years:
                problems.append(f"Linje {header_line}: kolonnen «{h}» har flere årstall.")
        measure_column = None
        measures = sorted({_measure(header[i]) for i, _ in value_columns})
        if len(measures) > 1:
            problems.append(
                f"Linje {header_line}: filen har flere statistikkvariabler ({', '.join(measures)}). "
                "Last ned én om gangen."
            )
        measure = measures[0] if measures else ""
    table_id = _table_id(title, *header)
    for column in dimensions:
        values = sorted({cells[column] for _, cells in rows if column < len(cells) and cells[column]})
        if len(values) > 1 and column != measure_column:
            problems.append(_several(header[column], values))
        elif len(values) > 1:
            problems.append(
                f"Kolonnen «{header[column]}» har flere statistikkvariabler ({', '.join(values[:5])}). "
                "Last ned én om gangen."
            )
        elif values and column == measure_column:
            measure = values[0]
    if problems:
        raise StatbankError(problems)
    table = _Collector()
    for line, cells in rows:
        region_text = cells[0] if cells else ""
        where = f"Linje {line}"
        for column, year in value_columns:
            if year is None:
                year_text = cells[year_column] if year_column is not None and year_column < len(cells) else ""
                years = years_in(year_text)
                if len(years) != 1 or len(year_text.strip()) != 4:
                    table.problems.append(f"{where}: «{year_text}» er ikke et årstall. Last ned tall per år.")
                    continue
                year = years[0]
            text = cells[column] if column < len(cells) else ""
            table.add(where, region_text, year, text, f"i kolonnen «{header[column]}» ")
    return table.finish(table_id=table_id, title=title, measure=measure)


def _several(name: str, values: list[str]) -> str:
    shown = ", ".join(values[:5]) + (" …" if len(values) > 5 else "")
    return (
        f"«{name}» har flere verdier ({shown}). Velg én verdi i statistikkbanken, eller ingen, så summerer "
        "statistikkbanken dem."
    )


@dataclass
class _Collector:
    values: list[StatValue] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    missing: int = 0
    seen: dict[tuple[str, int], str] = field(default_factory=dict)

    def add(self, where: str, region_text: str, year: int, text: str, column: str = "") -> None:
        region = parse_region(region_text)
        if region is None or len(region.code) <= 2:
            # The whole country («0 Hele landet», «Hele landet») and counties («30 Viken»).
            if region_text and region_text not in self.skipped:
                self.skipped.append(region_text)
            return
        if not region.is_municipality:
            self.problems.append(
                f"{where}: «{region_text}» er ikke en kommune (kommunenummer har fire sifre)."
            )
            return
        try:
            value = parse_number(text)
        except ValueError:
            self.problems.append(f"{where}: «{text}» {column}er ikke et tall.")
            return
        if value is None:
            self.missing += 1
            return
        key = (region.kommunenummer, year)
        if key in self.seen:
            self.problems.append(f"{where}: {region_text} for {year} står også på {self.seen[key].lower()}.")
            return
        self.seen[key] = where
        self.values.append(StatValue(region.kommunenummer, region.name, year, value, where))

    def finish(self, *, table_id: str, title: str, measure: str) -> StatTable:
        if self.problems:
            raise StatbankError(self.problems)
        if not self.values:
            raise StatbankError(["Filen har ingen tall for kommuner."])
        return StatTable(table_id, title, measure, self.values, self.missing, self.skipped)


# --- JSON-stat ---------------------------------------------------------------------------------------


def read_jsonstat(document: object) -> StatTable:
    """Read a JSON-stat dataset (version 2, or the ``{"dataset": …}`` of version 1)."""
    if isinstance(document, dict) and isinstance(document.get("dataset"), dict):
        document = document["dataset"]
    if not isinstance(document, dict) or not isinstance(document.get("dimension"), dict):
        raise StatbankError(["Filen er ikke et JSON-stat-datasett (mangler «dimension»)."])
    try:
        return _jsonstat(document)
    except StatbankError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError) as error:
        raise StatbankError(
            [
                "JSON-stat-filen har en form Innspill ikke kjenner igjen. Last ned tabellen på nytt fra "
                "statistikkbanken som JSON-stat 2."
            ]
        ) from error


@dataclass(frozen=True)
class _Dimension:
    id: str
    label: str
    codes: list[str]
    labels: Mapping[str, str]


def _dimension(name: str, raw: Mapping[str, Any]) -> _Dimension:
    category = raw["category"]
    index = category.get("index")
    labels = category.get("label") or {}
    if isinstance(index, list):
        codes = [str(c) for c in index]
    elif isinstance(index, dict):
        codes = [str(c) for c, _ in sorted(index.items(), key=lambda kv: int(kv[1]))]
    else:  # a single category may omit the index
        codes = [str(c) for c in labels]
    return _Dimension(name, str(raw.get("label") or name), codes, {str(k): str(v) for k, v in labels.items()})


def _role(document: Mapping[str, Any], role: str, ids: list[str], guesses: set[str]) -> str | None:
    named = (document.get("role") or {}).get(role) or []
    for name in named:
        if name in ids:
            return str(name)
    return next((i for i in ids if normalise(i) in guesses), None)


def _jsonstat(document: Mapping[str, Any]) -> StatTable:
    dimensions = document["dimension"]
    ids = [str(i) for i in (document.get("id") or dimensions.get("id") or [])]
    sizes = [int(s) for s in (document.get("size") or dimensions.get("size") or [])]
    if not ids or len(ids) != len(sizes):
        raise StatbankError(["JSON-stat-filen mangler «id» og «size» for dimensjonene."])
    dims = [_dimension(i, dimensions[i]) for i in ids]
    for dim, size in zip(dims, sizes, strict=True):
        if len(dim.codes) != size:
            raise StatbankError(
                [f"Dimensjonen «{dim.label}» har {len(dim.codes)} verdier, men «size» sier {size}."]
            )
    region = _role(document, "geo", ids, {"region", "kommune", "kokkommuneregion0000"})
    time = _role(document, "time", ids, {"tid", "ar", "year", "time"})
    metric = _role(document, "metric", ids, {"contentscode", "statistikkvariabel"})
    if region is None or time is None:
        raise StatbankError(["JSON-stat-filen må ha en dimensjon for region og en for tid (år)."])
    problems = []
    for dim in dims:
        if dim.id in (region, time) or len(dim.codes) == 1:
            continue
        values = [dim.labels.get(c, c) for c in dim.codes]
        if dim.id == metric:
            problems.append(
                f"Filen har flere statistikkvariabler ({', '.join(values[:5])}). Last ned én om gangen."
            )
        else:
            problems.append(_several(dim.label, values))
    if problems:
        raise StatbankError(problems)
    label = str(document.get("label") or "")
    extension = document.get("extension") or {}
    px = extension.get("px") if isinstance(extension, dict) else None
    table_id = str(px.get("tableid") or "") if isinstance(px, dict) else ""
    table_id = table_id or _table_id(label)
    measure = label
    if metric is not None:
        metric_dim = dims[ids.index(metric)]
        measure = metric_dim.labels.get(metric_dim.codes[0], metric_dim.codes[0])
    bad = [p for p in dims[ids.index(time)].codes if not re.fullmatch(r"(19|20)\d\d", p)]
    if bad:
        raise StatbankError([f"Tid «{bad[0]}» er ikke et årstall. Last ned tall per år."])
    raw_values = document.get("value")
    total = math.prod(sizes)
    if total > MAX_CELLS:
        raise StatbankError(
            [f"Filen har {total} celler, flere enn Innspill leser ({MAX_CELLS}). Del den opp."]
        )
    strides = [math.prod(sizes[i + 1 :]) for i in range(len(sizes))]
    region_at, time_at = ids.index(region), ids.index(time)
    table = _Collector()
    for r, code in enumerate(dims[region_at].codes):
        region_text = _region_text(code, dims[region_at].labels.get(code, ""))
        for t, period in enumerate(dims[time_at].codes):
            value = _value_at(raw_values, r * strides[region_at] + t * strides[time_at], total)
            table.add(f"{region_text}, {period}", region_text, int(period), value)
    return table.finish(table_id=table_id, title=label, measure=measure)


def _region_text(code: str, label: str) -> str:
    # Statbank codes are «3001» or «K-3001», and a label may repeat the code («3001 Halden»).
    bare = code.split("-")[-1]
    return label if label.startswith(bare) else f"{bare} {label}".strip()


def _value_at(values: object, position: int, total: int) -> str:
    """The value at ``position`` as text (so CSV and JSON-stat share one number parser); «..» if absent."""
    if isinstance(values, list):
        if len(values) != total:
            raise StatbankError([f"JSON-stat-filen har {len(values)} verdier, men dimensjonene gir {total}."])
        value = values[position]
    elif isinstance(values, dict):
        value = values.get(str(position))
    else:
        raise StatbankError(["JSON-stat-filen mangler «value»."])
    if value is None:
        return ".."
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise StatbankError([f"JSON-stat-filen har en verdi som ikke er et tall: {value!r}."])
    return str(value)
