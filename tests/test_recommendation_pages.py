"""The recommendation in the app: scenarios from a CSV, what-if with htmx, overrides, compare, report, XLSX."""

from __future__ import annotations

import io

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session, select

from survey_app.config import Settings
from survey_app.models import AuditEvent, Role, Scenario
from survey_app.services import demo
from tests.conftest import csrf_of, fresh
from tests.factories import make_staff, make_world
from tests.test_staff import login, table_rows

FIGURES = (
    "kommunenummer;kommune;region;forrige_anmodning;vedtak;integreringsindeks;innbyggere\n"
    "3005;Drammen;Drammensregionen;40;;60;104 000\n"
    "3043;Ål;Hallingdal;10;12;80;4 700\n"
    "3049;Lier;Drammensregionen;20;;40;27 000\n"
)
RULES_FORM = {
    "minstetall": "10",
    "vedtak_er_tak": "ja",
    "fjoraret_er_gulv": "ja",
    "maks_endring": "",
    "maks_endring_andel": "",
    "regional_balanse": "0",
    "vekt__integreringsindeks": "1",
    "retning__integreringsindeks": "hoy",
    "vekt__innbyggere": "0",
    "retning__innbyggere": "hoy",
}


@pytest.fixture
def adviser(client: TestClient, session: Session, settings: Settings) -> TestClient:
    make_world(session, settings)
    make_staff(session, Role.radgiver)
    login(client, "radgiver@fylke.test")
    return client


def create(client: TestClient, *, name: str = "Utkast", total: str = "80", figures: str = FIGURES):
    token = csrf_of(client, "/ansatt/anbefaling")
    return client.post(
        "/ansatt/anbefaling",
        data={"csrf_token": token, "name": name, "total": total, "round_id": ""},
        files={"figures": ("tall.csv", figures.encode("cp1252"), "text/csv")},
    )


def scenario(session: Session, name: str = "Utkast") -> Scenario:
    fresh(session)
    return session.exec(select(Scenario).where(Scenario.name == name)).one()


def numbers(html: str) -> dict[str, int]:
    rows = table_rows(html, "table.recommendation-table")
    return {name: int(row["Anbefalt"].split()[0]) for name, row in rows.items()}


def test_a_scenario_from_an_excel_csv_shows_numbers_that_add_up(
    adviser: TestClient, session: Session
) -> None:
    r = create(adviser)
    assert r.status_code == 303, r.text
    page = adviser.get(r.headers["location"])
    assert page.status_code == 200
    got = numbers(page.text)
    # Floors 40 + 10 + 20 (Ål's decision 12 caps it); the 10 left go 60:80:40 → Ål stops at 12.
    assert sum(got.values()) == 80 and got["Ål"] == 12
    assert got == {"Drammen": 45, "Ål": 12, "Lier": 23}
    rows = table_rows(page.text, "table.recommendation-table")
    assert "Kommunestyrets vedtak (12) er taket." in rows["Ål"]["Begrunnelse"]
    assert "tall.csv" in page.text
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "recommendation.create")).one()


def test_a_bad_file_is_explained_and_the_typed_name_kept(adviser: TestClient) -> None:
    r = create(adviser, name="Mitt scenario", figures=FIGURES.replace(";40;;60;", ";førti;;60;"))
    assert r.status_code == 422
    soup = BeautifulSoup(r.text, "html.parser")
    assert "Linje 2: forrige_anmodning «førti» er ikke et tall." in soup.select_one("#figures-error").text
    assert soup.select_one("#name")["value"] == "Mitt scenario"
    assert soup.select_one(".ds-error-summary a[href='#figures']") is not None


def test_changing_the_rules_with_htmx_updates_and_saves_at_once(
    adviser: TestClient, session: Session
) -> None:
    location = create(adviser).headers["location"]
    token = csrf_of(adviser, location)
    form = {"csrf_token": token, "total": "100", **RULES_FORM, "vekt__innbyggere": "1"}
    r = adviser.post(location, data=form, headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert "<html" not in r.text and 'id="resultat"' in r.text
    got = numbers(r.text)
    assert sum(got.values()) == 100
    saved = scenario(session)
    assert saved.total == 100
    assert [c["kolonne"] for c in saved.rules["kriterier"]] == ["integreringsindeks", "innbyggere"]
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "recommendation.update")).one()
    assert event.details["total"] == 100


