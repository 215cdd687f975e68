"""The analysis, municipality analysis and coding pages read right in everyday use (issue 15).

Counts instead of Python text (1), wide tables that scroll with a hint and their first column in view (4),
the run's stamp in words with the digests kept for IT (7), Norwegian numbers (8), coding a page at a time
with the answer readable and keyboard shortcuts documented and working (10), and no region figure from one
or two municipalities, one name per region and «Kjør analysen» for a round never analysed (14).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from analysis.themes import CODES
from survey_app import audit
from survey_app.analysis_data import Contribution, SensitivitySummary
from survey_app.config import Settings
from survey_app.models import AnalysisRun, Answer, Role, StaffUser, ThemeCoding
from survey_app.routes.analysis import CODING_PAGE_SIZE
from survey_app.services import analysis
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, serving
from tests.conftest import csrf_of, fresh
from tests.factories import PASSWORD, World, make_staff, make_world, small_run_results
from tests.test_staff import login, table_rows

# What a page must never show: Python's text for an object or a method, or a missing value.
PYTHON_TEXT = re.compile(r"<built-in|<bound method|object at 0x|\bNone\b|\{'|\[\]")
# A number written with a decimal point (a date, 07.12.2026, is not one: its parts are dotted on both sides).
DECIMAL_POINT = re.compile(r"(?<![\d.])\d+\.\d+(?![\d.])")
NBSP = "\u00a0"


def visible_text(html: str, *, without_details: bool = False) -> str:
    """The page's text as read, without its scripts; optionally without what sits folded in <details>."""
    soup = BeautifulSoup(html, "html.parser")
    for hidden in soup.select("script, style, template" + (", details" if without_details else "")):
        hidden.decompose()
    return soup.get_text(" ", strip=True)


def analysed(session: Session, world: World, by: StaffUser) -> AnalysisRun:
    """A stored run of the small questionnaire (Drammen alone, in Drammensregionen), run by ``by``."""
    results = small_run_results()
    # A matrix row behind the parameter too, weighted 2.
    drammen = results.units["1"]
    value = drammen.parameters["frivillighet"]
    row = Contribution(
        key="moteplasser.bibliotek", question_id="moteplasser", value=3, score=66.7, weight=2.0, share=0.4
    )
    value = value.model_copy(update={"contributions": [*value.contributions, row]})
    drammen = drammen.model_copy(update={"parameters": {"frivillighet": value}})
    results = results.model_copy(
        update={
            "units": {"1": drammen},
            "sensitivity": [
                SensitivitySummary(parameter="frivillighet", factor=0.8, max_shift=0, moved=0),
                SensitivitySummary(parameter="frivillighet", factor=1.2, max_shift=0, moved=0),
            ],
            "prevalence": {"Drammensregionen": {"plan": 2, "bosetting": 1}},
            "texts": 3,
        }
    )
    run = AnalysisRun(
        round_id=world.round.id,
        snapshot_at=None,
        code_version=analysis.code_version(),
        model_version="tema-0123456789ab-4",
        results=results,
    )
    session.add(run)
    session.flush()
    audit.record(
        session,
        actor=audit.staff_actor(by),
        action="analysis.run",
        object_type="round",
        object_id=world.round.id,
        details={"run": run.id},
    )
    session.commit()
    return run


@pytest.fixture
def adviser(session: Session) -> StaffUser:
    user = make_staff(session, Role.radgiver)
    user.full_name = "Kari Nordmann"
    session.add(user)
    session.commit()
    return user


def test_a_round_never_analysed_offers_to_run_the_analysis_not_to_run_it_again(
    client: TestClient, session: Session, settings: Settings, adviser: StaffUser
) -> None:
    world = make_world(session, settings)
    login(client, adviser.email)
    page = client.get(f"/ansatt/runder/{world.round.id}/analyse")
    assert page.status_code == 200, page.text
    buttons = [b.get_text(strip=True) for b in BeautifulSoup(page.text, "html.parser").select("form button")]
    assert "Kjør analysen" in buttons and "Kjør analysen på nytt" not in page.text
    assert "Trykk «Kjør analysen»." in page.text


