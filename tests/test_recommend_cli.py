"""``survey-app recommend``: the CLI contract of the settlement recommendation (no database needed)."""

from __future__ import annotations

import csv
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
stabilitet: {maks_endring: null, maks_endring_andel: null}
regional_balanse: 0
"""


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
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_writes_numbers_that_add_up_with_a_begrunnelse_and_the_criteria_used(tmp_path: Path) -> None:
    code, out, output = run(tmp_path, FIGURES, 60, PLAIN_RULES)
    assert code == 0, out
    rows = read(output)
    assert list(rows[0])[:5] == ["kommunenummer", "kommune", "region", "anbefalt", "begrunnelse"]
    assert "integreringsindeks" in rows[0]
    assert "innbyggere" not in rows[0]  # not used by these rules
    assert sum(int(r["anbefalt"]) for r in rows) == 60
    assert all(r["begrunnelse"].startswith("Anbefalt ") for r in rows)
    assert "Skrev anbefalingen for 3 kommuner" in out


def test_hand_checked_numbers(tmp_path: Path) -> None:
    # Floors 20 + 15 + 20 = 55; the 10 left go 70:50 → 5.83 and 4.17, but Halden stops at its decision
    # (25), so Moss takes the other 5.
    code, out, output = run(tmp_path, FIGURES, 65, PLAIN_RULES)
    assert code == 0, out
    assert {r["kommune"]: r["anbefalt"] for r in read(output)} == {
        "Halden": "25",
        "Moss": "20",
        "Sarpsborg": "20",
    }


def test_reads_what_norwegian_excel_writes(tmp_path: Path) -> None:
    figures = FIGURES.replace(",", ";").replace(";70;", ";70,5;").replace("31444", "31 444")
    code, out, output = run(tmp_path, figures, 65, PLAIN_RULES)
    assert code == 0, out
    assert read(output)[0]["integreringsindeks"] == "70.5"


def test_rules_can_weigh_another_column(tmp_path: Path) -> None:
    rules = PLAIN_RULES + "kriterier:\n  - {kolonne: innbyggere, navn: Innbyggere, vekt: 1}\n"
    code, out, output = run(tmp_path, FIGURES, 65, rules)
    assert code == 0, out
    rows = read(output)
    assert "innbyggere" in rows[0] and "integreringsindeks" not in rows[0]
    assert "innbyggere 31\u00a0444" in rows[0]["begrunnelse"]


def test_infeasible_exits_non_zero_names_the_shortfall_and_writes_nothing(tmp_path: Path) -> None:
    figures = textwrap.dedent("""\
        kommunenummer,kommune,region,forrige_anmodning,vedtak,integreringsindeks
        3001,Halden,Søndre Viken,10,20,70
        3002,Moss,Mosseregionen,10,13,50
        """)
    code, out, output = run(tmp_path, figures, 50, PLAIN_RULES)
    assert code == 2
    assert "Summen av kommunestyrevedtakene er 17 lavere enn totalen (50)." in out
    assert not output.exists()


def test_bad_figures_name_the_line(tmp_path: Path) -> None:
    figures = FIGURES.replace("3002,Moss,Mosseregionen,15,", "3002,Moss,Mosseregionen,femten,")
    code, out, output = run(tmp_path, figures, 60)
    assert code == 1
    assert "Linje 3: forrige_anmodning «femten» er ikke et tall." in out
    assert not output.exists()


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    code, out, _ = run(tmp_path, "kommunenummer,kommune,region\n3001,Halden,X\n", 10)
    assert code == 1
    assert "kolonnen «forrige_anmodning» mangler" in out


def test_a_bad_rules_file_names_file_and_line(tmp_path: Path) -> None:
    code, out, _ = run(tmp_path, FIGURES, 60, "minstetall: 10\nregional_balanse: 2\n")
    assert code == 1
    assert "regler.yaml:2: «regional_balanse» kan være høyst 1" in out


def test_a_rule_on_a_column_the_figures_lack_is_refused(tmp_path: Path) -> None:
    rules = "kriterier:\n  - {kolonne: arbeid, navn: Arbeid, vekt: 1}\n"
    code, out, _ = run(tmp_path, FIGURES, 60, rules)
    assert code == 1
    assert "Reglene bruker «arbeid», men tallene har ikke den kolonnen." in out


def test_unaccompanied_minors_go_to_municipalities_that_decided_to_take_them(tmp_path: Path) -> None:
    figures = FIGURES.replace("innbyggere\n", "innbyggere,vedtak_ema\n").replace("31444\n", "31444,4\n")
    figures = figures.replace("50290\n", "50290,\n").replace("57372\n", "57372,10\n")
    code, out, output = run(tmp_path, figures, 65, PLAIN_RULES, ["--ema", "6"])
    assert code == 0, out
    rows = {r["kommune"]: r for r in read(output)}
    # Moss has no decision on minors. Halden's index share is 2/3 · 70/120 ≈ 0.39, Sarpsborg's (unknown
    # index) the average 1/3: 6 split so is 3.23 and 2.77, and the spare place goes to the larger remainder.
    assert {k: int(r["anbefalt_ema"]) for k, r in rows.items()} == {"Halden": 3, "Moss": 0, "Sarpsborg": 3}
    assert (
        "Av disse er 3 enslige mindreårige (kommunestyret har vedtatt inntil 4)."
        in rows["Halden"]["begrunnelse"]
    )
    code, out, output = run(tmp_path, figures, 65, PLAIN_RULES, ["--ema", "20"])
    assert code == 2
    assert "gir plass til 14 innenfor de anbefalte tallene, som er 6 lavere" in out