def test_bad_rule_values_are_named_by_field_and_nothing_is_saved(
    adviser: TestClient, session: Session
) -> None:
    location = create(adviser).headers["location"]
    token = csrf_of(adviser, location)
    form = {"csrf_token": token, "total": "mange", **RULES_FORM, "regional_balanse": "150"}
    r = adviser.post(location, data=form, headers={"HX-Request": "true"})
    assert r.status_code == 200
    soup = BeautifulSoup(r.text, "html.parser")
    summary = soup.select_one(".ds-error-summary")
    assert summary is not None
    assert {a["href"] for a in summary.select("a")} == {"#total", "#regional_balanse"}
    # The field messages are swapped in beside the fields (out of band).
    assert soup.select_one("#total-feil[hx-swap-oob] .ds-validation-message") is not None
    assert scenario(session).total == 80
    # Without htmx the whole page comes back with the typed values kept.
    r = adviser.post(location, data=form)
    assert r.status_code == 422
    assert BeautifulSoup(r.text, "html.parser").select_one("#total")["value"] == "mange"


def test_an_infeasible_total_says_which_rules_conflict(adviser: TestClient) -> None:
    location = create(adviser).headers["location"]
    token = csrf_of(adviser, location)
    r = adviser.post(
        location, data={"csrf_token": token, "total": "50", **RULES_FORM}, headers={"HX-Request": "true"}
    )
    assert "Reglene kan ikke oppfylles samtidig" in r.text
    assert "Summen av fjorårets anmodninger er 20 høyere enn totalen (50)" in r.text
    assert "recommendation-table" not in r.text


def test_an_override_needs_a_reason_and_is_audited(adviser: TestClient, session: Session) -> None:
    location = create(adviser).headers["location"]
    token = csrf_of(adviser, location)
    url = location + "/overstyring"
    r = adviser.post(
        url, data={"csrf_token": token, "kommunenummer": "3049", "antall": "30", "begrunnelse": ""}
    )
    assert r.status_code == 422
    soup = BeautifulSoup(r.text, "html.parser")
    assert "Skriv en begrunnelse" in soup.select_one("#begrunnelse-error").text
    assert soup.select_one("#antall")["value"] == "30"
    assert scenario(session).overrides == {}

    reason = "Lier har avtalt å ta imot en større gruppe i samarbeid med Drammen."
    r = adviser.post(
        url, data={"csrf_token": token, "kommunenummer": "3049", "antall": "30", "begrunnelse": reason}
    )
    assert r.status_code == 303
    page = adviser.get(location)
    got = numbers(page.text)
    assert got["Lier"] == 30 and sum(got.values()) == 80
    assert reason in table_rows(page.text, "table.recommendation-table")["Lier"]["Begrunnelse"]
    fresh(session)
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "recommendation.override")).one()
    assert event.details == {"kommunenummer": "3049", "antall": 30, "begrunnelse": reason}

    r = adviser.post(location + "/overstyring/3049/fjern", data={"csrf_token": token})
    assert r.status_code == 303
    assert scenario(session).overrides == {}
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "recommendation.override_remove")).one()


def test_scenarios_are_saved_by_name_compared_and_one_made_final(
    adviser: TestClient, session: Session
) -> None:
    location = create(adviser).headers["location"]
    token = csrf_of(adviser, location)
    r = adviser.post(location + "/kopi", data={"csrf_token": token, "name": "Mer til store kommuner"})
    assert r.status_code == 303
    copy_location = r.headers["location"]
    adviser.post(
        copy_location, data={"csrf_token": token, "total": "120", **RULES_FORM, "vekt__innbyggere": "3"}
    )
    first, second = scenario(session), scenario(session, "Mer til store kommuner")
    assert (first.total, second.total) == (80, 120)
    page = adviser.get(f"/ansatt/anbefaling/sammenlign?id={first.id}&id={second.id}")
    assert page.status_code == 200
    soup = BeautifulSoup(page.text, "html.parser")
    headers = [th.get_text(strip=True) for th in soup.select("table thead th")]
    assert headers[3:5] == ["Utkast", "Mer til store kommuner"]
    sums = [td.get_text(strip=True) for td in soup.select("table tbody tr")[-1].select("td")]
    assert sums[2:4] == ["80", "120"]

    adviser.post(copy_location + "/endelig", data={"csrf_token": token})
    adviser.post(location + "/endelig", data={"csrf_token": token})
    first, second = scenario(session), scenario(session, "Mer til store kommuner")
    assert (first.is_final, second.is_final) == (True, False)
    assert (
        len(session.exec(select(AuditEvent).where(AuditEvent.action == "recommendation.finalize")).all()) == 2
    )


