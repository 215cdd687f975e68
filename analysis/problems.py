"""One error for input that cannot be used: every problem listed, in Norwegian, where the user can act on it."""

from __future__ import annotations

from collections.abc import Sequence


class ProblemsError(ValueError):
    """Input that cannot be used; ``problems`` names each place (a line, a row, a field) and what is wrong."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)
