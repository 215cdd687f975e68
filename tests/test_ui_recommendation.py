"""Issue 15 on the recommendation pages: a confirmation before «endelig», a what-if that saves nothing until
the adviser chooses «Lagre» or «Lagre som nytt scenario» beside the rules, a summary there that follows each
change, a begrunnelse column with room to be read, and numbers written the Norwegian way."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from survey_app.config import Settings
from survey_app.models import AuditEvent, Role, Scenario
from tests.conftest import csrf_of, fresh
from tests.factories import make_staff, make_world
from tests.test_recommendation_pages import FIGURES, RULES_FORM, create, numbers, scenario
from tests.test_staff import login, table_rows

HTMX = {"HX-Request": "true"}
LONG_AGO = datetime(2026, 1, 2, 9, 15, tzinfo=UTC)


@pytest.fixture
def adviser(client: TestClient, session: Session, settings: Settings) -> TestClient:
    make_world(session, settings)
    make_staff(session, Role.radgiver)
    login(client, "radgiver@fylke.test")
    return client


def soup_of(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def visible_text(html: str) -> str:
    """The main element's text as a browser joins it (no separator added between elements)."""
    main = soup_of(html).find("main")
    assert main is not None
    return main.get_text()


def rules_form(total: str = "80", **changes: str) -> dict[str, str]:
    """The rules form as the page shows it for a new scenario of 80, with ``total`` and ``changes`` typed."""
    return {"total": total, **RULES_FORM, **changes}


def page_form(html: str) -> dict[str, str]:
    """The rules form's fields as a browser would post them from the page, untouched."""
    form = soup_of(html).select_one("form#regler-skjema")
    fields = {
        i["name"]: i.get("value", "") for i in form.select("input[name]") if i.get("type") != "checkbox"
    }
    fields.update({i["name"]: i["value"] for i in form.select("input[type=checkbox][checked]")})
    for choice in form.select("select[name]"):
        chosen = choice.select_one("option[selected]") or choice.select_one("option")
        fields[choice["name"]] = chosen["value"]
    return fields


def backdate(session: Session, name: str = "Utkast") -> None:
    """Set the scenario's «Sist endret» to a day long ago, so a save's new time is visible to the minute."""
    fresh(session)
    saved = scenario(session, name)
    saved.updated_at = LONG_AGO
    session.add(saved)
    session.commit()


# --- 3: «Merk som endelig anbefaling» asks first ------------------------------------------------------


def test_marking_final_is_a_link_to_a_confirmation_in_words(adviser: TestClient, session: Session) -> None:
    location = create(adviser).headers["location"]
    page = soup_of(adviser.get(location).text)
    assert page.select_one(f"form[action$='{location}/endelig']") is None
    link = page.find("a", string="Merk som endelig anbefaling")
    assert link is not None and link["href"].endswith(f"{location}/endelig/bekreft")

    r = adviser.get(link["href"])
    assert r.status_code == 200, r.text
    assert r.template.name == "staff/confirm.html"  # type: ignore[attr-defined]
    confirm = r.context["confirm"]  # type: ignore[attr-defined]
    assert confirm.consequences[0] == (
        "«Utkast» blir fylkets endelige anbefaling: 80 flyktninger fordelt på 3 av 3 kommuner."
    )
    assert "Saksframlegget og brevet til IMDi blir ikke lenger merket som utkast." in confirm.consequences
    # Asking is not doing: nothing is final until the confirmation's button posts.
    assert scenario(session).is_final is False
    form = soup_of(r.text).select_one("main form")
    assert form["action"].endswith(f"{location}/endelig") and form["method"] == "post"
    assert form.find("a", string="Avbryt")["href"].endswith(location)

    token = csrf_of(adviser, location)
    assert adviser.post(location + "/endelig", data={"csrf_token": token}).status_code == 303
    assert scenario(session).is_final is True


def test_the_confirmation_names_the_final_scenario_it_replaces_and_the_knowledge_base(
    adviser: TestClient, session: Session
) -> None:
    first = create(adviser, name="Først").headers["location"]
    token = csrf_of(adviser, first)
    adviser.post(first + "/endelig", data={"csrf_token": token})
    second = create(adviser, name="Andre").headers["location"]
    fresh(session)
    made = scenario(session, "Andre")
    made.year = 2027
    session.add(made)
    session.commit()
    consequences = adviser.get(second + "/endelig/bekreft").context["confirm"].consequences  # type: ignore[attr-defined]
    assert "«Først» er da ikke lenger den endelige anbefalingen." in consequences
    assert (
        "Tallene skrives inn i kunnskapsgrunnlaget som fylkets anbefaling for 2027, og erstatter anbefalingen "
        "som står der for det året." in consequences
    )


