"""The scenario page's summary beside the rules: what the numbers come to, at a glance, as the adviser types.

Display only: it reads a computed ``Recommendation`` and never changes one.
"""

from __future__ import annotations

from dataclasses import dataclass

from analysis.settlement import Recommendation

# How many of the biggest changes the summary lists (from last year; against the saved scenario): the
# summary must fit beside the rules, and the table below them has every municipality.
BIGGEST = 5
BIGGEST_AGAINST_SAVED = 3


@dataclass(frozen=True)
class Change:
    """One municipality's number before and after: last year's request, or the saved scenario's number."""

    name: str
    before: int
    after: int

    @property
    def change(self) -> int:
        return self.after - self.before


@dataclass(frozen=True)
class Summary:
    """The total, how many municipalities changed from last year, and the biggest of those changes.

    ``against_saved`` is set when the rules on the page are not saved yet: the municipalities whose number
    they change compared with the saved scenario, biggest first (empty: the numbers are the same)."""

    total: int
    minors: int | None
    municipalities: int
    changed: int
    not_asked: int
    biggest: list[Change]
    against_saved: list[Change] | None = None

    @property
    def against_saved_shown(self) -> list[Change]:
        return (self.against_saved or [])[:BIGGEST_AGAINST_SAVED]


def _biggest_first(changes: list[Change]) -> list[Change]:
    # Ties by name, so the list does not shuffle between two updates with the same numbers.
    return sorted(changes, key=lambda c: (-abs(c.change), c.name))


def summarise(result: Recommendation, saved: Recommendation | None = None) -> Summary:
    """The summary of ``result``; with ``saved``, also what changes against the saved scenario's numbers."""
    from_last_year = [
        Change(a.name, a.last_request, a.recommended) for a in result.allocations if a.change != 0
    ]
    against_saved = None
    if saved is not None:
        before = {a.kommunenummer: a.recommended for a in saved.allocations}
        against_saved = _biggest_first(
            [
                Change(a.name, before.get(a.kommunenummer, 0), a.recommended)
                for a in result.allocations
                if before.get(a.kommunenummer, 0) != a.recommended
            ]
        )
    return Summary(
        total=result.total,
        minors=result.minors,
        municipalities=len(result.allocations),
        changed=len(from_last_year),
        not_asked=sum(1 for a in result.allocations if not a.asked),
        biggest=_biggest_first(from_last_year)[:BIGGEST],
        against_saved=against_saved,
    )
