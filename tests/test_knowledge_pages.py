"""Kunnskapsgrunnlag in the app: upload → preview → «Importer», errors by the field, a municipality's
history as a table and an accessible chart, and who may do what."""

from __future__ import annotations

import io
import json
import re

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlmodel import Session, func, select

from survey_app.config import Settings
from survey_app.models import AuditEvent, KnowledgeUpload, RegisterValue, Role, SettlementHistory
from survey_app.services import knowledge_import
from tests.analysis.test_ssb import JSONSTAT, STATBANK_CSV
from tests.conftest import csrf_of, fresh
from tests.factories import make_staff, make_world
from tests.test_staff import login, table_rows

OVERVIEW = "/ansatt/kunnskapsgrunnlag"
PER_1000 = "Bosatt per 1\u00a0000 innbyggere"
HISTORY = (
    "kommunenummer;kommune;år;anbefalt;anmodning;anmodning_ema;vedtak;vedtak_ema;vedtak_gjelder;bosatt;bosatt_ema\n"
    "3005;Drammen;2023;80;80;8;70;6;2023–2024;66;5\n"
    "3005;Drammen;2024;60;60;;60;;2024;58;\n"
    "3049;Lier;2024;20;20;;15;;2024;14;\n"
)
POPULATION = (
    '"region";"Personer 2023";"Personer 2024"\n"3005 Drammen";102000;103000\n"3049 Lier";27000;27500\n'
)


@pytest.fixture
def adviser(client: TestClient, session: Session, settings: Settings) -> TestClient:
    make_world(session, settings)  # the register: Drammen, Ål, Lier
    make_staff(session, Role.radgiver)
    login(client, "radgiver@fylke.test")
    return client


def upload(client: TestClient, field: str, name: str, data: bytes, **form: str):
    token = csrf_of(client, OVERVIEW)
    path = f"{OVERVIEW}/{'historikk' if field == 'historikk' else 'registertall'}"
    return client.post(path, data={"csrf_token": token, **form}, files={field: (name, data, "text/csv")})


def confirm(client: TestClient, preview_html: str, *, own_token: bool = False):
    """Press «Importer» on a preview page (with this client's own CSRF token if the page was someone else's)."""
    form = BeautifulSoup(preview_html, "html.parser").select_one("form[action*='/import/']")
    assert form is not None, preview_html[:2000]
    data = {str(i["name"]): str(i.get("value", "")) for i in form.select("input[type=hidden]")}
    if own_token:
        data["csrf_token"] = csrf_of(client, OVERVIEW)
    return client.post(str(form["action"]), data=data)


def count(session: Session, model: type) -> int:
    fresh(session)
    return session.exec(select(func.count()).select_from(model)).one()


def test_upload_preview_and_import_a_history_file(adviser: TestClient, session: Session) -> None:
    r = upload(adviser, "historikk", "historikk.csv", HISTORY.encode("cp1252"))
    assert r.status_code == 200, r.text
    assert r.template.name == "staff/knowledge_preview.html"  # type: ignore[attr-defined]
    assert re.search(r"3 nye</strong> og <strong>0 endrede", r.text)
    assert count(session, SettlementHistory) == 0, "a preview imports nothing"
    done = confirm(adviser, r.text)
    assert done.status_code == 303 and done.headers["location"].endswith(OVERVIEW)
    assert count(session, SettlementHistory) == 3 and count(session, KnowledgeUpload) == 0
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "knowledge.history_import")).one()
    assert event.details["file"] == "historikk.csv" and event.details["added"] == 3
    assert event.actor.startswith("staff:")
    page = adviser.get(OVERVIEW)
    assert "er importert: 3 nye og 0 endrede rader" in page.text
    years = table_rows(page.text, "main table")
    assert years["2024"] == {
        "År": "2024",
        "Kommuner": "2",
        "Anbefalt": "80",
        "Anmodet": "80",
        "Vedtatt": "75",
        "Bosatt": "72",
    }


def test_the_preview_shows_what_changes_from_old_to_new(adviser: TestClient, session: Session) -> None:
    knowledge_import.import_history(session, data=HISTORY.encode(), filename="forrige.csv", actor="test")
    wide = "Kommune;Vedtak 2024;Bosatte 2024;Anmodning 2025\n3049 Lier;18;14;25\n"
    r = upload(adviser, "historikk", "lier.csv", wide.encode())
    assert r.status_code == 200, r.text
    changes = BeautifulSoup(r.text, "html.parser").select("table.changes-table tbody tr")
    assert [[c.get_text(" ", strip=True) for c in row.find_all(["th", "td"])] for row in changes] == [
        ["Lier 2024", "Vedtatt", "15", "18"]
    ]
    assert "Lier 2025" in r.text and "1 nye</strong> og <strong>1 endrede</strong> rader, 0 uendret" in r.text
    confirm(adviser, r.text)
    fresh(session)
    row = session.exec(
        select(SettlementHistory).where(
            SettlementHistory.year == 2024, SettlementHistory.kommunenummer == "3049"
        )
    ).one()
    assert (row.decided, row.settled, row.recommended) == (18, 14, 20)