def test_a_scenario_that_cannot_be_final_is_told_so_instead_of_asked(
    adviser: TestClient, session: Session
) -> None:
    location = create(adviser).headers["location"]
    token = csrf_of(adviser, location)
    adviser.post(location, data={"csrf_token": token, **rules_form(total="56")})
    r = adviser.get(location + "/endelig/bekreft", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith(location)
    page = adviser.get(location).text
    assert "kan ikke bli den endelige anbefalingen" in page


def test_a_reader_reads_the_rules_and_may_not_ask_to_mark_final(
    client: TestClient, session: Session, settings: Settings
) -> None:
    make_world(session, settings)
    make_staff(session, Role.radgiver)
    login(client, "radgiver@fylke.test")
    location = create(client).headers["location"]
    client.cookies.clear()
    make_staff(session, Role.leser)
    login(client, "leser@fylke.test")
    assert client.get(location + "/endelig/bekreft").status_code == 403
    token = csrf_of(client, location)
    form = {"csrf_token": token, **rules_form()}
    assert client.post(location + "/forhandsvisning", data=form, headers=HTMX).status_code == 403
    page = soup_of(client.get(location).text)
    assert page.find("a", string="Merk som endelig anbefaling") is None
    # A reader gets the rules as sentences: a disabled form was too faint to read (axe: colour contrast of
    # #total-help and four more), and offered nothing to do.
    assert page.select("main [disabled]") == [] and page.select_one("#total-help") is None
    rules = {
        tr.th.get_text(strip=True): tr.td.get_text(strip=True) for tr in page.select("table.rules-table tr")
    }
    assert (
        rules["Antall å fordele"] == "80" and rules["Minstetall: en kommune anmodes om 0 eller minst"] == "10"
    )
    assert page.select_one("#sammendrag") is not None and page.select_one("#lagre") is None


# --- 3 and 13: what-if first, then the choice, beside the rules -----------------------------------------


def test_typing_recalculates_without_saving_and_the_summary_says_so(
    adviser: TestClient, session: Session
) -> None:
    location = create(adviser).headers["location"]
    page = soup_of(adviser.get(location).text)
    rules = page.select_one("form#regler-skjema")
    assert rules["hx-post"].endswith(f"{location}/forhandsvisning")
    token = csrf_of(adviser, location)
    events = len(session.exec(select(AuditEvent)).all())

    r = adviser.post(
        location + "/forhandsvisning",
        data={"csrf_token": token, **rules_form(total="100")},
        headers=HTMX,
    )
    assert r.status_code == 200, r.text
    assert "<html" not in r.text
    assert sum(numbers(r.text).values()) == 100
    summary = soup_of(r.text).select_one("#sammendrag-tall[hx-swap-oob]")
    assert summary is not None
    text = " ".join(summary.get_text(" ").split())
    assert text.startswith("100 fordelt.")
    assert "Ikke lagret." in text
    # 80 → 100: each of the three gets another number than the saved scenario gives it (46, 11 and 23).
    assert (
        "3 kommuner får et annet tall enn i det lagrede scenarioet, mest Drammen +13, Lier +6 og Ål +1."
        in text
    )
    # Nothing is saved, and nothing is logged, until the adviser chooses.
    assert scenario(session).total == 80
    fresh(session)
    assert len(session.exec(select(AuditEvent)).all()) == events

    # The form as the page shows it, untouched, is what is saved.
    untouched = page_form(adviser.get(location).text)
    r = adviser.post(location + "/forhandsvisning", data=untouched, headers=HTMX)
    summary = soup_of(r.text).select_one("#sammendrag-tall")
    assert "Ikke lagret" not in summary.get_text() and "Lagret." in summary.get_text()


def test_the_summary_beside_the_rules_has_the_total_the_changed_and_the_biggest_changes(
    adviser: TestClient,
) -> None:
    location = create(adviser).headers["location"]
    page = soup_of(adviser.get(location).text)
    aside = page.select_one("section#sammendrag")
    assert aside is not None
    # In the same block as the rules form, before it: next to it on a wide screen, above it on a phone; not
    # after the table of numbers as the recalculation used to be.
    editor = aside.find_parent(class_="scenario-editor")
    assert editor is not None and editor.select_one("form#regler-skjema") is not None
    text = " ".join(aside.get_text(" ").split())
    assert "80 fordelt." in text
    assert "3 av 3 kommuner er endret fra i fjor." in text
    biggest = table_rows(str(aside), "table.summary-table")
    # Last year 40, 10 and 20: 80 to share scales each by 8/7 to 46, 11 and 23.
    assert list(biggest) == ["Drammen", "Lier", "Ål"]
    assert biggest["Drammen"] == {"Kommune": "Drammen", "Anbefalt": "46", "Endring": "+6"}


def test_save_and_save_as_new_sit_together_under_the_rules(adviser: TestClient, session: Session) -> None:
    location = create(adviser).headers["location"]
    page = soup_of(adviser.get(location).text)
    choice = page.select_one("#lagre")
    assert choice is not None and choice.find_parent(class_="scenario-editor") is not None
    save = choice.find("button", string="Lagre")
    save_as_new = choice.find("button", string="Lagre som nytt scenario")
    name = choice.select_one("input[name=name]")
    # All three belong to the rules form, so «Lagre som nytt scenario» takes the rules as typed.
    assert save["form"] == save_as_new["form"] == name["form"] == "regler-skjema"
    assert save_as_new["formaction"].endswith(f"{location}/kopi")
    assert not save.has_attr("formaction")
    # «Lagre» is the form's first button, so Enter in a rule field saves rather than makes a copy.
    buttons = page.select("button[form=regler-skjema], form#regler-skjema button")
    assert buttons[0] is save
    # The old copy form at the foot of the page is gone: one place to choose.
    assert len(page.find_all(string="Lagre som nytt scenario")) == 1

    token = csrf_of(adviser, location)
    form = {"csrf_token": token, **rules_form(total="100"), "name": "Hundre"}
    r = adviser.post(location + "/kopi", data=form, follow_redirects=False)
    assert r.status_code == 303
    copy, original = scenario(session, "Hundre"), scenario(session)
    assert (copy.total, original.total) == (100, 80)
    assert sum(numbers(adviser.get(r.headers["location"]).text).values()) == 100
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "recommendation.copy")).one()
    assert event.details["total"] == 100


