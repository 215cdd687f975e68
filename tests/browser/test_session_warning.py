"""Before a session ends the page says so and offers to continue; when it has ended, it says what to do."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from survey_app.config import Settings
from tests.factories import make_world

SECONDS = 6  # the warning comes a third of the session's length before its end: after 4 s


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"session_max_age_seconds": SECONDS})


def test_the_respondent_is_warned_can_continue_and_is_told_when_it_ended(
    live_server: str, page: Page, session: Session, settings: Settings
) -> None:
    world = make_world(session, settings)
    page.goto(live_server + world.link("3005"))
    notice = page.get_by_role("alert")
    expect(notice).to_contain_text("Økten din avsluttes snart", timeout=SECONDS * 1000)
    page.get_by_role("button", name="Fortsett økten").click()
    expect(page.locator("#okt-varsel")).to_have_count(0)
    # Left alone, the session ends, and the page says that what was saved is safe.
    expect(notice).to_contain_text(
        "Økten er avsluttet. Det som var lagret, er trygt.", timeout=SECONDS * 2000
    )
