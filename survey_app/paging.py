"""One page of a long list: which items, and where the page lies among the others."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    number: int  # 1-based, within 1..count
    count: int  # pages in all (at least 1)
    total: int  # items in all
    first: int  # 1-based position of the page's first item (0 when there are none)

    @property
    def last(self) -> int:
        return self.first + len(self.items) - 1 if self.items else 0


def page_of(items: Sequence[T], number: int, size: int) -> Page[T]:
    """Page ``number`` of ``items`` in pages of ``size``; a number outside the pages gives the nearest one."""
    count = max(1, -(-len(items) // size))
    number = min(max(number, 1), count)
    start = (number - 1) * size
    chosen = list(items[start : start + size])
    return Page(chosen, number, count, len(items), start + 1 if chosen else 0)
