"""A page of a list: every item on exactly one page, and a page number outside the pages gives the nearest."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from survey_app.paging import page_of


@given(st.integers(0, 300), st.integers(1, 60))
def test_every_item_is_on_exactly_one_page(n: int, size: int) -> None:
    items = list(range(n))
    first = page_of(items, 1, size)
    pages = [page_of(items, number, size) for number in range(1, first.count + 1)]
    assert [i for p in pages for i in p.items] == items
    assert all(p.total == n and p.count == first.count for p in pages)
    assert all(p.last - p.first + 1 == len(p.items) for p in pages if p.items)


def test_a_number_outside_the_pages_gives_the_nearest() -> None:
    items = list(range(45))
    assert page_of(items, 99, 20).number == 3 and page_of(items, 99, 20).items == list(range(40, 45))
    assert page_of(items, -2, 20).number == 1 and page_of(items, 0, 20).first == 1
    empty = page_of([], 1, 20)
    assert (empty.count, empty.first, empty.last, empty.items) == (1, 0, 0, [])
