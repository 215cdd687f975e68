"""What every page shares (issue 15): room above and below the content, headings that hyphenate in the
page's language, wide tables that show they scroll, error pages that keep the signed-in person's frame, a
privacy page for the public, and documentation that says what its examples are."""

from __future__ import annotations

import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient
from sqlmodel import Session

from survey_app import errors
from survey_app.config import PROJECT_ROOT, Settings
from survey_app.deps import Viewer
from survey_app.models import Role
from survey_app.services import sessions, throttle
from tests.browser.conftest import serving
from tests.factories import PASSWORD, World, make_staff, make_world
from tests.test_staff import login


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def text_of(html: str) -> str:
    return soup(html).get_text(" ", strip=True)


@pytest.fixture
def world(session: Session, settings: Settings) -> World:
    return make_world(session, settings)


def enter(client: TestClient, world: World, kommunenummer: str) -> None:
    r = client.get(world.link(kommunenummer))
    assert r.status_code == 303, r.text


# --- 6: error pages keep the frame of whoever is signed in -------------------------------------------


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/ansatt/runder/99999", 404),  # raised by a route, after its permission dependency
        ("/ansatt/finnes-ikke", 404),  # no route at all: no dependency has looked at the session
        ("/ansatt/brukere", 403),  # the leser's role
    ],
)
def test_a_staff_users_error_page_keeps_the_staff_menu_and_a_way_back(
    client: TestClient, session: Session, path: str, status: int
) -> None:
    make_staff(session, Role.leser)
    assert login(client, "leser@fylke.test").status_code == 303
    r = client.get(path)
    assert r.status_code == status, r.text
    page = soup(r.text)
    assert page.html["lang"] == "nb"
    menu = page.select_one('nav[aria-label="Ansattmeny"]')
    assert menu is not None, r.text
    assert "Logg ut" in menu.get_text()
    way_back = page.select_one("main").find("a", string=re.compile("Gå til rundene"))
    assert way_back is not None and urlsplit(way_back["href"]).path == "/ansatt"


def test_a_nynorsk_municipalitys_error_page_keeps_its_header_in_nynorsk(
    client: TestClient, world: World
) -> None:
    enter(client, world, "3043")  # Ål has adopted nynorsk
    for path in ("/svar/del/finst-ikkje", "/svar/finst-ikkje"):
        r = client.get(path)
        assert r.status_code == 404, r.text
        page = soup(r.text)
        assert page.html["lang"] == "nn", path
        assert page.h1.get_text(strip=True) == "Sida finst ikkje"
        header = page.select_one("header nav")
        assert header is not None and "Ål kommune" in header.get_text(), path
        assert "Oversikt" in header.get_text()
        way_back = page.select_one("main").find("a", string=re.compile("Gå til oversikta over skjemaet"))
        assert way_back is not None, path
        link = urlsplit(way_back["href"])
        assert link.path == "/svar" and "s" in parse_qs(link.query)  # the tab's own invitation
        assert "Ikke" not in text_of(r.text) and "Siden" not in text_of(r.text)


def test_a_bokmal_municipalitys_error_page_keeps_its_header(client: TestClient, world: World) -> None:
    enter(client, world, "3005")
    page = soup(client.get("/svar/del/finnes-ikke").text)
    assert page.html["lang"] == "nb"
    assert page.h1.get_text(strip=True) == "Siden finnes ikke"
    assert "Drammen kommune" in page.select_one("header nav").get_text()


def test_an_anonymous_visitors_error_page_links_to_the_front_page(client: TestClient) -> None:
    r = client.get("/finnes-ikke")
    assert r.status_code == 404
    page = soup(r.text)
    assert page.select_one("header nav") is None
    way_back = page.select_one("main").find("a", string=re.compile("Gå til forsiden"))
    assert way_back is not None and urlsplit(way_back["href"]).path == "/"


def test_a_crash_keeps_the_staff_menu_without_asking_the_database(app: FastAPI, session: Session) -> None:
    def crash(user: Viewer) -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/ansatt/test-krasj", crash)
    make_staff(session, Role.radgiver)
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
        login(client, "radgiver@fylke.test")
        r = client.get("/ansatt/test-krasj")
    assert r.status_code == 500
    assert soup(r.text).select_one('nav[aria-label="Ansattmeny"]') is not None