def test_an_xlsx_file_in_wide_form(adviser: TestClient, session: Session) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Kommune", "Anmodning 2025", "Vedtak 2025"])
    sheet.append(["3005 Drammen", 50, 45])
    data = io.BytesIO()
    book.save(data)
    r = upload(adviser, "historikk", "imdi.xlsx", data.getvalue())
    assert r.status_code == 200, r.text
    assert confirm(adviser, r.text).status_code == 303
    fresh(session)
    row = session.exec(select(SettlementHistory)).one()
    assert (row.kommunenummer, row.year, row.requested, row.decided, row.source) == (
        "3005",
        2025,
        50,
        45,
        "imdi.xlsx",
    )


def test_errors_are_shown_by_the_field_with_row_numbers_and_nothing_is_imported(
    adviser: TestClient, session: Session
) -> None:
    bad = "kommunenummer;år;vedtak\n3005;2024;60\n3049;2024;ti\n3043;2024;mange\n"
    r = upload(adviser, "historikk", "feil.csv", bad.encode())
    assert r.status_code == 422
    soup = BeautifulSoup(r.text, "html.parser")
    summary = soup.select_one("#feiloppsummering")
    assert summary is not None and "Historikkfil: Filen har 2 feil" in summary.get_text(" ", strip=True)
    assert summary.select_one("a")["href"] == "#historikk"  # type: ignore[index]
    field = soup.select_one("#historikk")
    assert field is not None and field["aria-invalid"] == "true"
    assert "historikk-error" in str(field["aria-describedby"])
    problems = [li.get_text(strip=True) for li in soup.select("#historikk-error li")]
    assert problems == [
        "Rad 3: vedtak «ti» er ikke et helt tall.",
        "Rad 4: vedtak «mange» er ikke et helt tall.",
    ]
    assert count(session, SettlementHistory) == 0 and count(session, KnowledgeUpload) == 0


def test_no_file_an_empty_file_and_a_file_over_2_mb_are_refused_by_the_field(adviser: TestClient) -> None:
    token = csrf_of(adviser, OVERVIEW)
    r = adviser.post(f"{OVERVIEW}/historikk", data={"csrf_token": token})
    assert r.status_code == 422 and "Velg en fil." in r.text
    assert "Filen er tom." in upload(adviser, "historikk", "tom.csv", b"").text
    big = upload(adviser, "historikk", "stor.csv", b"kommunenummer;\n" + b"x" * (2 * 1024 * 1024))
    assert big.status_code == 422 and "større enn 2 MB" in big.text


def test_population_from_a_statbank_csv(adviser: TestClient, session: Session) -> None:
    r = upload(adviser, "registertall", "07459.csv", STATBANK_CSV.encode("cp1252"))
    assert r.status_code == 200, r.text
    text = BeautifulSoup(r.text, "html.parser").get_text(" ", strip=True)
    assert "Befolkning (befolkning, SSB-tabell 07459)" in text
    # Only Drammen, Ål and Lier are in this register.
    assert (
        "finnes ikke i kommuneregisteret og blir ikke importert: 3001 Halden, 3024 Bærum, 3101 Halden" in text
    )
    assert "Filen gir ingen endringer" in text and count(session, KnowledgeUpload) == 1
    r = upload(adviser, "registertall", "07459.csv", POPULATION.encode(), indikator="befolkning")
    assert confirm(adviser, r.text).status_code == 303
    assert count(session, RegisterValue) == 4
    page = adviser.get(OVERVIEW)
    # The indicator's id is code beside its name: «Befolkning (befolkning)», read with a space at each tag.
    indicator = table_rows(page.text, "main table")["Befolkning ( befolkning )"]
    assert (indicator["År"], indicator["Kommuner"]) == ("2023–2024", "2")


def test_jsonstat_needs_an_indicator_id_when_the_table_is_unknown(
    adviser: TestClient, session: Session
) -> None:
    unknown = json.dumps(dict(JSONSTAT, extension={}, label="Andel i arbeid")).encode()
    r = upload(adviser, "registertall", "intro.json", unknown)
    assert r.status_code == 422
    soup = BeautifulSoup(r.text, "html.parser")
    assert soup.select_one("#indikator")["aria-invalid"] == "true"  # type: ignore[index]
    assert "Gi indikatoren en kort id" in soup.select_one("#indikator-error").get_text()  # type: ignore[union-attr]
    r = upload(adviser, "registertall", "intro.json", unknown, indikator="intro", navn="Intro-resultat")
    assert r.status_code == 200 and "Intro-resultat" in r.text


