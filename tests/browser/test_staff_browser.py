"""An adviser follows up a round in a real browser: filters the dashboard, reminds, reads results."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlmodel import Session

from survey_app.config import Settings
from survey_app.models import Role
from survey_app.services import responses
from tests.factories import PASSWORD, make_staff, make_world


def test_dashboard_filter_remind_and_results(
    live_server: str, page: Page, session: Session, settings: Settings
) -> None:
    world = make_world(session, settings)
    lier = world.response(session, "3049")
    assert lier.id is not None
    responses.save(
        session,
        draft=responses.load_draft(session, response_id=lier.id),
        changes={"politikk": ("ja", 0)},
        editor="test",
    )
    make_staff(session, Role.radgiver)
    page.goto(live_server + "/ansatt/logg-inn")
    page.get_by_label("E-postadresse").fill("radgiver@fylke.test")
    page.get_by_label("Passord").fill(PASSWORD)
    page.get_by_role("button", name="Logg inn").click()
    page.get_by_role("link", name="Testrunden 2026").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Testrunden 2026")
    table = page.locator("#oppfolging table")
    expect(table.locator("tbody tr")).to_have_count(3)

    # The filter answers through htmx: only the table is replaced, and the address follows.
    page.get_by_label("Region").select_option("Hallingdal")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("Ål")
    expect(page).to_have_url(f"{live_server}/ansatt/runder/{world.round.id}?region=Hallingdal&status=")
    expect(page.get_by_role("status").first).to_contain_text("Viser 1 av 3 kommuner")

    # Without e-mail the reminder button is off, and says why (issue 15, item 11).
    remind = page.get_by_role("button", name="Send påminnelse til alle som ikke har sendt inn")
    expect(remind).to_be_disabled()
    expect(page.locator("#uten-epost")).to_contain_text("E-post er ikke satt opp")

    page.get_by_role("link", name="Resultater").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Resultater: Testrunden 2026")
    expect(page.get_by_role("status").first).to_contain_text("0 kommuner")
    page.get_by_label("Ta med svar som ikke er sendt inn").check()
    expect(page.get_by_role("status").first).to_contain_text("1 kommune.")
    expect(page.locator("#sp-politikk")).to_contain_text("n = 1")
