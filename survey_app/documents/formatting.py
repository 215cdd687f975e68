"""Numbers and dates as Norwegian documents write them, through Babel's CLDR data.

One place, so the DOCX, the PDF and both written standards show a number the same way: thousands grouped
with a non-breaking space, a decimal comma, and a real minus sign (U+2212) rather than a hyphen.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

Malform = Literal["nb", "nn"]

LOCALES: dict[Malform, str] = {"nb": "nb_NO", "nn": "nn_NO"}
OSLO = ZoneInfo("Europe/Oslo")
MINUS = "\u2212"
DASH = "–"  # an unknown value in a table cell


def integer(value: int) -> str:
    """12 345, with a real minus sign when negative."""
    text = format_decimal(abs(value), format="#,##0", locale="nb_NO")
    return f"{MINUS}{text}" if value < 0 else text


def decimal1(value: float) -> str:
    """One decimal, always: 3,5 and 12,0 (a column of them lines up)."""
    text = format_decimal(abs(value), format="#,##0.0", locale="nb_NO")
    return f"{MINUS}{text}" if value < 0 and text.strip("0,\u00a0") else text


def share_count(value: float) -> str:
    """A count that may be shared between regions: 12 or 7,5."""
    text = format_decimal(abs(value), format="#,##0.#", locale="nb_NO")
    return f"{MINUS}{text}" if value < 0 and text.strip("0,\u00a0") else text


def signed_share_count(value: float) -> str:
    """A change of such a count: +5, −2,5 and ±0."""
    text = share_count(value)
    if text.strip("0,\u00a0") == "":
        return "±0"
    return text if value < 0 else f"+{text}"


def factor(value: float) -> str:
    """The common factor with three decimals: 1,250."""
    return format_decimal(value, format="#,##0.000", locale="nb_NO")


def signed(value: int) -> str:
    """A change: +5, −3 and ±0."""
    if value > 0:
        return f"+{integer(value)}"
    if value < 0:
        return integer(value)
    return "±0"


def optional(value: int | None) -> str:
    return DASH if value is None else integer(value)


def optional1(value: float | None) -> str:
    return DASH if value is None else decimal1(value)


def long_date(value: date, malform: Malform = "nb") -> str:
    """4. mars 2026."""
    return format_date(value, "d. MMMM y", locale=LOCALES[malform])


def optional_date(value: date | None) -> str:
    return "ukjent dato" if value is None else long_date(value)


def moment(value: datetime) -> str:
    """4. mars 2026 kl. 14:32, in Norwegian time (a naive value is taken as Norwegian time already).

    Non-breaking spaces keep «4. mars» and «kl. 14:32» on one line each in a narrow column."""
    local = value.astimezone(OSLO) if value.tzinfo is not None else value
    return format_datetime(local, "d.\u00a0MMMM y 'kl.'\u00a0HH:mm", locale="nb_NO")


def paragraphs(text: str | None) -> list[str]:
    """Text written with hard line breaks (as in YAML) as paragraphs: blank lines separate them."""
    if not text:
        return []
    return [" ".join(block.split()) for block in text.split("\n\n") if block.strip()]


# --- the web pages' number filters (templating.py): one Norwegian style for every page --------------------


def decimal(value: float | None, decimals: int = 1, grouped: bool = True) -> str:
    """``value`` with exactly ``decimals`` decimals (3,4 and 12,0 line up in a column); «–» for None. A count
    is shown with ``decimals=0``; a year also with ``grouped=False`` (2012, not 2 012)."""
    if value is None:
        return DASH
    pattern = ("#,##0" if grouped else "0") + ("." + "0" * decimals if decimals else "")
    text = format_decimal(abs(value), format=pattern, locale="nb_NO")
    return f"{MINUS}{text}" if value < 0 and text.strip("0,\u00a0") else text


def percent(share: float | None, decimals: int = 0) -> str:
    """A share 0..1 as «48,9 %» (a no-break space before the sign, as Norwegian writes it)."""
    return DASH if share is None else f"{decimal(share * 100, decimals)}\u00a0%"


def signed_decimal(value: float | None, decimals: int = 1) -> str:
    """A change: +2,5, −2,5 and ±0 (what rounds to zero is no change)."""
    if value is None:
        return DASH
    text = decimal(value, decimals)
    if text.strip("0,\u00a0") == "":
        return "±0"
    return text if value < 0 else f"+{text}"
