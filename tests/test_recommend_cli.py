"""``survey-app recommend``: the CLI contract of the settlement recommendation (no database needed)."""

from __future__ import annotations

import csv
import io
import textwrap
from pathlib import Path

from typer.testing import CliRunner

from survey_app.cli import app

runner = CliRunner()

FIGURES = """\
kommunenummer,kommune,region,forrige_anmodning,vedtak,integreringsindeks,innbyggere
3001,Halden,Søndre Viken,20,25,70,31444
3002,Moss,Mosseregionen,15,,50,50290
3003,Sarpsborg,Søndre Viken,30,20,,57372
"""

PLAIN_RULES = """\
minstetall: 0
fjoraret_er_gulv: false
"""
INDEXED_RULES = (
    PLAIN_RULES + "kriterier:\n  - {kolonne: integreringsindeks, navn: Integreringsindeks, vekt: 1}\n"
)


def run(
    tmp_path: Path, figures: str, total: int, rules: str | None = None, more: list[str] | None = None
) -> tuple[int, str, Path]:
    source = tmp_path / "tall.csv"
    source.write_text(figures, encoding="utf-8")
    output = tmp_path / "anbefaling.csv"
    args = ["recommend", "--input", str(source), "--total", str(total), "--output", str(output)]
    if rules is not None:
        (tmp_path / "regler.yaml").write_text(rules, encoding="utf-8")
        args += ["--rules", str(tmp_path / "regler.yaml")]
    output.unlink(missing_ok=True)
    result = runner.invoke(app, args + (more or []))
    return result.exit_code, result.output, output


def read(path: Path) -> list[dict[str, str]]:
    """The recommendation as Norwegian Excel reads it: a byte-order mark, semicolons, decimal commas."""
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf"), "without the BOM, Excel shows «Risør» as «RisÃ¸r»"
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


def test_writes_numbers_that_add_up_with_a_begrunnelse_and_the_criteria_used(tmp_path: Path) -> None:
    code, out, output = run(tmp_path, FIGURES, 60, PLAIN_RULES)
    assert code == 0, out
    rows = read(output)
    assert list(rows[0])[:5] == ["kommunenummer", "kommune", "region", "anbefalt", "begrunnelse"]
    assert "integreringsindeks" in rows[0]
    assert "innbyggere" not in rows[0]  # not a criterion of these rules
    assert sum(int(r["anbefalt"]) for r in rows) == 60
    assert all(r["begrunnelse"].startswith("Anbefalt ") for r in rows)
    assert "Skrev anbefalingen for 3 kommuner" in out


def test_hand_checked_numbers_follow_last_year_scaled_by_one_factor(tmp_path: Path) -> None:
    # Last year 20 + 15 + 30 = 65; 130 to share doubles each (40, 30, 60), but Halden and Sarpsborg stop at
    # their decisions (25 and 20), so Moss, without a decision, takes the rest: 85.
    code, out, output = run(tmp_path, FIGURES, 130, PLAIN_RULES)
    assert code == 0, out
    rows = {r["kommune"]: r for r in read(output)}
    assert {k: r["anbefalt"] for k, r in rows.items()} == {"Halden": "25", "Moss": "85", "Sarpsborg": "20"}
    assert rows["Moss"]["grunnlag"] == "30"
    assert rows["Moss"]["per_1000_innbyggere"] == "1,69", "a decimal comma, as Norwegian Excel reads numbers"


def test_reads_what_norwegian_excel_writes(tmp_path: Path) -> None:
    figures = FIGURES.replace(",", ";").replace(";70;", ";70,5;").replace("31444", "31 444")
    code, out, output = run(tmp_path, figures, 65, PLAIN_RULES)
    assert code == 0, out
    assert read(output)[0]["integreringsindeks"] == "70,5"


