"""An adviser tries scenarios in a real browser: the table follows the total and the weights as they type."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from survey_app.config import Settings
from survey_app.models import Role, Scenario
from survey_app.services import recommendation
from tests.conftest import fresh
from tests.factories import PASSWORD, make_staff, make_world

FIGURES = (
    "kommunenummer,kommune,region,forrige_anmodning,vedtak,integreringsindeks,innbyggere\n"
    "3005,Drammen,Drammensregionen,40,,60,104000\n"
    "3043,Ål,Hallingdal,10,12,80,4700\n"
    "3049,Lier,Drammensregionen,20,,40,27000\n"
)


def total_in_table(page: Page) -> int:
    cells = page.locator("table.recommendation-table tbody tr td strong").all_inner_texts()
    return sum(int(c) for c in cells)


def test_the_table_follows_the_rules_as_the_adviser_types(
    live_server: str, page: Page, session: Session, settings: Settings
) -> None:
    make_world(session, settings)
    made = recommendation.create_scenario(
        session,
        name="Utkast 2027",
        total=80,
        figures=recommendation.read_figures(FIGURES),
        figures_source="tall.csv",
        round_id=None,
        actor="test",
    )
    make_staff(session, Role.radgiver)
    page.goto(live_server + "/ansatt/logg-inn")
    page.get_by_label("E-postadresse").fill("radgiver@fylke.test")
    page.get_by_label("Passord").fill(PASSWORD)
    page.get_by_role("button", name="Logg inn").click()
    page.get_by_role("link", name="Anbefaling").click()
    page.get_by_role("link", name="Utkast 2027").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Utkast 2027")
    assert total_in_table(page) == 80

    # Typing a new total updates the table and the summary beside the rules without a page load; the
    # scenario is saved when the adviser chooses «Lagre».
    page.get_by_label("Antall å fordele").fill("100")
    expect(page.get_by_role("status").filter(has_text="Tallene er oppdatert")).to_contain_text("100 fordelt")
    assert total_in_table(page) == 100
    expect(page.locator("#sammendrag")).to_contain_text("Ikke lagret")
    fresh(session)
    assert session.exec(select(Scenario).where(Scenario.id == made.id)).one().total == 80
    page.get_by_role("button", name="Lagre", exact=True).click()
    expect(page.locator(".flash")).to_have_text("Endringene er lagret i «Utkast 2027».")
    expect(page.locator("#sammendrag")).to_contain_text("Lagret. Sist endret")
    fresh(session)
    assert session.exec(select(Scenario).where(Scenario.id == made.id)).one().total == 100

    # A total below the floors: the conflict is named where the table was, and the field keeps what was typed.
    page.get_by_label("Antall å fordele").fill("50")
    expect(page.locator("#resultat .ds-alert")).to_contain_text(
        "Summen av fjorårets anmodninger er 70, som er 20 høyere"
    )
    expect(page.get_by_label("Antall å fordele")).to_have_value("50")

    # A weight that is not a number: the message appears beside the field.
    page.get_by_label("Antall å fordele").fill("100")
    page.get_by_label("Vekt for Innbyggere").fill("mye")
    expect(page.locator("#vekt__innbyggere-feil")).to_contain_text("Skriv en vekt fra 0 til 1000.")
    page.get_by_label("Vekt for Innbyggere").fill("2")
    expect(page.locator("#vekt__innbyggere-feil")).to_have_text("")
    expect(page.locator("table.recommendation-table")).to_contain_text("innbyggere 104")


def test_the_begrunnelse_is_read_in_full_beside_the_numbers_at_1280_px(
    live_server: str, page: Page, session: Session, settings: Settings
) -> None:
    """The politicians' column wraps in the width the narrow number columns leave: no sideways scrolling at
    1280 px, no begrunnelse cut at the edge; the summary sits with the rules, and «Retning» shows its text."""
    make_world(session, settings)
    long_reason = (
        "Lier har avtalt å ta imot en større gruppe i samarbeid med Drammen, og kommunestyret har vedtatt "
        "å styrke introduksjonsprogrammet fra høsten; fjorårets tall undervurderer kapasiteten."
    )
    made = recommendation.create_scenario(
        session,
        name="Utkast 2027",
        total=80,
        figures=recommendation.read_figures(FIGURES),
        figures_source="tall.csv",
        round_id=None,
        actor="test",
    )
    recommendation.set_override(
        session, scenario=made, kommunenummer="3049", number=30, reason=long_reason, actor="test"
    )
    make_staff(session, Role.radgiver)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server + "/ansatt/logg-inn")
    page.get_by_label("E-postadresse").fill("radgiver@fylke.test")
    page.get_by_label("Passord").fill(PASSWORD)
    page.get_by_role("button", name="Logg inn").click()
    page.goto(f"{live_server}/ansatt/anbefaling/{made.id}")

    table = page.locator("table.recommendation-table")
    scroller = table.locator("xpath=..")
    assert scroller.evaluate("e => e.scrollWidth <= e.clientWidth"), "the table scrolls sideways at 1280 px"
    for cell in table.locator("td.reason").all():
        box = cell.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 1280
        assert box["width"] >= 256, box  # at least 16rem: a paragraph, not a column of single words
    expect(table.locator("tr", has_text="Lier").locator("td.reason")).to_contain_text(long_reason)

    # The summary is with the rules, not below the table of numbers.
    summary, rules = page.locator("#sammendrag").bounding_box(), page.locator("#regler-skjema").bounding_box()
    assert summary is not None and rules is not None and summary["y"] <= rules["y"] + 10

    # Each «Retning» select is wide enough for its longest option.
    for direction in page.get_by_label(re.compile("^Retning for ")).all():
        assert direction.evaluate(
            """s => {
                const c = document.createElement("canvas").getContext("2d");
                c.font = getComputedStyle(s).font;
                const longest = Math.max(...[...s.options].map(o => c.measureText(o.text).width));
                const style = getComputedStyle(s);
                const room = s.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
                return longest <= room;
            }"""
        ), "a «Retning» select cuts its text"