def test_the_run_is_described_in_words_and_its_digests_are_folded_away_for_it(
    client: TestClient, session: Session, settings: Settings, adviser: StaffUser
) -> None:
    world = make_world(session, settings)
    run = analysed(session, world, adviser)
    login(client, adviser.email)
    html = client.get(f"/ansatt/runder/{world.round.id}/analyse").text
    shown = visible_text(html, without_details=True)
    digest = run.code_version.split("+", 1)[1]
    assert digest not in shown and "tema-0123456789ab" not in shown
    release = run.code_version.split(" ", 1)[1].split("+", 1)[0]
    assert "av Kari Nordmann" in shown and f"Programversjon {release}, den samme som brukes nå." in shown
    assert "lært av 4 bekreftede kodinger" in shown
    details = BeautifulSoup(html, "html.parser").select_one(".run-stamp details")
    assert details is not None and digest in details.get_text() and run.model_version in details.get_text()
    # Once the program has changed, the page says that a new run may give other figures.
    run.code_version = "innspill 0.0.9+000000000000"
    session.add(run)
    session.commit()
    shown = visible_text(client.get(f"/ansatt/runder/{world.round.id}/analyse").text, without_details=True)
    assert "Programversjon 0.0.9. Programmet er endret siden" in shown


def test_analysis_numbers_are_norwegian_and_wide_tables_scroll_with_a_hint(
    client: TestClient, session: Session, settings: Settings, adviser: StaffUser
) -> None:
    world = make_world(session, settings)
    analysed(session, world, adviser)
    login(client, adviser.email)
    html = client.get(f"/ansatt/runder/{world.round.id}/analyse").text
    shown = visible_text(html, without_details=True)
    assert not DECIMAL_POINT.findall(shown), DECIMAL_POINT.findall(shown)
    assert not PYTHON_TEXT.search(visible_text(html)), PYTHON_TEXT.search(visible_text(html))
    county = table_rows(html, "table.county-parameters")
    assert county["Frivillighet"]["Vekt i indeksen"] == "1"  # was «1.0»
    assert county["Frivillighet"]["Snitt i fylket"] == "100"
    assert f"+20{NBSP}%" in shown and f"−20{NBSP}%" in shown  # a real minus sign
    soup = BeautifulSoup(html, "html.parser")
    for table in ("table.analysis-units", "table.themes-by-region"):
        box = soup.select_one(table).parent
        assert {"table-scroll", "sticky-first"} <= set(box["class"]), table
        hint = soup.find(id=box["data-scroll-hint"])
        assert hint is not None and "rull sideveis" in hint.get_text(), table


def test_a_region_is_named_once_and_its_small_number_is_said_apart(
    client: TestClient, session: Session, settings: Settings, adviser: StaffUser
) -> None:
    world = make_world(session, settings)
    analysed(session, world, adviser)
    login(client, adviser.email)
    html = client.get(f"/ansatt/runder/{world.round.id}/analyse").text
    themes = table_rows(html, "table.themes-by-region")
    assert list(themes) == ["Drammensregionen"]  # the name alone, as on every page
    assert themes["Drammensregionen"]["Kommuner"] == "1"
    note = (
        BeautifulSoup(html, "html.parser").select_one("table.themes-by-region").find_parent().find_next("p")
    )
    assert note is not None and note.get_text(" ", strip=True) == (
        "Færre enn 3 kommuner: Drammensregionen. Tallene for denne regionen sier lite om regionen."
    )