def test_format_csv_writes_plain_comma_separated_utf8_with_decimal_points(tmp_path: Path) -> None:
    figures = FIGURES.replace("Halden", "Risør")
    code, out, output = run(tmp_path, figures, 130, PLAIN_RULES, ["--format", "csv"])
    assert code == 0, out
    text = output.read_text(encoding="utf-8")
    assert text.startswith("kommunenummer,kommune,region,anbefalt,"), text[:80]
    rows = {r["kommune"]: r for r in csv.DictReader(io.StringIO(text))}
    assert rows["Moss"]["per_1000_innbyggere"] == "1.69" and "Risør" in rows


def test_the_default_file_keeps_the_letters_and_the_columns_for_excel(tmp_path: Path) -> None:
    code, out, output = run(tmp_path, FIGURES.replace("Halden", "Risør"), 130, PLAIN_RULES)
    assert code == 0, out
    first = output.read_bytes().decode("utf-8-sig").splitlines()[1]
    assert first.startswith("3001;Risør;Søndre Viken;25;"), first
    assert "Risør" in {r["kommune"] for r in read(output)}


def test_a_weighted_survey_index_is_used_but_warned_about(tmp_path: Path) -> None:
    code, out, output = run(tmp_path, FIGURES, 65, INDEXED_RULES)
    assert code == 0, out
    assert "Advarsel: Svarene i kommuneundersøkelsen har fått vekt" in out
    rows = {r["kommune"]: r for r in read(output)}
    assert "Kriteriene justerer grunnlaget med +20 %" in rows["Halden"]["begrunnelse"]


def test_rules_can_weigh_a_column_per_inhabitant(tmp_path: Path) -> None:
    rules = (
        PLAIN_RULES + "kriterier:\n  - {kolonne: jobber, navn: Ledige jobber, vekt: 1, per_innbygger: true}\n"
    )
    figures = FIGURES.replace("innbyggere\n", "innbyggere,jobber\n").replace("31444\n", "31444,314\n")
    figures = figures.replace("50290\n", "50290,100\n").replace("57372\n", "57372,300\n")
    code, out, output = run(tmp_path, figures, 65, rules)
    assert code == 0, out
    rows = {r["kommune"]: r for r in read(output)}
    assert "jobber" in rows["Halden"] and "integreringsindeks" not in rows["Halden"]
    assert (
        "ledige jobber 10 per 1\u00a0000 innbyggere, bedre enn 100 % av kommunene"
        in rows["Halden"]["begrunnelse"]
    )


def test_infeasible_exits_non_zero_names_the_shortfall_and_writes_nothing(tmp_path: Path) -> None:
    figures = textwrap.dedent("""\
        kommunenummer,kommune,region,forrige_anmodning,vedtak,integreringsindeks
        3001,Halden,Søndre Viken,10,20,70
        3002,Moss,Mosseregionen,10,13,50
        """)
    code, out, output = run(tmp_path, figures, 50, PLAIN_RULES)
    assert code == 3
    assert "Summen av kommunestyrevedtakene er 17 lavere enn totalen (50)." in out
    assert not output.exists()


def test_a_decline_year_names_the_floor_rule_and_how_to_see_the_numbers_without_it(tmp_path: Path) -> None:
    # Last year 20 + 15 + 30, but Sarpsborg's council decided 20: the floors are 55.
    code, out, output = run(tmp_path, FIGURES, 50)
    assert code == 3
    assert (
        "Fjorårets anmodninger (eller vedtaket, der det er lavere) er til sammen 55, som er 5 høyere enn totalen (50)"
        in out
    )
    assert "fjoraret_er_gulv: false" in out
    assert not output.exists()


def test_bad_figures_name_the_line(tmp_path: Path) -> None:
    figures = FIGURES.replace("3002,Moss,Mosseregionen,15,", "3002,Moss,Mosseregionen,femten,")
    code, out, output = run(tmp_path, figures, 60)
    assert code == 1
    assert "Linje 3: forrige_anmodning «femten» må være et helt tall, 0 eller mer." in out
    assert not output.exists()


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    code, out, _ = run(tmp_path, "kommunenummer,kommune,region\n3001,Halden,X\n", 10)
    assert code == 1
    assert "kolonnen «forrige_anmodning» mangler" in out