def test_the_report_and_the_workbook_carry_rules_sources_and_begrunnelser(
    adviser: TestClient, session: Session
) -> None:
    location = create(adviser).headers["location"]
    report = adviser.get(location + "/rapport")
    assert report.status_code == 200
    for text in (
        "Reglene som er brukt",
        "Kilder",
        "tall.csv",
        "Kommunestyrets vedtak (12) er taket.",
        "Minstetall",
    ):
        assert text in report.text
    r = adviser.get(location + "/anbefaling.xlsx")
    assert r.status_code == 200
    fresh(session)
    book = load_workbook(io.BytesIO(r.content))
    assert book.sheetnames == ["Anbefaling", "Regler", "Kilder", "Overstyringer"]
    rows = list(book["Anbefaling"].values)
    assert rows[0][:5] == ("kommunenummer", "kommune", "region", "anbefalt", "begrunnelse")
    assert sum(row[3] for row in rows[1:]) == 80
    assert (
        session.exec(select(AuditEvent).where(AuditEvent.action == "export")).one().object_type == "scenario"
    )


def test_a_reader_sees_the_numbers_but_cannot_change_them(
    client: TestClient, session: Session, settings: Settings
) -> None:
    make_world(session, settings)
    make_staff(session, Role.radgiver)
    login(client, "radgiver@fylke.test")
    location = create(client).headers["location"]
    client.cookies.clear()
    make_staff(session, Role.leser)
    login(client, "leser@fylke.test")
    page = client.get(location)
    assert page.status_code == 200 and sum(numbers(page.text).values()) == 80
    assert BeautifulSoup(page.text, "html.parser").select_one("#total").has_attr("disabled")
    token = csrf_of(client, location)
    assert client.post(location, data={"csrf_token": token, "total": "90", **RULES_FORM}).status_code == 403
    assert scenario(session).total == 80


def test_the_template_lists_the_countys_municipalities(adviser: TestClient) -> None:
    r = adviser.get("/ansatt/anbefaling/mal.csv")
    assert r.status_code == 200
    lines = r.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "kommunenummer,kommune,region,forrige_anmodning,vedtak,integreringsindeks"
    assert lines[1].startswith("3005,Drammen,Drammensregionen")


def test_the_demo_has_a_scenario_built_on_the_survey_index(
    client: TestClient, session: Session, settings: Settings
) -> None:
    demo.setup_demo(session, settings=settings)
    make_staff(session, Role.radgiver)
    login(client, "radgiver@fylke.test")
    fresh(session)
    made = session.exec(select(Scenario)).one()
    assert made.index_source.startswith(
        "Integreringsindeks og parametere fra analysen av «Kommuneundersøkelsen 2025»"
    )
    page = client.get(f"/ansatt/anbefaling/{made.id}")
    got = numbers(page.text)
    assert len(got) == 51 and sum(got.values()) == made.total
    assert "Reglene kan ikke oppfylles" not in page.text
    # Every integration parameter of the round can be weighed, under its Norwegian name.
    assert made.criteria_columns[:2] == ["integreringsindeks", "frivillighetspolitikk"]
    assert set(made.criteria_labels) == {
        "frivillighetspolitikk",
        "sivilsamfunn_intro",
        "moteplasser",
        "sosial_kontroll",
        "kapasitet",
    }
    soup = BeautifulSoup(page.text, "html.parser")
    assert (
        soup.select_one("#vekt__moteplasser")["aria-label"]
        == f"Vekt for {made.criteria_labels['moteplasser']}"
    )
