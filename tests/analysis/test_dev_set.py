"""The development set for theme coding: well-formed, and kept apart from the held-out set and the codebook."""

from __future__ import annotations

import json
from pathlib import Path

from analysis.evaluation.dev.experiment import DEV, confusion, macro_f1, read_dev
from analysis.themes import CODES

HELD_OUT = Path(__file__).resolve().parents[2] / "analysis" / "evaluation" / "answers.jsonl"
CODEBOOK = Path(__file__).resolve().parents[2] / "questionnaires" / "codebook.yaml"


def test_the_dev_set_is_well_formed() -> None:
    records = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(records) >= 150
    assert len({r["id"] for r in records}) == len(records)
    for record in records:
        assert record["text"].strip()
        assert record["language"] in ("nb", "nn")
        assert record["themes"] == [code for code in CODES if code in record["themes"]]
    assert {code for r in records for code in r["themes"]} == set(CODES)


def test_the_dev_set_shares_no_answer_with_the_held_out_set_or_the_codebook() -> None:
    # Only counts are reported, so that a failure never prints held-out texts. Non-answers of a few words
    # («Vet ikke.», «Nei.») are the same in any set and are not counted.
    texts = [text for text in read_dev()[0] if len(text.split()) >= 4]
    lines = HELD_OUT.read_text(encoding="utf-8").splitlines()
    held_out = {json.loads(line)["text"] for line in lines if line.strip()}
    codebook = CODEBOOK.read_text(encoding="utf-8")
    shared = len(set(texts) & held_out)
    in_codebook = sum(text in codebook for text in texts)
    assert (shared, in_codebook) == (0, 0)


def test_the_scores_of_the_experiment() -> None:
    truth = [[code] for code in CODES] + [["plan", "samarbeid"], []]
    assert macro_f1(truth, truth) == 1.0
    assert macro_f1(truth, [[] for _ in truth]) == 0.0
    assert confusion([["plan"]], [["samarbeid"]]) == {("plan", "samarbeid"): 1}