def test_a_municipality_page_counts_its_questions_and_shows_no_region_figure_of_one(
    client: TestClient, session: Session, settings: Settings, adviser: StaffUser
) -> None:
    world = make_world(session, settings)
    analysed(session, world, adviser)
    login(client, adviser.email)
    page = client.get(f"/ansatt/runder/{world.round.id}/analyse/kommuner/1")
    assert page.status_code == 200, page.text
    shown = visible_text(page.text)
    assert not PYTHON_TEXT.search(shown), PYTHON_TEXT.search(shown)
    assert not DECIMAL_POINT.findall(shown), DECIMAL_POINT.findall(shown)
    assert f"1 av 2 spørsmål besvart (minst 50{NBSP}% trengs)." in shown
    # Drammensregionen has one municipality with a value: its mean would be Drammen's own figure.
    assert "Regionen: for få kommuner med verdi til å sammenligne (1, minst 3 trengs)." in shown
    assert "Regionen: snitt" not in shown and "n=1" not in shown
    answers = table_rows(page.text, "section.result-question table")
    policy = answers["Har kommunen en frivillighetspolitikk?"]
    assert policy["Vekt"] == "1" and policy["Andel av verdien"] == f"100{NBSP}%" and policy["Poeng"] == "100"
    # A matrix row is named by its text, not its id («bibliotek»); a weight of 2 is «2», not «2.0».
    library = answers["Hvor mye brukes møteplassene? (Biblioteket)"]
    assert library["Vekt"] == "2" and library["Poeng"] == "67" and library["Andel av verdien"] == f"40{NBSP}%"


def _answers_to_code(session: Session, settings: Settings, count: int) -> World:
    """A round of ``count`` municipalities, each with one free-text answer the machine has suggested themes for."""
    register_csv = "kommunenummer,name,region\n" + "".join(
        f"{3001 + i},Kommune {i + 1:02d},Region {i % 4}\n" for i in range(count)
    )
    world = make_world(session, settings, register_csv=register_csv)
    for i, muni in enumerate(world.municipalities):
        response = world.response(session, muni.kommunenummer)
        session.add(
            Answer(
                response_id=response.id,
                question_id="kommentar",
                value=f"Svar {i + 1:02d}: vi trenger flere boliger og bedre samarbeid med frivillige lag.",
            )
        )
        session.add(
            ThemeCoding(
                response_id=response.id,
                answer_key="kommentar",
                machine_codes=["bosetting"],
                machine_scores={"bosetting": 0.912, "plan": 0.05},
            )
        )
    session.commit()
    return world


def test_coding_comes_a_page_at_a_time_with_the_answer_readable_and_the_keys_documented(
    client: TestClient, session: Session, settings: Settings, adviser: StaffUser
) -> None:
    world = _answers_to_code(session, settings, CODING_PAGE_SIZE + 5)
    login(client, adviser.email)
    url = f"/ansatt/runder/{world.round.id}/koding"
    first = BeautifulSoup(client.get(url).text, "html.parser")
    assert len(first.select("form.coding")) == CODING_PAGE_SIZE
    assert f"0 av {CODING_PAGE_SIZE + 5} svar er kodet." in first.get_text(" ", strip=True)
    pages = [a.get_text(strip=True) for a in first.select("nav.ds-pagination a[aria-label^='Side']")]
    assert pages == ["1", "2"]
    second = BeautifulSoup(client.get(url, params={"side": 2}).text, "html.parser")
    assert len(second.select("form.coding")) == 5
    assert (
        second.select_one("form.coding legend").get_text().startswith(f"Kommune {CODING_PAGE_SIZE + 1:02d}:")
    )
    # The answer is text to read, not the fieldset's greyed-out description (a <p> right after the legend).
    assert not first.select("fieldset > legend + p")
    answer = first.select_one("form.coding .answer-text")
    assert answer.get_text().startswith("Svar 01:") and answer.name == "div"
    assert first.select_one("form.coding fieldset")["aria-describedby"] == answer["id"]
    # Norwegian numbers: the machine's certainty as a percentage with a comma-free «91 %».
    assert f"(91{NBSP}%)" in first.get_text()
    # The keyboard shortcuts are documented on the page, and each theme carries its number.
    keys = {key.replace(" ", "") for key in table_rows(str(first), "table.hotkey-table")}
    assert keys == {f"1–{len(CODES)}", "Enter", "N", "F"}
    boxes = first.select("form.coding")[0].select("input[type=checkbox]")
    assert [b["aria-keyshortcuts"] for b in boxes] == [str(n) for n in range(1, len(CODES) + 1)]
    # Confirming one moves the count on; the uncoded list then starts from the next one.
    form = first.select_one("form.coding")
    token = csrf_of(client, url)
    r = client.post(form["action"], data={"csrf_token": token, "codes": ["bosetting"]})
    assert r.status_code == 303
    again = BeautifulSoup(client.get(url).text, "html.parser")
    assert f"1 av {CODING_PAGE_SIZE + 5} svar er kodet." in again.get_text(" ", strip=True)
    assert again.select_one("form.coding legend").get_text().startswith("Kommune 02:")
    assert again.select_one("#neste-ukodede")["href"].endswith("?vis=ukodet&side=1#svarene")


