"""The knowledge base as a service: imports with a preview, all or nothing and audited; what a
recommendation is built from (``knowledge_for_year``); the final recommendation written into the history;
the ``historikk`` and ``registertall`` commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import Session, col, func, select
from typer.testing import CliRunner

from survey_app import audit
from survey_app.cli import app as cli_app
from survey_app.models import AuditEvent, RegisterValue, SettlementHistory
from survey_app.services import knowledge, knowledge_import, register
from survey_app.services.knowledge_import import KnowledgeError, PreviewOutdated
from tests.analysis.test_ssb import JSONSTAT, STATBANK_CSV
from tests.conftest import fresh

REGISTER = (
    "kommunenummer,name,region\n"
    "3001,Halden,Søndre Viken\n"
    "3019,Vestby,Folloregionen / Mosseregionen\n"
    "3042,Hemsedal,Hallingdal\n"
)
HISTORY = (
    "kommunenummer;år;anbefalt;anmodning;anmodning_ema;vedtak;vedtak_ema;vedtak_gjelder;bosatt\n"
    "3001;2022;;60;6;60;5;2022;58\n"
    "3001;2023;40;40;4;35;3;2023;30\n"
    "3001;2024;30;30;3;30;;2024;28\n"
    "3001;2025;25;25;;20;;2025;\n"
    "3001;2026;20;20;2;15;1;2026;\n"
    "3042;2025;10;10;;10;;2025;9\n"
)


@pytest.fixture
def county(session: Session) -> None:
    register.load_register(
        session, rows=register.parse_register(REGISTER), county_name="Testfylket", actor=audit.SYSTEM
    )


def count(session: Session, model: type[SettlementHistory] | type[RegisterValue] | type[AuditEvent]) -> int:
    fresh(session)
    return session.exec(select(func.count()).select_from(model)).one()


def stored(session: Session, number: str, year: int) -> SettlementHistory:
    fresh(session)
    return session.exec(
        select(SettlementHistory).where(
            SettlementHistory.kommunenummer == number, SettlementHistory.year == year
        )
    ).one()


def import_history(
    session: Session, text: str, filename: str = "historikk.csv"
) -> knowledge_import.ImportPreview:
    return knowledge_import.import_history(session, data=text.encode(), filename=filename, actor="test")


def test_the_preview_changes_nothing_and_the_import_stores_it_all_with_an_audit_event(
    session: Session, county: None
) -> None:
    preview = knowledge_import.preview_history(session, data=HISTORY.encode(), filename="historikk.csv")
    assert (len(preview.added), len(preview.changed), preview.unchanged) == (6, 0, 0)
    assert preview.years == [2022, 2023, 2024, 2025, 2026]
    assert count(session, SettlementHistory) == 0
    import_history(session, HISTORY)
    row = stored(session, "3001", 2023)
    assert (row.recommended, row.requested, row.requested_minors, row.decided, row.decided_minors) == (
        40,
        40,
        4,
        35,
        3,
    )
    assert (row.decision_years, row.settled, row.settled_minors, row.source) == (
        "2023",
        30,
        None,
        "historikk.csv",
    )
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "knowledge.history_import")).one()
    assert event.details == {
        "file": "historikk.csv",
        "added": 6,
        "changed": 0,
        "unchanged": 0,
        "unknown": [],
        "years": [2022, 2026],
    }


def test_a_second_file_shows_old_and_new_values_and_a_blank_cell_erases_nothing(
    session: Session, county: None
) -> None:
    import_history(session, HISTORY)
    update = "Kommune;Vedtak 2023;Bosatt 2023;Bosatt 2024\n3001 Halden;40;;28\n"
    preview = knowledge_import.preview_history(session, data=update.encode(), filename="ny.csv")
    assert preview.added == [] and preview.unchanged == 1  # 2024: settled 28 as before
    (change,) = preview.changed
    assert (change.kommunenummer, change.year, change.is_new) == ("3001", 2023, False)
    assert [(c.field, c.label, c.old, c.new) for c in change.changes] == [("decided", "Vedtatt", 35, 40)]
    import_history(session, update, "ny.csv")
    row = stored(session, "3001", 2023)
    assert (row.decided, row.settled, row.source) == (40, 30, "ny.csv")


def test_numbers_from_after_the_2024_reform_land_on_the_registers_and_strangers_are_listed(
    session: Session, county: None
) -> None:
    text = "kommunenummer;år;anmodning\n3101;2024;30\n3216;2024;12\n0301;2024;900\n"
    preview = import_history(session, text)
    assert preview.mapped == [("3101", "3001"), ("3216", "3019")]
    assert preview.unknown == ["0301"]
    assert stored(session, "3001", 2024).requested == 30 and stored(session, "3019", 2024).requested == 12
    assert count(session, SettlementHistory) == 2


def test_a_bad_file_imports_nothing_and_says_which_rows(session: Session, county: None) -> None:
    text = "kommunenummer;år;anmodning;vedtak\n3001;2024;30;30\n3042;2024;10;ti\n3001;2023;x;5\n"
    with pytest.raises(KnowledgeError) as caught:
        import_history(session, text)
    assert caught.value.problems == [
        "Rad 3: vedtak «ti» er ikke et helt tall.",
        "Rad 4: anmodning «x» er ikke et helt tall.",
    ]
    assert count(session, SettlementHistory) == 0 and count(session, AuditEvent) == 1  # the register's


def test_the_same_municipality_under_its_old_and_new_number_is_refused(
    session: Session, county: None
) -> None:
    text = "kommunenummer;år;anmodning\n3001;2024;30\n3101;2024;31\n"
    with pytest.raises(KnowledgeError) as caught:
        import_history(session, text)
    assert caught.value.problems == [
        "Rad 3: Halden (3001) for 2024 står også på rad 2 (som 3001); kommunenummeret ble endret ved en reform."
    ]
    assert count(session, SettlementHistory) == 0


def test_a_confirmation_after_the_figures_changed_imports_nothing(session: Session, county: None) -> None:
    seen = knowledge_import.preview_history(session, data=HISTORY.encode(), filename="historikk.csv")
    import_history(session, "kommunenummer;år;vedtak\n3001;2023;99\n", "annen.csv")
    with pytest.raises(PreviewOutdated) as caught:
        knowledge_import.import_history(
            session,
            data=HISTORY.encode(),
            filename="historikk.csv",
            actor="test",
            fingerprint=seen.fingerprint,
        )
    assert len(caught.value.preview.added) == 5 and len(caught.value.preview.changed) == 1
    assert count(session, SettlementHistory) == 1


def test_register_figures_from_statbank_csv_and_jsonstat(session: Session, county: None) -> None:
    preview = knowledge_import.import_register(
        session, data=STATBANK_CSV.encode("cp1252"), filename="07459.csv", actor="test"
    )
    assert (preview.indicator, preview.label, preview.table_id) == ("befolkning", "Befolkning", "07459")
    assert preview.mapped == [("3101", "3001")] and preview.unknown == ["3024 Bærum"]
    values = {(v.kommunenummer, v.year): v for v in session.exec(select(RegisterValue))}
    assert {k: v.value for k, v in values.items()} == {("3001", 2023): 31444, ("3001", 2024): 31809}
    assert values[("3001", 2023)].table_id == "07459" and values[("3001", 2023)].source == "07459.csv"
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "knowledge.register_import")).one()
    assert event.details["indicator"] == "befolkning" and event.details["added"] == 2
    # JSON-stat of the same table: 2022 is new, 2023 is the same, Hemsedal's 2023 is missing («..»).
    again = knowledge_import.preview_register(
        session, data=json.dumps(JSONSTAT).encode(), filename="07459.json"
    )
    assert [(r.kommunenummer, r.year) for r in again.added] == [("3001", 2022), ("3042", 2022)]
    assert again.unchanged == 1 and again.changed == []


def test_an_unknown_table_needs_an_indicator_id(session: Session, county: None) -> None:
    other = dict(JSONSTAT, extension={"px": {"tableid": "99999"}}, label="Noe annet")
    data = json.dumps(other).encode()
    with pytest.raises(KnowledgeError, match="tabell 99999"):
        knowledge_import.preview_register(session, data=data, filename="x.json")
    with pytest.raises(KnowledgeError, match="små bokstaver"):
        knowledge_import.preview_register(session, data=data, filename="x.json", indicator="Ikke OK!")
    preview = knowledge_import.preview_register(session, data=data, filename="x.json", indicator="annet")
    assert (preview.indicator, preview.label) == ("annet", "Personer")


def test_record_recommendation_writes_the_final_numbers_into_the_history(
    session: Session, county: None
) -> None:
    import_history(session, HISTORY)
    knowledge.record_recommendation(session, year=2026, numbers={"3001": 22, "3242": 0}, actor="staff:1:a@b")
    assert stored(session, "3001", 2026).recommended == 22
    assert stored(session, "3001", 2026).decided == 15  # the rest of the row stays
    new = stored(session, "3242", 2026)  # Hurdal's 2024 number is not in this register: kept as given
    assert new.recommended == 0 and new.requested is None
    event = session.exec(
        select(AuditEvent).where(AuditEvent.action == "knowledge.recommendation_recorded")
    ).one()
    assert event.details == {"year": 2026, "municipalities": 2, "total": 22} and event.actor == "staff:1:a@b"
    knowledge.record_recommendation(session, year=2027, numbers={"3101": 12}, actor="test")
    assert stored(session, "3001", 2027).recommended == 12  # 3101 is Halden


def test_record_recommendation_can_join_the_callers_transaction(session: Session, county: None) -> None:
    knowledge.record_recommendation(session, year=2027, numbers={"3001": 12}, actor="test", commit=False)
    session.rollback()
    assert count(session, SettlementHistory) == 0


def test_knowledge_for_year(session: Session, county: None) -> None:
    import_history(session, HISTORY)
    population = '"region";"Personer 2025";"Personer 2026";"Personer 2027"\n"3001 Halden";31000;31500;32000\n'
    knowledge_import.import_register(
        session, data=population.encode(), filename="b.csv", actor="t", indicator="befolkning"
    )
    intro = '"region";"Andel 2024";"Andel 2026"\n"3001 Halden";"55,5";"61"\n"3042 Hemsedal";70;":"\n'
    knowledge_import.import_register(
        session, data=intro.encode(), filename="i.csv", actor="t", indicator="intro", label="Intro"
    )
    found = knowledge.knowledge_for_year(session, year=2026)
    assert list(found) == ["3001", "3042", "3019"]  # every municipality, by name
    halden = found["3001"]
    assert (halden.name, halden.region) == ("Halden", "Søndre Viken")
    assert (halden.last_request, halden.last_request_minors) == (25, None)  # the request for 2025
    assert (halden.decision, halden.decision_minors) == (15, 1)  # the decision for 2026
    # 2023–2025 where both are known: 2023 (30 of 35) and 2024 (28 of 30); 2025 has no settled, 2022 is too early.
    assert halden.settled_share == pytest.approx(58 / 65)
    assert halden.population == 31500  # the latest up to 2026, never 2027's
    assert halden.indicators == {"intro": 61}
    assert any(s.startswith("Bosettingshistorikk: historikk.csv, lest inn ") for s in halden.sources)
    assert any(s.startswith("Befolkning: b.csv") for s in halden.sources)
    hemsedal, vestby = found["3042"], found["3019"]
    assert (hemsedal.last_request, hemsedal.settled_share, hemsedal.indicators) == (10, 0.9, {"intro": 70})
    assert vestby == knowledge.KnowledgeRow(
        "3019",
        "Vestby",
        "Folloregionen / Mosseregionen",
        None,
        None,
        None,
        None,
        None,
        None,
        {"intro": None},
        (),
    )
    assert knowledge.knowledge_sources(session, year=2026)[0].startswith("Bosettingshistorikk: historikk.csv")


def test_history_for_a_municipality_oldest_first_with_settled_per_1000(
    session: Session, county: None
) -> None:
    import_history(session, "kommunenummer;år;bosatt\n3101;2024;28\n3001;2022;58\n")
    population = '"region";"Personer 2023"\n"3001 Halden";29000\n'
    knowledge_import.import_register(
        session, data=population.encode(), filename="b.csv", actor="t", indicator="befolkning"
    )
    years = knowledge.history_for(session, kommunenummer="3001")
    assert [y.year for y in years] == [2022, 2024]
    assert years[0].population == 29000  # no figure before 2022: the nearest year
    assert years[1].settled_per_1000 == pytest.approx(28 / 29)


def test_the_demo_files_load_once(session: Session) -> None:
    register.load_register(
        session,
        rows=register.parse_register(register.SHIPPED_REGISTER.read_text(encoding="utf-8")),
        county_name="Viken",
        actor=audit.SYSTEM,
    )
    knowledge_import.import_demo(session, actor=audit.SYSTEM)
    knowledge_import.import_demo(session, actor=audit.SYSTEM)
    fresh(session)
    assert count(session, SettlementHistory) == 51 * 10
    years = session.exec(select(SettlementHistory.year).distinct()).all()
    assert sorted(years) == list(range(2017, 2027))
    indicators = session.exec(select(RegisterValue.indicator).distinct()).all()
    assert sorted(indicators) == ["befolkning", "intro_arbeid_utdanning"]
    events = session.exec(select(AuditEvent).where(col(AuditEvent.action).startswith("knowledge."))).all()
    assert len(events) == 3  # once each
    baerum = knowledge.knowledge_for_year(session, year=2027)["3024"]
    assert baerum.population is not None and 120_000 < baerum.population < 140_000
    assert (knowledge.knowledge_for_year(session, year=2027)["3042"].population or 0) < 3000
    history = knowledge.history_for(session, kommunenummer="3024")
    requested = {y.year: y.requested or 0 for y in history}
    assert requested[2023] > 3 * requested[2020] and requested[2026] < requested[2023]  # surge, then decline


# --- the commands ------------------------------------------------------------------------------------------


def run(tmp_path: Path, database_url: str, *args: str) -> tuple[int, str]:
    env = {"DATABASE_URL": database_url, "SURVEY_APP_DATABASE_URL": None}
    result = CliRunner().invoke(cli_app, ["--data-dir", str(tmp_path), *args], env=env)
    return result.exit_code, result.output


def test_historikk_importer_previews_without_ja_and_imports_with_it(
    tmp_path: Path, database_url: str, session: Session, county: None
) -> None:
    source = tmp_path / "historikk.csv"
    source.write_text(HISTORY, encoding="utf-8")
    code, out = run(tmp_path, database_url, "historikk", "importer", str(source))
    assert code == 0, out
    assert "Historikk fra historikk.csv, 2022–2026: 6 nye rader, 0 endrede, 0 uendret." in out
    assert "Kjør igjen med --ja" in out and count(session, SettlementHistory) == 0
    code, out = run(tmp_path, database_url, "historikk", "importer", str(source), "--ja")
    assert code == 0 and "Importert fra historikk.csv" in out, out
    assert count(session, SettlementHistory) == 6
    source.write_text("kommunenummer;år;vedtak\n3001;2023;36\n3001;2024;ti\n", encoding="utf-8")
    code, out = run(tmp_path, database_url, "historikk", "importer", str(source), "--ja")
    assert code == 1 and "Feil: Rad 3: vedtak «ti» er ikke et helt tall." in out and "Traceback" not in out
    assert stored(session, "3001", 2023).decided == 35


def test_registertall_importer(tmp_path: Path, database_url: str, session: Session, county: None) -> None:
    source = tmp_path / "07459.csv"
    source.write_bytes(STATBANK_CSV.encode("cp1252"))
    code, out = run(tmp_path, database_url, "registertall", "importer", str(source), "--ja")
    assert code == 0, out
    assert "Befolkning (befolkning) fra 07459.csv, 2023–2024: 2 nye rader" in out
    assert "Ikke i kommuneregisteret (importeres ikke): 3024 Bærum" in out and "3101 → 3001" in out
    assert count(session, RegisterValue) == 2
    code, out = run(tmp_path, database_url, "registertall", "importer", str(tmp_path / "mangler.csv"))
    assert code == 1 and "Feil: kan ikke lese" in out