def test_a_confirmation_after_the_figures_changed_shows_the_new_preview(
    adviser: TestClient, session: Session
) -> None:
    r = upload(adviser, "historikk", "historikk.csv", HISTORY.encode())
    knowledge_import.import_history(
        session, data=b"kommunenummer;aar;vedtak\n3005;2023;1\n", filename="annen.csv", actor="test"
    )
    again = confirm(adviser, r.text)
    assert again.status_code == 409
    assert "er endret siden du så forhåndsvisningen" in again.text
    assert count(session, SettlementHistory) == 1
    assert confirm(adviser, again.text).status_code == 303
    assert count(session, SettlementHistory) == 3


def test_only_the_uploader_may_import_an_upload(
    adviser: TestClient, app, session: Session, settings: Settings
) -> None:
    r = upload(adviser, "historikk", "historikk.csv", HISTORY.encode())
    make_staff(session, Role.admin)
    with TestClient(app, follow_redirects=False) as other:
        login(other, "admin@fylke.test")
        assert confirm(other, r.text, own_token=True).status_code == 404
    assert count(session, SettlementHistory) == 0


def test_a_leser_reads_but_cannot_import(client: TestClient, session: Session, settings: Settings) -> None:
    make_world(session, settings)
    knowledge_import.import_history(session, data=HISTORY.encode(), filename="h.csv", actor="test")
    make_staff(session, Role.leser)
    login(client, "leser@fylke.test")
    page = client.get(OVERVIEW)
    assert page.status_code == 200 and "Drammen" in page.text
    assert BeautifulSoup(page.text, "html.parser").select("main form") == [], "no import forms"
    token = csrf_of(client, OVERVIEW)
    files = {"historikk": ("h.csv", HISTORY.encode(), "text/csv")}
    assert client.post(f"{OVERVIEW}/historikk", data={"csrf_token": token}, files=files).status_code == 403
    assert count(session, KnowledgeUpload) == 0


def test_a_municipality_page_shows_its_history_as_a_table_and_an_accessible_chart(
    adviser: TestClient, session: Session
) -> None:
    knowledge_import.import_history(session, data=HISTORY.encode(), filename="h.csv", actor="test")
    knowledge_import.import_register(
        session, data=POPULATION.encode(), filename="b.csv", actor="t", indicator="befolkning"
    )
    r = adviser.get(f"{OVERVIEW}/kommuner/3005")
    assert r.status_code == 200
    soup = BeautifulSoup(r.text, "html.parser")
    rows = table_rows(r.text, "table.history-table")
    assert rows["2023"] == {
        "År": "2023",
        "Anbefalt": "80",
        "Anmodet (herav EMA)": "80 (8)",
        "Vedtatt (herav EMA)": "70 (6) gjelder 2023–2024",
        "Bosatt (herav EMA)": "66 (5)",
        PER_1000: "0,6",
    }
    assert rows["2024"][PER_1000] == "0,6" and rows["2024"]["Anmodet (herav EMA)"] == "60"
    svg = soup.select_one("svg.history-chart")
    assert svg is not None and svg["role"] == "img"
    for label_id in str(svg["aria-labelledby"]).split():
        assert soup.find(id=label_id) is not None and soup.find(id=label_id).parent is svg  # type: ignore[union-attr]
    assert "Bosetting i Drammen, 2023–2024" in svg.title.get_text()  # type: ignore[union-attr]
    lines = svg.select("g > path[fill='none']")
    assert len(lines) == 4  # recommended, requested, decided, settled: two years each
    assert len({line.get("stroke-dasharray", "") for line in lines}) == 4, (
        "the lines differ by style, not colour only"
    )
    assert len(soup.select(".history-legend li")) == 4
    register = table_rows(r.text, "table.register-table")
    assert register["Befolkning"]["2024"] == "103\u00a0000"
    assert adviser.get(f"{OVERVIEW}/kommuner/0301").status_code == 404
    assert adviser.get(f"{OVERVIEW}/kommuner/abc").status_code == 404


def test_a_municipality_without_history_says_so(adviser: TestClient) -> None:
    r = adviser.get(f"{OVERVIEW}/kommuner/3043")
    assert r.status_code == 200
    assert "Ingen bosettingshistorikk er lest inn for Ål ennå." in r.text and "<svg" not in r.text


def test_the_analysis_page_of_a_municipality_shows_its_history(
    client: TestClient, session: Session, settings: Settings
) -> None:
    from survey_app.models import Round
    from survey_app.services import analysis, demo

    demo.setup_demo(session, settings=settings)
    round_ = session.exec(select(Round).where(Round.title == "Kommuneundersøkelsen 2025")).one()
    run = analysis.latest_run(session, round_.id)  # type: ignore[arg-type]
    assert run is not None
    unit, data = next(iter(run.results.units.items()))
    make_staff(session, Role.leser)
    login(client, "leser@fylke.test")
    r = client.get(f"/ansatt/runder/{round_.id}/analyse/kommuner/{unit}")
    assert r.status_code == 200
    rows = table_rows(r.text, "table.history-table")
    assert list(rows) == [str(y) for y in range(2017, 2027)], "the demo's ten synthetic years"
    assert "svg" in r.text and f"Bosetting i {data.name}, 2017–2026" in r.text