def _in_thread(fn: Callable[[], None]) -> None:
    failure: list[BaseException] = []

    def target() -> None:
        try:
            fn()
        except BaseException as exc:  # handed back to the test's own thread
            failure.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout=300)
    if failure:
        raise failure[0]


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed")
def test_coding_by_keyboard_and_the_scroll_hint_in_a_browser(
    app: FastAPI, session: Session, settings: Settings, adviser: StaffUser
) -> None:
    from playwright.sync_api import expect, sync_playwright

    world = _answers_to_code(session, settings, 3)
    analysed(session, world, adviser)
    codings = session.exec(select(ThemeCoding).order_by(ThemeCoding.id)).all()

    # Sync Playwright in its own thread: the browser tests' session keeps one running in this one.
    def run() -> None:
        with serving(app) as base, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="nb-NO")
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"{base}/ansatt/logg-inn")
            page.fill("#email", adviser.email)
            page.fill("#password", PASSWORD)
            page.click("form.login-form button[type=submit]")
            page.goto(f"{base}/ansatt/runder/{world.round.id}/koding")
            forms = page.locator("form.coding")
            # The answer reads in the page's text colour, not the subtle grey of a description.
            colours = page.evaluate(
                "() => [getComputedStyle(document.querySelector('form.coding .answer-text')).color,"
                " getComputedStyle(document.querySelector('h1')).color]"
            )
            assert colours[0] == colours[1], colours
            first_box = forms.nth(0).locator("input[type=checkbox]")
            first_box.nth(0).focus()
            plan = CODES.index("plan")
            expect(first_box.nth(plan)).not_to_be_checked()
            page.keyboard.press(str(plan + 1))
            expect(first_box.nth(plan)).to_be_checked()
            page.keyboard.press("Enter")
            expect(forms.nth(0).locator(".saved-note")).to_contain_text("Bekreftet")
            # Focus has gone on to the next answer; N and F move between answers without confirming.
            in_form = "() => document.activeElement.closest('form.coding')?.id"
            page.wait_for_function(f"() => ({in_form})() === 'koding-{codings[1].id}'")
            page.keyboard.press("n")
            assert page.evaluate(in_form) == f"koding-{codings[2].id}"
            page.keyboard.press("f")
            page.keyboard.press("f")
            assert page.evaluate(in_form) == f"koding-{codings[0].id}"
            # The wide table on a phone: the hint shows, and the municipality column stays put.
            page.set_viewport_size({"width": 390, "height": 800})
            page.goto(f"{base}/ansatt/runder/{world.round.id}/analyse")
            expect(page.locator("#rull-parametre")).to_be_visible()
            sticky = page.evaluate(
                "() => getComputedStyle(document.querySelector('table.analysis-units tbody th')).position"
            )
            assert sticky == "sticky"
            page.set_viewport_size({"width": 1280, "height": 800})
            expect(page.locator("#rull-parametre")).to_be_hidden()  # one parameter: it fits
            browser.close()
            assert not errors, errors
        fresh(session)
        confirmed = session.get(ThemeCoding, codings[0].id)
        assert confirmed is not None and confirmed.staff_codes == ["plan", "bosetting"]

    _in_thread(run)
