"""``python -m analysis``: the themes contract (JSON lines in, one line per input out) and the evaluation."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import f1_score
from sklearn.preprocessing import MultiLabelBinarizer

from analysis.__main__ import REPORT_MARKER, macro_f1_interval, main
from analysis.themes import CODES
from tests.analysis.test_themes import SMALL

ROOT = Path(__file__).resolve().parents[2]


def run_themes(stdin: bytes, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "analysis", "themes", *args],
        input=stdin,
        capture_output=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def test_themes_contract_one_line_per_input_in_order() -> None:
    lines = [
        json.dumps({"id": 1, "text": "Vi mangler boliger og kan ikke bosette flere flyktninger."}),
        json.dumps({"id": "b", "text": ""}),
        "dette er ikke JSON",
        "",  # a blank line is no input
        json.dumps({"id": [1, 2], "text": "Me treng fleire lærlingplassar og meir norskopplæring."}),
        json.dumps({"text": "uten id"}),
        json.dumps({"id": 7, "text": 5}),
        json.dumps(["en", "liste"]),
        json.dumps({"id": {"kommune": "3001"}, "text": "Minoritetsrådgiveren jobber mot tvangsekteskap."}),
        json.dumps({"id": None, "text": "Biblioteket har språkkafé hver uke."}, ensure_ascii=False),
    ]
    stdin = "\n".join(lines).encode() + b"\n\xff\xfe ikke utf-8\n"
    result = run_themes(stdin)
    assert result.returncode == 0, result.stderr.decode()
    out = [json.loads(line) for line in result.stdout.decode("utf-8").splitlines()]

    assert len(out) == 10
    assert [line.get("id") for line in out] == [
        1,
        "b",
        None,
        [1, 2],
        None,
        7,
        None,
        {"kommune": "3001"},
        None,
        None,
    ]
    coded = [out[i] for i in (0, 1, 3, 7, 8)]
    for line in coded:
        assert set(line) == {"id", "themes", "scores"}
        assert list(line["scores"]) == list(CODES)
        assert all(0.0 <= p <= 1.0 for p in line["scores"].values())
        assert set(line["themes"]) <= set(CODES)
    assert [line["themes"] for line in coded] == [
        ["bosetting"],
        [],
        ["kvalifisering"],
        ["sosial_kontroll"],
        ["sivilsamfunn"],
    ]
    assert out[1]["scores"] == dict.fromkeys(CODES, 0.0)
    errors = [out[i] for i in (2, 4, 5, 6, 9)]
    assert all(set(line) == {"id", "error"} and line["error"] for line in errors)
    assert "JSON" in out[2]["error"] and '"id"' in out[4]["error"] and '"text"' in out[5]["error"]
    assert "UTF-8" in out[9]["error"]


def run_in_process(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], stdin: str, *args: str
) -> tuple[int, list[dict[str, object]], str]:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode("utf-8")), encoding="utf-8"))
    code = main(list(args))
    captured = capsys.readouterr()
    return code, [json.loads(line) for line in captured.out.splitlines()], captured.err


def test_themes_learns_the_staff_codings_in_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    codebook = tmp_path / "codebook.yaml"
    codebook.write_text(SMALL, encoding="utf-8")
    answer = json.dumps({"id": "x", "text": "Kvenangen-modellen bør videreføres."}) + "\n"

    code, before, _ = run_in_process(monkeypatch, capsys, answer, "themes", "--codebook", str(codebook))
    assert code == 0 and before[0]["themes"] == []

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    training = [
        {"text": "Kvenangen-modellen bør brukes i hele regionen.", "themes": ["samarbeid"]},
        {"text": "Vi vil gjerne lære mer om Kvenangen-modellen.", "themes": ["samarbeid"]},
        {"text": "Kvenangen-modellen er et godt eksempel.", "themes": ["samarbeid"]},
        {"text": "En linje med en ukjent kode.", "themes": ["ukjent"]},
    ]
    lines = [json.dumps(record, ensure_ascii=False) for record in training] + ["ødelagt linje"]
    (data_dir / "theme_training.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    args = ("themes", "--codebook", str(codebook), "--data-dir", str(data_dir))
    code, after, err = run_in_process(monkeypatch, capsys, answer, *args)
    assert code == 0
    assert after[0]["id"] == "x" and after[0]["themes"] == ["samarbeid"]
    assert "theme_training.jsonl:4: skipped (unknown codes ['ukjent'])" in err
    assert "theme_training.jsonl:5: skipped" in err


def test_a_data_dir_without_training_file_uses_the_codebook_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    codebook = tmp_path / "codebook.yaml"
    codebook.write_text(SMALL, encoding="utf-8")
    stdin = json.dumps({"id": 1, "text": "Vi mangler boliger."}) + "\n"
    args = ("themes", "--codebook", str(codebook), "--data-dir", str(tmp_path / "empty"))
    code, out, _ = run_in_process(monkeypatch, capsys, stdin, *args)
    assert code == 0 and out[0]["themes"] == ["bosetting"]


def test_a_broken_codebook_stops_with_its_problems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    codebook = tmp_path / "codebook.yaml"
    codebook.write_text(SMALL.replace("code: mangfold", "code: inkludering"), encoding="utf-8")
    code, out, err = run_in_process(monkeypatch, capsys, "", "themes", "--codebook", str(codebook))
    assert code == 1 and out == []
    assert f"{codebook}:" in err and "ukjent kode 'inkludering'" in err


def test_a_task_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([])
    assert exited.value.code == 2
    assert "themes" in capsys.readouterr().err


def test_evaluate_writes_the_report_below_the_hand_written_intro(tmp_path: Path) -> None:
    codebook = tmp_path / "codebook.yaml"
    codebook.write_text(SMALL, encoding="utf-8")
    answers = tmp_path / "answers.jsonl"
    records = [
        {
            "id": "a",
            "text": "Vi mangler boliger og kan ikke bosette flere.",
            "themes": ["bosetting"],
            "language": "nb",
        },
        {"id": "b", "text": "Me treng fleire lærlingplassar.", "themes": ["kvalifisering"], "language": "nn"},
        {"id": "c", "text": "Ingen merknader.", "themes": []},
    ]
    answers.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    report = tmp_path / "docs" / "theme-evaluation.md"
    report.parent.mkdir()
    report.write_text(
        f"# Handskrevet\n\nOm metoden.\n\n{REPORT_MARKER}\n\ngammelt innhold\n", encoding="utf-8"
    )

    args = ["evaluate", "--codebook", str(codebook), "--answers", str(answers), "--output", str(report)]
    assert main(args) == 0
    written = report.read_text(encoding="utf-8")
    assert written.startswith(f"# Handskrevet\n\nOm metoden.\n\n{REPORT_MARKER}\n")
    assert "gammelt innhold" not in written
    assert "evaluated on 3 held-out answers" in written
    assert "| `bosetting` | 1.000 | 1.000 | 1.000 | 1 | 1 |" in written
    assert "| nb | 2 |" in written and "| nn | 1 |" in written
    assert "95 % bootstrap interval for macro-F1" in written
    assert main(args) == 0
    assert report.read_text(encoding="utf-8") == written  # the report is reproducible


def test_evaluate_never_overwrites_text_without_the_marker(tmp_path: Path) -> None:
    codebook = tmp_path / "codebook.yaml"
    codebook.write_text(SMALL, encoding="utf-8")
    answers = tmp_path / "answers.jsonl"
    answers.write_text(
        json.dumps({"text": "Vi mangler boliger.", "themes": ["bosetting"]}) + "\n", encoding="utf-8"
    )
    report = tmp_path / "notes.md"
    report.write_text("# Notater\n\nSkrevet for hånd.\n", encoding="utf-8")
    assert (
        main(["evaluate", "--codebook", str(codebook), "--answers", str(answers), "--output", str(report)])
        == 0
    )
    assert report.read_text(encoding="utf-8").startswith(
        f"# Notater\n\nSkrevet for hånd.\n\n{REPORT_MARKER}\n"
    )


def test_the_macro_f1_interval_resamples_answers() -> None:
    truth = [[code] for code in CODES] * 20 + [["plan", "samarbeid"], []]
    assert macro_f1_interval(truth, truth, rounds=200) == (1.0, 1.0)
    guess = [["mangfold"] if i % 10 == 0 else codes for i, codes in enumerate(truth)]  # one in ten wrong
    low, high = macro_f1_interval(truth, guess, rounds=300, seed=7)
    # The same resamples scored one by one with scikit-learn give the same interval.
    binarizer = MultiLabelBinarizer(classes=list(CODES)).fit([])
    y_true, y_pred = binarizer.transform(truth), binarizer.transform(guess)
    samples = np.random.default_rng(7).integers(0, len(truth), size=(300, len(truth)))
    scores = [f1_score(y_true[s], y_pred[s], average="macro", zero_division=0) for s in samples]
    assert (low, high) == pytest.approx(tuple(np.quantile(scores, [0.025, 0.975])))
    macro = f1_score(y_true, y_pred, average="macro", zero_division=0)
    assert 0 < low < macro < high < 1