def test_a_bad_rules_file_names_file_and_line(tmp_path: Path) -> None:
    code, out, _ = run(tmp_path, FIGURES, 60, "minstetall: 10\nmaks_justering: 2\nanmodes: noen\n")
    assert code == 1
    assert "regler.yaml:2: «maks_justering» kan være høyst 0.9" in out
    assert "regler.yaml:3: «anmodes» må være «grunnlag», «vedtak» eller «alle»" in out


def test_the_retired_regional_balance_is_named_with_what_to_do(tmp_path: Path) -> None:
    code, out, _ = run(tmp_path, FIGURES, 60, "regional_balanse: 0.2\n")
    assert code == 1
    assert "regler.yaml:1: «regional_balanse» regional_balanse er tatt bort" in out


def test_a_rule_on_a_column_the_figures_lack_is_refused(tmp_path: Path) -> None:
    rules = "kriterier:\n  - {kolonne: arbeid, navn: Arbeid, vekt: 1}\n"
    code, out, _ = run(tmp_path, FIGURES, 70, rules)
    assert code == 1
    assert "Reglene bruker «arbeid», men tallene har ikke den kolonnen." in out


def test_unaccompanied_minors_go_to_municipalities_that_decided_to_take_them(tmp_path: Path) -> None:
    figures = FIGURES.replace("innbyggere\n", "innbyggere,vedtak_ema\n").replace("31444\n", "31444,4\n")
    figures = figures.replace("50290\n", "50290,\n").replace("57372\n", "57372,10\n")
    code, out, output = run(tmp_path, figures, 65, PLAIN_RULES, ["--ema", "6"])
    assert code == 0, out
    rows = {r["kommune"]: r for r in read(output)}
    # Moss has no decision on minors. Halden (25) and Sarpsborg (20, its decision) share 6 in proportion
    # to their numbers, 3.33 and 2.67, within their decisions on minors (4 and 10): 3 and 3.
    assert {k: int(r["anbefalt_ema"]) for k, r in rows.items()} == {"Halden": 3, "Moss": 0, "Sarpsborg": 3}
    assert (
        "Av disse er 3 enslige mindreårige (kommunestyret har vedtatt inntil 4)."
        in rows["Halden"]["begrunnelse"]
    )
    code, out, output = run(tmp_path, figures, 65, PLAIN_RULES, ["--ema", "20"])
    assert code == 3
    assert "gir plass til 14 innenfor de anbefalte tallene, som er 6 lavere" in out


def test_report_writes_the_saksframlegg_as_docx(tmp_path: Path) -> None:
    import docx

    code, out, output = run(tmp_path, FIGURES, 130, PLAIN_RULES, ["--report", str(tmp_path / "sak.docx")])
    assert code == 0, out
    assert output.exists()
    document = docx.Document(str(tmp_path / "sak.docx"))
    text = "\n".join(p.text for p in document.paragraphs)
    cells = {c.text for t in document.tables for row in t.rows for c in row.cells}
    assert "130" in text
    assert {"Halden", "Moss", "Sarpsborg"} <= cells
    assert "saksframlegget til" in out


def test_a_rules_file_saved_in_windows_1252_is_read(tmp_path: Path) -> None:
    source = tmp_path / "tall.csv"
    source.write_text(FIGURES, encoding="utf-8")
    rules = tmp_path / "regler.yaml"
    rules.write_bytes(
        "# Regler for Østfold, Vestfold og Ålesund\nminstetall: 0\nfjoraret_er_gulv: false\n".encode("cp1252")
    )
    result = runner.invoke(
        app,
        [
            "recommend",
            "--input",
            str(source),
            "--total",
            "65",
            "--output",
            str(tmp_path / "ut.csv"),
            "--rules",
            str(rules),
        ],
    )
    assert result.exit_code == 0, result.output
