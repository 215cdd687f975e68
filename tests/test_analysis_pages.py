"""The analysis in the app: `survey-app analyze`, the analysis pages, and coding free text."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from analysis.themes import load_codebook
from survey_app.config import Settings
from survey_app.models import (
    AnalysisRun,
    Answer,
    AuditEvent,
    Response,
    ResponseStatus,
    Role,
    Round,
    ThemeCoding,
    utcnow,
)
from survey_app.services import analysis, demo
from tests.conftest import csrf_of, fresh
from tests.factories import make_staff
from tests.test_staff import login, table_rows


@pytest.fixture
def demo_round(session: Session, settings: Settings) -> Round:
    demo.setup_demo(session, settings=settings)
    return session.exec(select(Round).where(Round.title == "Kommuneundersøkelsen 2025")).one()


def test_analyze_stores_a_reproducible_run(session: Session, settings: Settings, demo_round: Round) -> None:
    run = analysis.analyze(session, round_=demo_round, actor="test", data_dir=settings.data_dir)
    assert run.snapshot_at is not None and run.code_version.startswith("innspill ")
    assert run.model_version.startswith("tema-")
    results = run.results
    assert len(results.units) > 30 and set(results.parameters) == {
        "frivillighetspolitikk",
        "sivilsamfunn_intro",
        "moteplasser",
        "sosial_kontroll",
        "kapasitet",
    }  # last year's survey, before the revision added «medverknad» and «mangfald»
    assert all(p.alpha is None and not p.reflective for p in results.parameters.values()), "all formative"
    some = next(iter(results.units.values()))
    contributions = some.parameters["kapasitet"].contributions
    assert contributions and contributions[0].key.startswith(contributions[0].question_id)
    assert results.texts > 0 and results.needs, "the demo's texts state needs"
    assert len(results.sensitivity) == 2 * len(results.parameters)
    # The demo shows every part of the analysis: a parameter without enough answers, and topics among the
    # answers no theme covers (its transport and mental-health answers).
    values = [p.value for unit in results.units.values() for p in unit.parameters.values()]
    assert None in values and any(v is not None for v in values)
    assert results.topics, "the demo has answers the codebook covers poorly"
    assert session.exec(select(ThemeCoding)).first() is not None
    assert (settings.data_dir / "theme_training.jsonl").exists()
    again = analysis.analyze(session, round_=demo_round, actor="test", data_dir=settings.data_dir)
    assert again.results.units == results.units  # same data, same numbers


def test_analysis_pages_and_coding_that_teaches_the_model(
    client: TestClient, session: Session, settings: Settings, demo_round: Round
) -> None:
    make_staff(session, Role.radgiver)
    login(client, "radgiver@fylke.test")
    token = csrf_of(client, f"/ansatt/runder/{demo_round.id}/analyse")
    assert analysis.latest_run(session, demo_round.id) is not None  # the demo analyses its rounds
    r = client.post(f"/ansatt/runder/{demo_round.id}/analyse", data={"csrf_token": token})
    assert r.status_code == 303
    page = client.get(f"/ansatt/runder/{demo_round.id}/analyse")
    assert page.status_code == 200
    units = table_rows(page.text, "table.analysis-units")
    assert len(units) > 30
    # Stated needs, counted per region and theme, and listed per theme.
    soup = BeautifulSoup(page.text, "html.parser")
    run = analysis.latest_run(session, demo_round.id)
    assert run is not None and run.results.needs
    by_region = table_rows(page.text, "table.needs-by-region")
    assert len(by_region) >= 2
    counted = sum(int(n) for row in by_region.values() for header, n in row.items() if header != "Region")
    listed = sum(len(n.themes) or 1 for n in run.results.needs)
    assert counted == listed == len(soup.select("details.needs-theme p.answer-text"))
    need = next(n for n in run.results.needs if n.themes)
    unit_page = client.get(f"/ansatt/runder/{demo_round.id}/analyse/kommuner/{need.unit}").text
    headings = [h.get_text(strip=True) for h in BeautifulSoup(unit_page, "html.parser").select("h3")]
    assert load_codebook(analysis.CODEBOOK)[need.themes[0]].label in headings  # needs under their themes
    first = soup.select_one("table.analysis-units tbody a")["href"]
    detail = client.get(first)
    assert detail.status_code == 200 and "Andel av verdien" in detail.text
    # Each parameter beside the region's and the county's mean and median, with the municipality's rank.
    unit = first.rstrip("/").rsplit("/", 1)[1]
    ranked = [p for p in run.results.parameters.values() if p.ranks.get(unit)]
    assert ranked and f"Plass {ranked[0].ranks[unit]} av {ranked[0].county.n} i fylket" in detail.text
    assert "median" in detail.text and "Cronbachs alfa viser" in page.text

    coding_page = client.get(f"/ansatt/runder/{demo_round.id}/koding")
    form = BeautifulSoup(coding_page.text, "html.parser").select_one("form.coding")
    assert form is not None
    r = client.post(
        form["action"],
        data={"csrf_token": token, "codes": ["samarbeid", "plan"]},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200 and "<html" not in r.text and "Bekreftet" in r.text
    # A forged code that is not in the codebook was a 500: now refused in Norwegian, and nothing stored.
    r = client.post(form["action"], data={"csrf_token": token, "codes": ["plan", "ukjent"]})
    assert r.status_code == 422 and "Temaet finnes ikke i kodeboken" in r.text
    fresh(session)
    coding_id = int(form["action"].rsplit("/", 1)[1])
    coding = session.get(ThemeCoding, coding_id)
    assert coding is not None and coding.staff_codes == ["plan", "samarbeid"]
    suggested = list(coding.machine_codes)
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "theme.confirm")).first()
    # The next model is trained on the confirmed coding too, and says so in its version.
    assert analysis.confirmed_codings(session)[0][1] == ["plan", "samarbeid"]
    client.post(f"/ansatt/runder/{demo_round.id}/analyse", data={"csrf_token": token})
    fresh(session)
    runs = session.exec(select(AnalysisRun).order_by(AnalysisRun.id)).all()
    assert runs[-1].model_version.endswith("-1") and runs[0].model_version.endswith("-0")
    # The suggestion the adviser judged is kept: the new model, trained on their coding, would simply agree.
    coding = session.get(ThemeCoding, coding_id)
    assert coding is not None and coding.machine_codes == suggested
    assert "Cohens kappa" in client.get(f"/ansatt/runder/{demo_round.id}/koding").text


def test_a_leser_reads_the_analysis_but_cannot_code(
    client: TestClient, session: Session, demo_round: Round
) -> None:
    make_staff(session, Role.leser)
    login(client, "leser@fylke.test")
    assert client.get(f"/ansatt/runder/{demo_round.id}/analyse").status_code == 200
    assert client.get(f"/ansatt/runder/{demo_round.id}/koding").status_code == 403


def test_training_file_feeds_the_cli(session: Session, settings: Settings, demo_round: Round) -> None:
    analysis.classifier(session, settings.data_dir)
    lines = (settings.data_dir / "theme_training.jsonl").read_text(encoding="utf-8").splitlines()
    assert all("text" in json.loads(line) for line in lines)


def test_a_run_is_stamped_with_the_code_and_the_submitted_answers_it_used(
    session: Session, settings: Settings, demo_round: Round
) -> None:
    this_year = session.exec(select(Round).where(Round.title == "Kommuneundersøkelsen 2026")).one()
    # An answer still being written, saved after everything submitted, is not in the analysis.
    unfinished = session.exec(
        select(Answer)
        .join(Response, col(Response.id) == col(Answer.response_id))
        .where(Response.round_id == this_year.id, Response.status == ResponseStatus.in_progress)
    ).first()
    assert unfinished is not None
    unfinished.updated_at = utcnow() + timedelta(days=1)
    session.add(unfinished)
    session.commit()
    run = analysis.analyze(session, round_=this_year, actor="test", data_dir=settings.data_dir)
    assert run.snapshot_at is not None and run.snapshot_at < unfinished.updated_at
    # The version of the package and a digest of the code that computed the results.
    assert re.fullmatch(r"innspill \S+\+[0-9a-f]{12}", run.code_version), run.code_version
