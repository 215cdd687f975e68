"""What several browser tests need to wait for."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

_ADDED = re.compile(r"\bhtmx-added\b")


def expect_wired_up(page: Page, question_id: str) -> None:
    """Wait until htmx has wired up a question it has just swapped in.

    htmx shows swapped-in content at once but adds its listeners in the settle step, a moment later (and
    takes the «htmx-added» class away then). Keys typed before that send no input or change event to the
    autosave trigger, so the answer is never saved: a person cannot type that fast, a test can.
    """
    expect(page.locator(f"#q-{question_id}")).not_to_have_class(_ADDED)
