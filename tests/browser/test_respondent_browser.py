"""A coordinator answers a section in a real browser, reloads, finds the answers, and submits."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlmodel import Session

from survey_app.config import Settings
from tests.browser.helpers import expect_wired_up
from tests.factories import make_world


def test_answer_reload_and_submit(live_server: str, page: Page, session: Session, settings: Settings) -> None:
    world = make_world(session, settings)
    page.goto(live_server + world.link("3043"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Lita testundersøking")  # Ål writes nynorsk
    page.get_by_role("link", name=re.compile("Byrj på skjemaet")).click()

    # A conditional question appears when the answer calls for it (decided on the server).
    year = page.get_by_label("Kva år vart han vedteken?")
    expect(year).to_have_count(0)
    page.get_by_label("Ja", exact=True).check()
    expect(page.locator("#status-politikk")).to_contain_text("Lagra kl.")
    expect(year).to_be_visible()
    expect_wired_up(page, "vedtaksar")
    year.fill("20x5")
    expect(page.locator("#status-vedtaksar")).to_contain_text("Skriv eit heilt tal")
    expect(year).to_have_attribute("aria-invalid", "true")
    year.fill("2015")
    expect(page.locator("#status-vedtaksar")).to_contain_text("Lagra kl.")
    expect(year).not_to_have_attribute("aria-invalid", "true")
    page.get_by_label("3 – Samd").check()
    expect(page.locator("#status-enighet")).to_contain_text("Lagra kl.")

    page.reload()
    expect(page.get_by_label("Ja", exact=True)).to_be_checked()
    expect(page.get_by_label("Kva år vart han vedteken?")).to_have_value("2015")
    expect(page.get_by_label("3 – Samd")).to_be_checked()

    page.get_by_role("button", name="Neste del").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Andre del")
    comment = page.get_by_label("Andre kommentarar")
    comment.fill("Vi trenger flere møteplasser.")
    expect(page.locator("#status-kommentar")).to_contain_text("Lagra kl.")
    page.get_by_role("button", name="Sjå over og send inn").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Sjå over og send inn")
    expect(page.get_by_text("Vi trenger flere møteplasser.")).to_be_visible()
    page.get_by_role("button", name="Send inn svaret").click()
    expect(page.locator("#feiloppsummering")).to_contain_text("Skriv namnet")
    page.get_by_label("Namnet til den som godkjenner").fill("Kari Leder")
    page.get_by_label("Stilling eller rolle").fill("Kommunalsjef")
    page.get_by_role("button", name="Send inn svaret").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Takk! Svaret er sendt inn")
    expect(page.get_by_text("Kari Leder, Kommunalsjef")).to_be_visible()


def test_a_failed_save_is_shown_and_retried(
    live_server: str, page: Page, session: Session, settings: Settings
) -> None:
    world = make_world(session, settings)
    page.goto(live_server + world.link("3005"))
    page.goto(live_server + "/svar/del/del2")
    failures = {"left": 1}

    def flaky(route):  # the network drops the first save
        if failures["left"]:
            failures["left"] -= 1
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/svar/sporsmal/kommentar?*", flaky)
    comment = page.get_by_label("Andre kommentarer")
    comment.fill("Tekst som ikke må forsvinne")
    expect(page.locator("#status-kommentar")).to_contain_text("Ikke lagret ennå")
    expect(comment).to_have_value("Tekst som ikke må forsvinne")
    expect(page.locator("#status-kommentar")).to_contain_text("Lagret kl.", timeout=10_000)
    page.reload()
    expect(page.get_by_label("Andre kommentarer")).to_have_value("Tekst som ikke må forsvinne")


def test_two_invitations_in_two_tabs_each_save_to_their_own(
    live_server: str, page: Page, session: Session, settings: Settings
) -> None:
    """The survey in one tab and the consultation in another (same coordinator, same browser): the first tab
    goes on saving to the survey after the second is opened, and a reload shows each its own."""
    from tests.test_sessions import consultation_for

    world = make_world(session, settings)
    consultation = consultation_for(session, settings, world)
    survey_tab = page
    survey_tab.goto(live_server + world.link("3005"))
    survey_tab.get_by_role("link", name=re.compile("Begynn på skjemaet")).click()
    survey_tab.get_by_role("button", name="Neste del").click()

    consultation_tab = page.context.new_page()
    consultation_tab.goto(live_server + consultation["3005"])
    consultation_tab.get_by_role("link", name=re.compile("Begynn på skjemaet")).click()
    consultation_tab.get_by_role("button", name="Neste del").click()

    for tab, text in ((survey_tab, "Svar i undersøkelsen"), (consultation_tab, "Svar i høringen")):
        tab.bring_to_front()
        tab.get_by_label("Andre kommentarer").fill(text)
        expect(tab.locator("#status-kommentar")).to_contain_text("Lagret kl.")
    for tab, text in ((survey_tab, "Svar i undersøkelsen"), (consultation_tab, "Svar i høringen")):
        tab.reload()
        expect(tab.get_by_label("Andre kommentarer")).to_have_value(text)
