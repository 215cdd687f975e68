"""How the respondent's questions lay out on a phone and a desktop, and «Neste del» past a wrong answer, in a
real browser (issue 15: 5 and 12)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect
from sqlmodel import Session

from survey_app.config import Settings
from tests.browser.helpers import expect_wired_up
from tests.factories import make_world

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def boxes(page: Page, selector: str) -> list[dict[str, float]]:
    return [page.locator(selector).nth(i).bounding_box() for i in range(page.locator(selector).count())]


CONSULTATION = Path(__file__).resolve().parents[2] / "questionnaires" / "konsultasjon-samarbeid.yaml"


def test_a_scale_is_one_row_on_a_desktop_and_one_column_on_a_phone(
    live_server: str, page: Page, session: Session, settings: Settings
) -> None:
    # The consultation's 1–5 scale has the longest labels («Verken fornøyd eller misfornøyd»): it wrapped
    # into two rows even at 1280 px.
    world = make_world(session, settings, questionnaire=CONSULTATION.read_text(encoding="utf-8"))
    page.set_viewport_size(DESKTOP)
    page.goto(live_server + world.link("3005"))
    page.goto(live_server + "/svar/del/samarbeid_fylket")
    radios = "#q-samarbeid_fornoyd input[type=radio]"
    wide = boxes(page, radios)
    assert len(wide) == 6  # five steps and «Vet ikke»
    assert len({round(b["y"]) for b in wide}) == 1, wide  # one row
    assert [b["x"] for b in wide] == sorted(b["x"] for b in wide)  # in the scale's order

    page.set_viewport_size(PHONE)
    narrow = boxes(page, radios)
    assert len({round(b["x"]) for b in narrow}) == 1, narrow  # one column
    assert [b["y"] for b in narrow] == sorted(b["y"] for b in narrow)


def test_a_matrix_on_a_phone_says_it_scrolls_and_keeps_its_row_texts_in_view(
    live_server: str, page: Page, session: Session, settings: Settings
) -> None:
    world = make_world(session, settings)
    page.set_viewport_size(PHONE)
    page.goto(live_server + world.link("3043"))
    page.goto(live_server + "/svar/del/del2")
    hint = page.locator("#q-moteplasser .matrix-hint")
    expect(hint).to_be_visible()
    expect(hint).to_have_text("Tabellen har 5 svaralternativ. Rull sidelengs for å sjå alle.")

    scroller = page.locator("#q-moteplasser .matrix-scroll")
    assert scroller.evaluate("box => box.scrollWidth > box.clientWidth"), "the matrix is wider than a phone"
    row = page.locator("#q-moteplasser th[scope=row]").first
    row.scroll_into_view_if_needed()
    before = row.bounding_box()
    scroller.evaluate("box => { box.scrollLeft = box.scrollWidth; }")
    last = page.locator("#q-moteplasser tbody tr").first.locator("input[type=radio]").last
    expect(last).to_be_in_viewport()
    after = row.bounding_box()
    assert before is not None and after is not None and abs(after["x"] - before["x"]) < 1, (before, after)
    # The page itself does not scroll sideways: only the table does.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    page.set_viewport_size(DESKTOP)
    expect(hint).to_be_hidden()


def test_next_section_stays_on_a_wrong_number(
    live_server: str, page: Page, session: Session, settings: Settings
) -> None:
    world = make_world(session, settings)
    page.goto(live_server + world.link("3005"))
    page.get_by_role("link", name="Begynn på skjemaet").click()
    expect(page.locator(".section-position")).to_have_text("Del 1 av 2")
    page.get_by_label("Ja", exact=True).check()
    expect(page.locator("#status-politikk")).to_contain_text("Lagret kl.")
    expect_wired_up(page, "vedtaksar")
    year = page.get_by_label("Hvilket år ble den vedtatt?")
    year.fill("tjue")
    expect(page.locator("#status-vedtaksar")).to_contain_text("Skriv et helt tall")
    page.get_by_role("button", name="Neste del").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Første del")
    summary = page.locator("#feiloppsummering")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Skriv et helt tall")
    expect(page.get_by_label("Hvilket år ble den vedtatt?")).to_have_value("tjue")
    expect(page.get_by_label("Ja", exact=True)).to_be_checked()

    page.get_by_label("Hvilket år ble den vedtatt?").fill("2015")
    expect(page.locator("#status-vedtaksar")).to_contain_text("Lagret kl.")
    page.get_by_role("button", name="Neste del").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Andre del")
    expect(page.locator(".section-position")).to_have_text("Del 2 av 2")
