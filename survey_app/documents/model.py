"""The case document's input: one frozen value the caller builds from a recommendation.

Everything the documents print comes from here, already decided; the renderers only word and lay it out.
Texts in it (method, rules, explanations, warnings) are plain bokmål written by the caller.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, TypeVar

T = TypeVar("T")

# Characters XML 1.0 cannot hold (python-docx refuses them). Text pasted from Word can carry some, such as
# the vertical tab Word uses for a manual line break.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class MunicipalityLine:
    kommunenummer: str
    name: str
    region: str
    last_request: int  # last year's IMDi request (anmodning)
    baseline: float  # last year's request × the common factor (grunnlag)
    recommended: int  # anbefalt
    change: int  # recommended − last_request
    per_1000: float | None  # recommended per 1,000 inhabitants (None: population unknown)
    decision: int | None  # the council's decision (vedtak) for the year, None: none
    settled: tuple[tuple[int, int | None], ...]  # (year, settled) for the last three years, oldest first
    minors: int | None  # of recommended, unaccompanied minors (None: not asked)
    explanation: str  # the begrunnelse, plain bokmål


@dataclass(frozen=True)
class RegionLine:
    """A region's subtotal; a municipality in two regions counts in each by its share, so halves occur."""

    name: str
    last_request: float
    recommended: float
    change: float


@dataclass(frozen=True)
class OverrideLine:
    kommunenummer: str
    name: str
    number: int
    reason: str
    by: str
    at: datetime


@dataclass(frozen=True)
class SourceLine:
    label: str
    description: str
    date: date | None


@dataclass(frozen=True)
class CaseDocument:
    county: str  # «Viken fylkeskommune»
    title: str  # the scenario's name
    year: int  # the settlement year the recommendation is for
    total: int  # the number the county distributes (IMDi's total)
    minors: int | None  # of which unaccompanied minors
    last_total: int  # the sum of last year's requests
    factor: float  # the common factor f = total / sum of last year's requests
    method: tuple[str, ...]  # paragraphs in plain bokmål explaining the method
    rules: tuple[tuple[str, str], ...]  # (rule, value) in plain bokmål
    lines: tuple[MunicipalityLine, ...]
    regions: tuple[RegionLine, ...]
    overrides: tuple[OverrideLine, ...]
    sources: tuple[SourceLine, ...]
    warnings: tuple[str, ...]  # plain warnings to print prominently
    malform: Literal["nb", "nn"]  # the county's written standard, for the letter
    prepared_by: str  # the adviser's name
    date: date  # the document's date
    is_final: bool  # draft documents say «UTKAST» clearly


def printable(value: T) -> T:
    """``value`` with every string made safe for XML: a manual line break becomes a space, other control
    characters go. Applied once to the whole document before it is worded."""
    return _printable(value)  # type: ignore[no-any-return]


def _printable(value: Any) -> Any:
    if isinstance(value, str):
        return _NOT_XML.sub(lambda m: " " if m.group() in "\x0b\x0c" else "", value)
    if isinstance(value, tuple):
        return tuple(_printable(item) for item in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _printable(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return dataclasses.replace(value, **changes)
    return value
