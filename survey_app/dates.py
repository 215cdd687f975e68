"""Dates and times as Norwegian pages and files show them, in Norwegian time.

Kept apart from the page templating so that services and command-line tools can use them without loading
the web framework.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

OSLO = ZoneInfo("Europe/Oslo")

MONTHS = [
    "januar",
    "februar",
    "mars",
    "april",
    "mai",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "desember",
]


def local(value: datetime) -> datetime:
    return value.astimezone(OSLO)


def format_datetime(value: datetime | None) -> str:
    """29.11.2026 kl. 14:32 in Norwegian time."""
    if value is None:
        return "–"
    return local(value).strftime("%d.%m.%Y kl. %H:%M")


def format_time(value: datetime | None) -> str:
    return "–" if value is None else local(value).strftime("%H:%M")


def format_date(value: date | datetime | None) -> str:
    """29. november 2026."""
    if value is None:
        return "–"
    if isinstance(value, datetime):
        value = local(value).date()
    return f"{value.day}. {MONTHS[value.month - 1]} {value.year}"
