"""An adviser tries scenarios in a real browser: the table follows the total and the weights as they type."""

from __future__ import annotations

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

    # Typing a new total updates the table without a page load, and the scenario is saved.
    page.get_by_label("Antall å fordele").fill("100")
    expect(page.get_by_role("status").filter(has_text="Tallene er oppdatert")).to_contain_text("100 fordelt")
    assert total_in_table(page) == 100
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