def test_an_error_page_is_shown_even_when_its_frame_cannot_be_found(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(request: object) -> None:
        raise RuntimeError("the database is away")

    make_staff(session, Role.leser)
    login(client, "leser@fylke.test")
    monkeypatch.setattr(errors, "frame_of", broken)
    r = client.get("/ansatt/finnes-ikke")
    assert r.status_code == 404
    assert soup(r.text).h1.get_text(strip=True) == "Siden finnes ikke"


# --- 5: the page's language, for hyphenation ----------------------------------------------------------


def test_every_page_names_its_language(client: TestClient, world: World, session: Session) -> None:
    for path in ("/", "/personvern", "/tilgjengelighet", "/ansatt/logg-inn"):
        assert soup(client.get(path).text).html["lang"] == "nb", path
    enter(client, world, "3043")
    for path in ("/svar", "/svar/del/del1", "/svar/oppsummering"):
        r = client.get(path)
        assert r.status_code == 200, (path, r.text[:300])
        assert soup(r.text).html["lang"] == "nn", path
    make_staff(session, Role.admin)
    login(client, "admin@fylke.test")
    for path in ("/ansatt", f"/ansatt/runder/{world.round.id}"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert soup(r.text).html["lang"] == "nb", path


def test_text_hyphenates_but_what_people_type_does_not() -> None:
    """Headings, table cells and answers break a long compound with a hyphen; code and form fields never do."""
    css = (PROJECT_ROOT / "survey_app" / "static" / "app.css").read_text(encoding="utf-8")
    rules = {
        sel.strip(): value for sel, value in re.findall(r"([^{}/]*)\{\s*hyphens:\s*(auto|manual);\s*\}", css)
    }
    assert rules.get("body") == "auto", rules
    exempt = next(value for sel, value in rules.items() if "code" in sel)
    assert exempt == "manual"
    for selector in ("code", "input", "textarea"):
        assert any(
            re.search(rf"(?<![\w-]){selector}(?![\w-])", sel) for sel in rules if rules[sel] == "manual"
        )


# --- 7: the privacy page is for the public --------------------------------------------------------------


def test_the_privacy_page_speaks_plainly(client: TestClient) -> None:
    r = client.get("/personvern")
    assert r.status_code == 200
    page = soup(r.text)
    text = page.get_text(" ", strip=True)
    assert not page.select("code, pre, kbd")
    for internal in ("survey-app", "purge", "argon2", "avtrykk", "hash", "kommando", "database"):
        assert internal not in text.lower(), internal
    headings = [h.get_text(strip=True) for h in page.select("h2")]
    assert headings == [
        "Hva som lagres, og hvorfor",
        "Hvem som ser opplysningene",
        "Slik tas det vare på opplysningene",
        "Dine rettigheter",
    ]
    # How long is what the program keeps: the periods come from the code that deletes.
    assert f"{sessions.KEEP.days} dager etter at innloggingen sist ble brukt" in text
    assert throttle.KEEP.days == 1 and "Ett døgn" in text
    assert "Datatilsynet" in text and "offentleglova" in text


# --- 14: the evaluation says what its examples are ------------------------------------------------------


def test_the_theme_evaluation_says_what_the_examples_are_not_who_typed_them() -> None:
    doc = (PROJECT_ROOT / "docs" / "theme-evaluation.md").read_text(encoding="utf-8")
    kept = doc.split("<!-- Generated")[0]
    assert "synthetic answers" in kept and "`analysis/evaluation/README.md`" in kept
    assert "SequenceMatcher" in kept and "tests/analysis/test_dev_set.py" in kept
    for word in (r"\bAI\b", "assistant", "language model", r"\bLLM", r"\bGPT", "chatbot", "generated by"):
        assert not re.search(word, kept, re.IGNORECASE), word


# --- 9 and the tables of 4/5: what a browser shows --------------------------------------------------------

TABLES = """<!DOCTYPE html><html lang="nb"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/{theme}"><link rel="stylesheet" href="/static/{css}">
<link rel="stylesheet" href="/static/app.css"></head><body><main class="wrap">
<div class="table-scroll" id="wide"><table class="ds-table" data-zebra>{rows}</table></div>
<div class="table-scroll" id="narrow"><table class="ds-table"><tr><th>Kommune</th><td>1</td></tr></table></div>
<div class="table-scroll sticky-first" id="sticky"><table class="ds-table" data-zebra>{rows}</table></div>
</main></body></html>"""
ROW = "<tr><th scope='row'>Drammen</th>" + "<td>Integreringsarbeid</td>" * 12 + "</tr>"


# The browser is the session's (tests/browser/conftest.py): one sync Playwright per process.


def shades(box: object) -> tuple[float, float]:
    """How much the scroll hint darkens the left and right edge of a scroll box: its screenshot against one
    without the box's background (the hint), averaged over the height (0: no shade, 255: black)."""
    from PIL import Image, ImageChops

    def grey(png: bytes) -> Image.Image:
        return Image.open(io.BytesIO(png)).convert("L")

    with_hint = grey(box.screenshot())  # type: ignore[attr-defined]
    box.evaluate("e => { e.style.background = 'none'; }")  # type: ignore[attr-defined]
    without = grey(box.screenshot())  # type: ignore[attr-defined]
    box.evaluate("e => { e.style.background = ''; }")  # type: ignore[attr-defined]
    diff = ImageChops.subtract(without, with_hint)  # how much darker with the hint

    def at(x: int) -> float:
        return sum(diff.getpixel((x, y)) for y in range(diff.height)) / diff.height  # type: ignore[misc]

    return at(1), at(diff.width - 2)


@pytest.mark.browser
@pytest.mark.parametrize("width", [390, 1280])
def test_pages_have_room_above_and_below_the_content(
    browser: object, app: FastAPI, world: World, session: Session, width: int
) -> None:
    make_staff(session, Role.admin)
    with serving(app) as url:
        context = browser.new_context(viewport={"width": width, "height": 900})  # type: ignore[attr-defined]
        page = context.new_page()

        def check(path: str) -> None:
            page.goto(f"{url}{path}")
            above, below = page.evaluate(
                """() => {
                  const header = document.querySelector('.site-header').getBoundingClientRect();
                  const main = document.querySelector('main');
                  const first = main.firstElementChild.getBoundingClientRect();
                  const last = main.lastElementChild.getBoundingClientRect();
                  const footer = document.querySelector('.site-footer').getBoundingClientRect();
                  return [first.top - header.bottom, footer.top - last.bottom];
                }"""
            )
            assert above >= 16 and below >= 16, (path, width, above, below)

        for path in ("/", "/personvern", "/finnes-ikke"):
            check(path)
        page.goto(f"{url}/ansatt/logg-inn")
        page.fill("#email", "admin@fylke.test")
        page.fill("#password", PASSWORD)
        page.locator("form.login-form button[type=submit]").click()
        page.wait_for_url(re.compile(r"/ansatt$"))
        for path in ("/ansatt", "/ansatt/finnes-ikke"):
            check(path)
        for path in (world.link("3043"), "/svar/del/del1"):
            check(path)
        context.close()


BROKEN_WORDS = """() => {
  const broken = [];
  for (const heading of document.querySelectorAll('h1, h2, h3')) {
    const walker = document.createTreeWalker(heading, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const match of node.data.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        if (lines.size > 1) broken.push(match[0]);
      }
    }
  }
  return broken;
}"""


@pytest.mark.browser
@pytest.mark.parametrize("width", [320, 390])
def test_long_compounds_in_headings_stay_whole_on_a_phone(browser: object, app: FastAPI, width: int) -> None:
    """Debian's Chromium has no hyphenation dictionaries, so here this checks the phone's heading sizes: the
    longest words of our headings fit on a line of their own."""
    with serving(app) as url:
        context = browser.new_context(viewport={"width": width, "height": 900})  # type: ignore[attr-defined]
        page = context.new_page()
        for path in ("/tilgjengelighet", "/personvern", "/"):
            page.goto(f"{url}{path}")
            assert page.evaluate(BROKEN_WORDS) == [], (path, width)
        context.close()


@pytest.mark.browser
def test_a_table_that_overflows_shows_a_shade_and_a_sticky_first_column_stays(
    browser: object, app: FastAPI
) -> None:
    from survey_app.templating import VENDOR

    html = TABLES.format(theme=VENDOR["ds_theme"], css=VENDOR["ds_css"], rows=ROW * 6)
    app.add_api_route("/test/tabeller", lambda: HTMLResponse(html))
    with serving(app) as url:
        context = browser.new_context(viewport={"width": 390, "height": 900})  # type: ignore[attr-defined]
        page = context.new_page()
        page.goto(f"{url}/test/tabeller")
        wide = page.locator("#wide")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the page itself does not scroll
        assert wide.evaluate("e => e.scrollWidth > e.clientWidth")
        left, right = shades(wide)
        assert right > 8 and left < 1, (left, right)  # more to the right: a shade there, none on the left
        wide.evaluate("e => { e.scrollLeft = e.scrollWidth; }")
        left, right = shades(wide)
        assert left > 8 and right < 1, (left, right)
        wide.evaluate("e => { e.scrollLeft = 200; }")
        left, right = shades(wide)
        assert left > 8 and right > 8, (left, right)
        left, right = shades(page.locator("#narrow"))  # fits: no shade at either edge
        assert left < 1 and right < 1, (left, right)

        sticky = page.locator("#sticky")
        first = sticky.locator("tr >> nth=0").locator("th")
        before = first.bounding_box()["x"]  # type: ignore[index]
        sticky.evaluate("e => { e.scrollLeft = 300; }")
        assert abs(first.bounding_box()["x"] - before) < 1  # type: ignore[index]
        # Opaque: the cells scrolled under it do not show through.
        background = first.evaluate("e => getComputedStyle(e).backgroundColor")
        assert background not in ("rgba(0, 0, 0, 0)", "transparent"), background
        context.close()
