"""Who may do what: one grid, tested cell by cell in tests/test_permissions.py."""

from __future__ import annotations

import enum

from survey_app.models import Role


class Action(enum.StrEnum):
    view_results = "view_results"  # rounds, follow-up, results, responses read-only
    export = "export"  # files and the JSON API: bulk copies of the answers
    remind = "remind"  # send reminders to municipalities
    reopen_response = "reopen_response"
    manage_rounds = "manage_rounds"  # create rounds, invitations, revoke and regenerate links
    manage_users = "manage_users"
    view_audit = "view_audit"
    code_themes = "code_themes"  # confirm or correct the machine's themes; run the analysis
    recommend = "recommend"  # prepare the settlement recommendation: scenarios, overrides, the final version


GRID: dict[Role, frozenset[Action]] = {
    # admin: users, rounds, settings, and everything a rådgiver does
    Role.admin: frozenset(Action),
    # rådgiver: all results, follow-up, coding, exports
    Role.radgiver: frozenset(
        {
            Action.view_results,
            Action.export,
            Action.remind,
            Action.reopen_response,
            Action.code_themes,
            Action.recommend,
        }
    ),
    # leser: read only, on screen
    Role.leser: frozenset({Action.view_results}),
}

ROLE_LABELS = {Role.admin: "Administrator", Role.radgiver: "Rådgiver", Role.leser: "Leser"}


def can(role: Role, action: Action) -> bool:
    return action in GRID[role]
