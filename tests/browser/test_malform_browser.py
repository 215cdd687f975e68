"""A municipality answers the shipped survey, reviews, signs and gets a receipt, all in its own målform.

Every visible string of every page (text the browser renders, and the page title) is compared with the
source of that målform: each word must occur in the app's texts in it (``survey_app.i18n``), in the
questionnaire's texts in it, or in what the page is about (the municipality, the county, the answers typed,
dates and numbers). A word that only the other written standard has («ikke» on a nynorsk page, «ikkje» on a
bokmål one) fails the test, with the page and the string it was in.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from babel.dates import get_day_names, get_month_names
from playwright.sync_api import Page, expect
from sqlmodel import Session

from survey_app.config import Settings
from survey_app.forms import free_text_keys, keys_of
from survey_app.i18n import TEXTS
from survey_app.questionnaires import parse, respondent_texts
from survey_app.services import demo, responses
from tests.factories import World, make_world

SURVEY = Path(__file__).resolve().parents[2] / "questionnaires" / "kommuneundersokelse-sivilsamfunn.yaml"
WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
# Visible text nodes (their parent rendered and not hidden), the title, and the labels of controls.
VISIBLE_STRINGS = """() => {
  const out = [document.title];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!el || !node.textContent.trim()) continue;
    if (el.closest('script, style, [hidden], [aria-hidden="true"]')) continue;
    if (!el.getClientRects().length) continue;
    out.push(node.textContent.trim());
  }
  for (const el of document.querySelectorAll('[aria-label], [placeholder]')) {
    out.push(el.getAttribute('aria-label') || el.getAttribute('placeholder'));
  }
  return out;
}"""


def words(text: str) -> set[str]:
    return {w.casefold() for w in WORD.findall(text)}


def vocabulary(lang: str, extra: list[str]) -> set[str]:
    """Every word the pages of a municipality writing ``lang`` may show."""
    column = 0 if lang == "nb" else 1
    known: set[str] = set()
    for pair in TEXTS.values():
        known |= words(re.sub(r"\{[a-z_]+\}", " ", pair[column]))
    definition = parse(SURVEY.read_text(encoding="utf-8")).in_language(lang)
    known |= words(" ".join(text for _, text in respondent_texts(definition)))
    locale = "nn_NO" if lang == "nn" else "nb_NO"
    known |= words(
        " ".join([*get_month_names(locale=locale).values(), *get_day_names(locale=locale).values()])
    )
    for text in extra:
        known |= words(text)
    return known


def fill_in(session: Session, world: World, kommunenummer: str, lang: str) -> list[str]:
    """Every question answered, as the municipality would (free text in its målform), but not submitted;
    returns the free texts written."""
    response = world.response(session, kommunenummer)
    assert response.id is not None
    draft = responses.load_draft(session, response_id=response.id)
    values = demo.synthetic_answers(draft.definition, random.Random(14), keep_required=True, lang=lang)
    shown = responses.visible_ids(draft.definition, values)
    kept = {
        key: value
        for q in draft.definition.questions()
        if q.id in shown
        for key in keys_of(q)
        if (value := values.get(key)) is not None
    }
    results = responses.save(
        session, draft=draft, changes={k: (v, 0) for k, v in kept.items()}, editor="Test"
    )
    assert all(r.message is None for r in results), [r for r in results if r.message]
    free = {key for q in draft.definition.questions() for key in free_text_keys(q)}
    return [str(value) for key, value in kept.items() if key in free]


@pytest.mark.parametrize(("kommunenummer", "lang"), [("3043", "nn"), ("3005", "nb")])
def test_the_whole_survey_is_in_the_municipalitys_malform(
    live_server: str, page: Page, session: Session, settings: Settings, kommunenummer: str, lang: str
) -> None:
    world = make_world(session, settings, questionnaire=SURVEY.read_text(encoding="utf-8"))
    written = fill_in(session, world, kommunenummer, lang)
    municipality = next(m for m in world.municipalities if m.kommunenummer == kommunenummer)
    typed = [municipality.name, settings.county_name, "Innspill", "Kari Leder", "Kommunalsjef", "Test"]
    typed += written
    known = vocabulary(lang, typed)
    seen: list[tuple[str, str]] = []

    def read(where: str) -> None:
        for text in page.evaluate(VISIBLE_STRINGS):
            seen.append((where, text))

    page.goto(live_server + world.link(kommunenummer))
    read("start")
    sections = page.locator("ol.section-list a")
    hrefs = [sections.nth(i).get_attribute("href") for i in range(sections.count())]
    assert len(hrefs) == len(parse(SURVEY.read_text(encoding="utf-8")).sections)
    for href in hrefs:
        assert href is not None
        page.goto(href)
        read(href.split("/")[-1])
    review = {"nn": "Sjå over og send inn", "nb": "Se over og send inn"}[lang]
    page.get_by_role("link", name=review).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(review)
    read("review")
    page.locator("#signer_name").fill("Kari Leder")
    page.locator("#signer_role").fill("Kommunalsjef")
    page.get_by_role("button", name="Send inn svaret").click()
    thanks = {"nn": "Takk! Svaret er sendt inn", "nb": "Takk! Svaret er sendt inn"}[lang]
    expect(page.get_by_role("heading", level=1)).to_have_text(thanks)
    read("receipt")

    foreign = [(where, text, sorted(words(text) - known)) for where, text in seen if words(text) - known]
    assert not foreign, "\n".join(f"{where}: {bad} in «{text[:120]}»" for where, text, bad in foreign[:30])
    assert len(seen) > 500, "every page was read"
