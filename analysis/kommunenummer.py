"""Municipality numbers as files write them, and across municipal reforms.

SSB and IMDi write a municipality as «3001 Halden», «K-3001 Halden» or «3001 Halden (2020-2023)»; a county's
own sheet may have the number alone, or lose its leading zero in Excel («301»). Numbers change when
municipalities or counties merge or split: in 2024 Viken's 30xx became Østfold's 31xx, Akershus' 32xx and
Buskerud's 33xx. A successor table (old number → new number) lets figures filed under either number land
on the number the county's register uses.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

_REGION = re.compile(r"^\s*(?:[KkFf]-)?(\d{1,6})(?=\D|$)\s*[-–:]?\s*(.*?)\s*$")
# SSB marks a municipality that no longer exists with its years: «Halden (2020-2023)».
_VALIDITY = re.compile(r"\s*\((?:\s*-\s*)?\d{4}\s*[-–]?\s*(?:\d{4})?\s*\)\s*$")


@dataclass(frozen=True)
class Region:
    """A region as a file names it: its code (without prefix) and name."""

    code: str
    name: str

    @property
    def is_municipality(self) -> bool:
        """Three or four digits: a municipality (Oslo is 0301, written «301» by Excel). Two digits are a
        county, one the whole country; longer codes are smaller areas."""
        return len(self.code) in (3, 4)

    @property
    def kommunenummer(self) -> str:
        return self.code.zfill(4)


def parse_region(text: str) -> Region | None:
    """«3001 Halden», «K-3001 Halden», «3001 Halden (2020-2023)», «3001» → Region; None without a number."""
    match = _REGION.match(text)
    if match is None:
        return None
    return Region(match.group(1), _VALIDITY.sub("", match.group(2)).strip())


def read_successors(text: str) -> dict[str, str]:
    """A successor table as CSV: the first column whose name starts with «kommunenummer» holds the old
    number, the next such column the new one (``kommunenummer_2020_2023,name,kommunenummer_2024,…``)."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    header = [h.strip().lower() for h in next(reader, [])]
    columns = [i for i, h in enumerate(header) if h.startswith("kommunenummer")]
    if len(columns) < 2:
        raise ValueError("the successor table needs two kommunenummer columns (old, new)")
    old, new = columns[:2]
    mapping: dict[str, str] = {}
    for cells in reader:
        if len(cells) > max(old, new) and cells[old].strip() and cells[new].strip():
            mapping[cells[old].strip().zfill(4)] = cells[new].strip().zfill(4)
    return mapping


def number_mapper(*, register: Collection[str], successors: Mapping[str, str]) -> Callable[[str], str | None]:
    """A function from a municipality number in a file to the register's number for it, or None.

    ``successors`` maps an old number to its new one (a merger maps several old numbers to one new). A
    number the register holds is kept; otherwise the successor chain is followed forwards (a 2020 number
    to the 2024 one, when the register holds 2024 numbers) and, where a number has exactly one
    predecessor, backwards (3101 to 3001, when the register holds 2020–2023 numbers). A merged number is
    never split backwards: its old parts cannot be told apart.
    """
    known = frozenset(register)
    predecessors: dict[str, list[str]] = {}
    for old, new in successors.items():
        predecessors.setdefault(new, []).append(old)

    def walk(number: str, step: Callable[[str], str | None]) -> str | None:
        seen = {number}
        current: str | None = step(number)
        while current is not None and current not in seen:
            if current in known:
                return current
            seen.add(current)
            current = step(current)
        return None

    def backward(number: str) -> str | None:
        found = predecessors.get(number, [])
        return found[0] if len(found) == 1 else None

    def to_register(number: str) -> str | None:
        if number in known:
            return number
        return walk(number, successors.get) or walk(number, backward)

    return to_register