def test_save_as_new_with_a_wrong_rule_names_the_field_and_makes_nothing(
    adviser: TestClient, session: Session
) -> None:
    location = create(adviser).headers["location"]
    token = csrf_of(adviser, location)
    form = {"csrf_token": token, **rules_form(total="mange"), "name": "Feil"}
    r = adviser.post(location + "/kopi", data=form)
    assert r.status_code == 422
    page = soup_of(r.text)
    assert page.select_one(".ds-error-summary a[href='#total']") is not None
    assert page.select_one("#total")["value"] == "mange"
    assert page.select_one("#copy-name")["value"] == "Feil"
    fresh(session)
    assert [s.name for s in session.exec(select(Scenario))] == ["Utkast"]


def test_saving_updates_sist_endret(adviser: TestClient, session: Session) -> None:
    location = create(adviser).headers["location"]
    backdate(session)
    assert "Sist endret 02.01.2026" in visible_text(adviser.get(location).text)
    token = csrf_of(adviser, location)

    # «Lagre» without JavaScript: back to the rules, with the new time at the top and in the summary.
    r = adviser.post(location, data={"csrf_token": token, **rules_form(total="90")}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith(location + "#regler")
    page = adviser.get(r.headers["location"]).text
    assert "Endringene er lagret i «Utkast»." in page
    assert "02.01.2026" not in visible_text(page)
    assert scenario(session).total == 90

    # An htmx save brings the new time out of band, so the page never shows a stale «Sist endret».
    backdate(session)
    r = adviser.post(location, data={"csrf_token": token, **rules_form(total="95")}, headers=HTMX)
    stamp = soup_of(r.text).select_one("#sist-endret[hx-swap-oob]")
    assert stamp is not None and stamp.get_text().startswith("Sist endret ")
    assert "02.01.2026" not in stamp.get_text()


def test_saving_nothing_new_says_so(adviser: TestClient) -> None:
    location = create(adviser).headers["location"]
    r = adviser.post(location, data=page_form(adviser.get(location).text))
    assert r.status_code == 303
    assert "Ingen endringer å lagre" in adviser.get(r.headers["location"]).text


def test_sist_endret_is_its_own_sentence(adviser: TestClient) -> None:
    location = create(adviser).headers["location"]
    text = visible_text(adviser.get(location).text)
    assert re.search(r"\.Sist endret", text) is None
    assert re.search(r"\. Sist endret \d\d\.\d\d\.\d{4}", text)


# --- 4: the begrunnelse has room to be read -------------------------------------------------------------


def test_the_recommendation_table_keeps_to_the_numbers_the_begrunnelse_explains(
    adviser: TestClient,
) -> None:
    location = create(adviser).headers["location"]
    html = adviser.get(location).text
    table = soup_of(html).select_one("table.recommendation-table")
    headers = [th.get_text(" ", strip=True).replace("\xa0", " ") for th in table.select("thead th")]
    assert headers == [
        "Kommune",
        "Region",
        "I fjor",
        "Grunnlag",
        "Vedtak",
        "Anbefalt",
        "Endring",
        "Begrunnelse",
    ]
    # The begrunnelse cell is no longer forced to 36rem (td.explanation), which pushed it out of view.
    for row in table.select("tbody tr"):
        _region, *figures, reason = row.find_all("td")
        assert reason["class"] == ["reason"]
        assert all(c["class"] == ["num"] for c in figures)
    # The criteria's figures moved to their own table, so nothing is lost.
    criteria = table_rows(html, "table.criteria-table")
    assert criteria["Drammen"]["Integreringsindeks (vekt 0)"] == "60,0"
    assert criteria["Ål"]["Anbefalt per 1\xa0000 innb."] == "2,3"


# --- 8: numbers the Norwegian way -------------------------------------------------------------------------


def test_numbers_are_grouped_with_decimal_commas_and_real_minus_signs(
    adviser: TestClient, session: Session
) -> None:
    location = create(adviser, name="Stort", total="1400").headers["location"]
    html = adviser.get(location).text
    rows = table_rows(html, "table.recommendation-table")
    assert rows["Drammen"]["Grunnlag"] == "800,0"
    assert rows["Drammen"]["I\xa0fjor"] == "40"
    assert "1\xa0400 fordelt" in visible_text(html)

    # A decline without the floor: the changes are negative, written with U+2212.
    token = csrf_of(adviser, location)
    form = {"csrf_token": token, **rules_form(total="56")}
    del form["fjoraret_er_gulv"]
    html = adviser.post(location + "/forhandsvisning", data=form, headers=HTMX).text
    changes = [row["Endring"] for row in table_rows(html, "table.recommendation-table").values()]
    assert all(c.startswith("\u2212") for c in changes), changes
    assert "-" not in "".join(changes)

    listing = table_rows(adviser.get("/ansatt/anbefaling").text, "main table")
    assert listing["Stort"]["Totalt"] == "1\xa0400"
    second = create(adviser, name="Lite").headers["location"]
    ids = [location.rsplit("/", 1)[1], second.rsplit("/", 1)[1]]
    compare = soup_of(adviser.get(f"/ansatt/anbefaling/sammenlign?id={ids[0]}&id={ids[1]}").text)
    sums = [td.get_text(strip=True) for td in compare.select("table tbody tr")[-1].select("td")]
    assert sums[2:4] == ["1\xa0400", "80"]
    report = adviser.get(location + "/rapport").text
    assert "Fylket anbefaler at 1\xa0400 flyktninger" in report
    assert table_rows(report, "table.recommendation-table")["Sum"]["Anbefalt"] == "1\xa0400"


def test_the_scenario_list_compare_and_report_have_no_english_decimal_points(
    adviser: TestClient, session: Session
) -> None:
    figures = FIGURES.replace(";40;;60;", ";40;;60.5;")
    location = create(adviser, figures=figures).headers["location"]
    for path in (location, location + "/rapport", "/ansatt/anbefaling"):
        text = visible_text(adviser.get(path).text)
        assert re.search(r"\d\.\d", re.sub(r"\d\d\.\d\d\.\d{4}", "", text)) is None, path
