"""Who may do what: one grid, tested cell by cell in tests/test_permissions.py."""

from __future__ import annotations

import enum

from survey_app.models import Role


class Action(enum.StrEnum):
    view_results = "view_results"  # round overview, responses read-only
    reopen_response = "reopen_response"
    manage_rounds = "manage_rounds"
    manage_users = "manage_users"


GRID: dict[Role, frozenset[Action]] = {
    Role.admin: frozenset(Action),
    Role.radgiver: frozenset({Action.view_results, Action.reopen_response}),
    Role.leser: frozenset({Action.view_results}),
}

ROLE_LABELS = {Role.admin: "Administrator", Role.radgiver: "Rådgiver", Role.leser: "Leser"}


def can(role: Role, action: Action) -> bool:
    return action in GRID[role]
