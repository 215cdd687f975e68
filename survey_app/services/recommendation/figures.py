"""The county's figures per municipality, read from a CSV as Excel writes it, as ``FigureRow``s.

The file's columns are a contract with the county (docs/recommendation.md): ``kommunenummer, kommune,
region, forrige_anmodning, vedtak`` (blank ``vedtak``: no decision), optionally ``innbyggere``,
``vedtak_ema`` and ``integreringsindeks``, and any further numeric column the rules may weigh. Comma or
semicolon, decimal comma or point, UTF-8 or Windows-1252.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from analysis.problems import ProblemsError
from analysis.settlement import INDEX, Rules, RulesError, Unit
from survey_app import textfiles
from survey_app.cells import neutralise
from survey_app.scenario_data import FigureRow

REQUIRED = ("kommunenummer", "kommune", "forrige_anmodning", "vedtak")
MINORS = "vedtak_ema"  # the council's decision on unaccompanied minors (enslige mindreårige); blank: none
POPULATION = "innbyggere"
FIXED = (*REQUIRED, "region", MINORS)
# The file's whole-number columns and the FigureRow field each fills.
WHOLE = {"forrige_anmodning": "last_request", "vedtak": "decision", MINORS: "decision_minors"}
MAX_ROWS = 2_000


class FiguresError(ProblemsError):
    """The figures file cannot be used; ``problems`` name the line and column, in Norwegian."""


@dataclass
class Figures:
    """One row per municipality, and the numeric columns that can serve as criteria."""

    rows: list[FigureRow]
    criteria_columns: list[str]
    ignored: dict[str, str] = field(default_factory=dict)  # column → why it cannot be a criterion


_SPACES = re.compile(r"[\s\u00a0\u202f]")


def parse_number(text: str) -> float | None:
    """A number as Norwegians write it («12 345», «72,5», «−3») or as programs do («72.5»); blank is None."""
    cleaned = _SPACES.sub("", text).replace("\u2212", "-")
    if not cleaned:
        return None
    if "," in cleaned and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError:
        raise ValueError(text) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(text)
    return value


def whole_number(text: str, *, blank: int | None, most: int = 1_000_000) -> int | None:
    """A whole number from 0 to ``most``; ``blank`` for an empty field; ValueError otherwise."""
    value = parse_number(text)
    if value is None:
        return blank
    if value != int(value) or not 0 <= value <= most:
        raise ValueError(text)
    return int(value)


def read_figures(data: bytes | str, *, source: str = "filen") -> Figures:
    """Read the county's figures: ``kommunenummer, kommune, region, forrige_anmodning, vedtak`` and criteria.

    Bytes are decoded as Excel writes them (``survey_app.textfiles``)."""
    try:
        text = (data if isinstance(data, str) else textfiles.decode(data, source=source)).removeprefix(
            "\ufeff"
        )
    except textfiles.TextFileError as error:
        raise FiguresError(error.problems) from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise FiguresError(
            [
                f"Linje 1: kolonnen «{c}» mangler. Filen må ha kolonnene {', '.join(REQUIRED)}."
                for c in missing
            ]
        )
    reader.fieldnames = header
    extra = [h for h in header if h and h not in FIXED]
    problems: list[str] = []
    ignored: dict[str, str] = {}
    found: list[tuple[dict[str, object], dict[str, float | None]]] = []
    seen: set[str] = set()
    for line, raw in enumerate(reader, start=2):
        if len(found) >= MAX_ROWS:
            problems.append(f"Filen har mer enn {MAX_ROWS} rader.")
            break
        cells = {k: (v or "").strip() for k, v in raw.items() if isinstance(k, str)}
        if not any(cells.values()):
            continue
        number = cells["kommunenummer"]
        if not number.isdigit() or len(number) > 4:
            problems.append(f"Linje {line}: kommunenummer «{number}» er ikke et kommunenummer (fire sifre).")
            continue
        number = number.zfill(4)
        if number in seen:
            problems.append(f"Linje {line}: kommune {number} står flere ganger.")
            continue
        seen.add(number)
        row: dict[str, object] = {
            "kommunenummer": number,
            "name": cells["kommune"] or number,
            "region": cells.get("region", ""),
        }
        for column, name in WHOLE.items():
            try:
                row[name] = whole_number(cells.get(column, ""), blank=None)
            except ValueError:
                problems.append(
                    f"Linje {line}: {column} «{cells.get(column, '')}» må være et helt tall, 0 eller mer."
                )
        criteria: dict[str, float | None] = {}
        for column in extra:
            try:
                value = parse_number(cells.get(column, ""))
            except ValueError:
                ignored.setdefault(column, f"linje {line} har «{cells[column]}», som ikke er et tall")
                continue
            if column == INDEX and value is not None and not 0 <= value <= 100:
                problems.append(
                    f"Linje {line}: integreringsindeks «{cells[column]}» må være mellom 0 og 100."
                )
                continue
            if column == POPULATION and value is not None and (value < 0 or value != int(value)):
                problems.append(
                    f"Linje {line}: innbyggere «{cells[column]}» må være et helt tall, 0 eller mer."
                )
                continue
            criteria[column] = value
        found.append((row, criteria))
    if problems:
        raise FiguresError(problems)
    if not found:
        raise FiguresError(["Filen har ingen kommuner."])
    columns = [c for c in extra if c not in ignored]
    rows = []
    for row, criteria in found:
        population = criteria.get(POPULATION)
        rows.append(
            FigureRow.model_validate(
                {
                    **row,
                    "last_request": row.get("last_request") or 0,
                    "population": None if population is None else int(population),
                    "criteria": {c: criteria.get(c) for c in columns},
                }
            )
        )
    return Figures(rows, columns, ignored)


def units(rows: Sequence[FigureRow]) -> list[Unit]:
    return [
        Unit(
            kommunenummer=r.kommunenummer,
            name=r.name,
            region=r.region,
            last_request=r.last_request,
            decision=r.decision,
            criteria=r.criteria,
            population=r.population,
        )
        for r in rows
    ]


def check_columns(rules: Rules, columns: Sequence[str]) -> None:
    """A criterion with weight needs its column in the figures."""
    absent = [c.column for c in rules.weighted if c.column not in columns]
    if absent:
        names = ", ".join(f"«{c}»" for c in absent)
        raise RulesError(f"Reglene bruker {names}, men tallene har ikke den kolonnen.")
    if any(c.per_capita for c in rules.weighted) and POPULATION not in columns:
        raise RulesError("Et kriterium per innbygger trenger kolonnen «innbyggere» i tallene.")


def template_csv(
    rows: Sequence[tuple[str, str, str]], index: Mapping[str, float | None] | None = None
) -> str:
    """A figures file to fill in: the county's municipalities, and the index when a round is given."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["kommunenummer", "kommune", "region", "forrige_anmodning", "vedtak", POPULATION, INDEX])
    for number, name, region in rows:
        value = (index or {}).get(number)
        shown = "" if value is None else f"{value:.1f}".replace(".", ",")
        writer.writerow([number, neutralise(name), neutralise(region), "", "", "", shown])
    return out.getvalue()
