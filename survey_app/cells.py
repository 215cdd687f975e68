"""Spreadsheet cells that stay text: the one guard every CSV and XLSX the app writes goes through.

A spreadsheet treats a cell that starts with «=», «+», «-» or «@» as a formula (tab and CR too: some programs
strip them and then see the next character). A municipality's free text, or a name in a register file, must
never run as a formula on an adviser's machine (CSV/formula injection, OWASP), so such a text cell gets a
leading apostrophe: shown as text, its content kept whole. Numbers are left as numbers.
"""

from __future__ import annotations

from typing import TypeVar

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

T = TypeVar("T")


def neutralise(cell: T) -> T:
    """``cell`` as text a spreadsheet will not run: a leading apostrophe before a formula's first character."""
    if isinstance(cell, str) and cell.startswith(FORMULA_START):
        return "'" + cell  # type: ignore[return-value]
    return cell
