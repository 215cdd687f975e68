"""A coordinator answers, signs off and submits a whole survey with the keyboard alone.

Only keys: Tab and Shift+Tab to move, Space and the arrow keys for choices, Enter for links and buttons,
typing for text. No mouse, no element.click(), no fill(). Where focus lands, it must be visible.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Locator, Page, expect
from sqlmodel import Session

from survey_app.config import Settings
from survey_app.models import ResponseStatus
from survey_app.services import responses
from tests.browser.helpers import expect_wired_up
from tests.conftest import fresh
from tests.factories import make_world

# Designsystemet rings a focused radio or checkbox by its field (label included), not the box alone.
FOCUSED = """() => {
    const e = document.activeElement;
    const ringed = e.matches(".ds-field input:is([type=radio], [type=checkbox])") ? e.closest(".ds-field") : e;
    const s = getComputedStyle(ringed);
    return {
        element: e.outerHTML.slice(0, 120),
        focusVisible: e.matches(":focus-visible"),
        outline: `${s.outlineStyle} ${s.outlineWidth}`,
        boxShadow: s.boxShadow,
    };
}"""


def focused(page: Page) -> dict[str, Any]:
    return page.evaluate(FOCUSED)  # type: ignore[no-any-return]


def tab_to(page: Page, target: Locator, *, backwards: bool = False, limit: int = 40) -> None:
    """Press Tab (or Shift+Tab) until ``target`` has focus, and check that the focus can be seen."""
    key = "Shift+Tab" if backwards else "Tab"
    passed = []
    for _ in range(limit):
        if target.evaluate("e => e === document.activeElement"):
            assert_focus_visible(page)
            return
        page.keyboard.press(key)
        passed.append(focused(page)["element"])
    raise AssertionError(f"{key} never reached {target}; it went through {passed}")


def assert_focus_visible(page: Page) -> None:
    style = focused(page)
    assert style["focusVisible"], style
    # An outline (Designsystemet adds a box-shadow ring inside it): not "none", not 0 px wide.
    assert not style["outline"].startswith("none") and not style["outline"].endswith(" 0px"), style


def wait_saved(page: Page, *question_ids: str) -> None:
    for question_id in question_ids:
        expect(page.locator(f"#status-{question_id}")).to_contain_text("Lagret kl.")


def test_answer_sign_off_and_submit_with_the_keyboard_alone(
    live_server: str, page: Page, session: Session, settings: Settings
) -> None:
    world = make_world(session, settings)
    page.goto(live_server + world.link("3005"))  # the link from the invitation, opened in the browser
    expect(page.get_by_role("heading", level=1)).to_have_text("Liten testundersøkelse")

    tab_to(page, page.get_by_role("link", name="Begynn på skjemaet"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Første del")

    # A radio group is one tab stop; Space chooses the focused option.
    yes = page.get_by_label("Ja", exact=True)
    tab_to(page, yes)
    page.keyboard.press("Space")
    expect(yes).to_be_checked()
    year = page.get_by_label("Hvilket år ble den vedtatt?")
    expect(year).to_be_visible()  # decided on the server, and the next field in the tab order
    expect_wired_up(page, "vedtaksar")
    page.keyboard.press("Tab")
    expect(year).to_be_focused()
    assert_focus_visible(page)
    page.keyboard.type("2015")
    # The arrow keys move within a group and choose as they go: 1 → 2 → 3.
    tab_to(page, page.get_by_label("1 – Helt uenig"))
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(page.get_by_label("3 – Enig")).to_be_checked()
    wait_saved(page, "politikk", "vedtaksar", "enighet")
    tab_to(page, page.get_by_role("button", name="Neste del"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Andre del")

    # Checkboxes: each is a tab stop, Space toggles.
    for label in ("Språkkafé", "Leksehjelp"):
        tab_to(page, page.get_by_label(label))
        page.keyboard.press("Space")
        expect(page.get_by_label(label)).to_be_checked()
    # The matrix: one radio group per row.
    tab_to(page, page.get_by_role("radio", name="Biblioteket Helt uenig"))
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    expect(page.get_by_role("radio", name="Biblioteket Helt enig")).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_role("radio", name="Idrettslag Helt uenig")).to_be_focused()
    assert_focus_visible(page)
    page.keyboard.press("Space")
    expect(page.get_by_role("radio", name="Idrettslag Helt uenig")).to_be_checked()
    tab_to(page, page.get_by_label("Andre kommentarer"))
    page.keyboard.type("Vi trenger flere møteplasser.")
    tab_to(page, page.get_by_label("Flyktningtjenesten"))
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label("Kultur")).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Stillingen til den som koordinerer")).to_be_focused()
    assert_focus_visible(page)
    page.keyboard.type("Flyktningkonsulent")
    # Back with Shift+Tab: focus returns to the chosen option, and the choice can be changed.
    tab_to(page, page.get_by_label("Kultur"), backwards=True)
    page.keyboard.press("ArrowUp")
    expect(page.get_by_label("Flyktningtjenesten")).to_be_checked()
    wait_saved(page, "tiltak", "moteplasser", "kommentar", "enhet", "stilling")
    tab_to(page, page.get_by_role("button", name="Se over og send inn"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Se over og send inn")

    # Submitting without a signer: the error summary takes focus, and its links lead to the fields.
    submit = page.get_by_role("button", name="Send inn svaret")
    tab_to(page, submit)
    page.keyboard.press("Enter")
    summary = page.locator("#feiloppsummering")
    expect(summary).to_be_focused()
    assert_focus_visible(page)
    page.keyboard.press("Tab")
    expect(summary.get_by_role("link").first).to_be_focused()
    page.keyboard.press("Enter")
    name = page.get_by_label("Navn på den som godkjenner")
    expect(name).to_be_focused()
    assert_focus_visible(page)
    page.keyboard.type("Kari Leder")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Stilling eller rolle")).to_be_focused()
    page.keyboard.type("Kommunalsjef")
    tab_to(page, submit)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Takk! Svaret er sendt inn")
    expect(page.get_by_text("Kari Leder, Kommunalsjef")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("Vi trenger flere møteplasser.")

    fresh(session)
    response = world.response(session, "3005")
    assert response.status == ResponseStatus.submitted
    assert (response.signed_by_name, response.signed_by_role) == ("Kari Leder", "Kommunalsjef")
    assert response.id is not None
    values = responses.load_draft(session, response_id=response.id).values()
    assert values == {
        "politikk": "ja",
        "vedtaksar": 2015,
        "enighet": 3,
        "tiltak": ["sprakkafe", "leksehjelp"],
        "moteplasser.bibliotek": 4,
        "moteplasser.idrett": 1,
        "kommentar": "Vi trenger flere møteplasser.",
        "enhet": "flyktning",
        "stilling": "Flyktningkonsulent",
    }
