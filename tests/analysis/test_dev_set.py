"""The development set for theme coding: well-formed, and kept apart from the held-out set and the codebook.

Also: the codebook's examples are none of the held-out answers, and the experiment's measures.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

from analysis.evaluation.dev.experiment import DEV, codebook_cv, confusion, macro_f1, read_dev
from analysis.themes import CODES, Code, Codebook, ThemeClassifier, load_codebook

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


def test_the_codebook_holds_no_held_out_or_dev_answer() -> None:
    # The examples are training data: a held-out answer among them would make the evaluation meaningless.
    # Counts only, as above.
    examples = {text for code in load_codebook(CODEBOOK).codes for text in code.examples}
    lines = HELD_OUT.read_text(encoding="utf-8").splitlines()
    held_out = {json.loads(line)["text"] for line in lines if line.strip()}
    dev = set(read_dev()[0])
    assert (len(examples & held_out), len(examples & dev)) == (0, 0)


class _Recording(ThemeClassifier):
    fitted_on: ClassVar[list[list[str]]] = []

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> _Recording:
        _Recording.fitted_on.append(list(X))
        return super().fit(X, y, sample_weight)


def test_extra_examples_are_trained_on_in_every_fold_and_never_tested() -> None:
    words = {"plan": "planen revideres", "kvalifisering": "norskopplæring og jobb", "sivilsamfunn": "frivillige lag",
             "bosetting": "boliger til bosetting", "sosial_kontroll": "negativ sosial kontroll",
             "samarbeid": "nettverk med fylket", "mangfold": "rasisme og diskriminering"}  # fmt: skip
    codebook = Codebook(
        id="t",
        title="t",
        codes=tuple(
            Code(
                code,
                code,
                code,
                examples=tuple(f"Vi trenger {words[code]} nummer {n} her." for n in range(4)),
            )
            for code in CODES
        ),
    )
    extra = (["Et ekstra svar om planen som revideres nå."], [["plan"]])
    _Recording.fitted_on = []
    plain, _, _ = codebook_cv(codebook, _Recording(calibration=None), folds=2)
    assert not any(extra[0][0] in texts for texts in _Recording.fitted_on)
    _Recording.fitted_on = []
    truth, _, _ = codebook_cv(codebook, _Recording(calibration=None), folds=2, extra=extra)
    assert len(_Recording.fitted_on) == 2 and all(extra[0][0] in texts for texts in _Recording.fitted_on)
    assert len(truth) == len(plain)  # the same texts are tested


def test_the_scores_of_the_experiment() -> None:
    truth = [[code] for code in CODES] + [["plan", "samarbeid"], []]
    assert macro_f1(truth, truth) == 1.0
    assert macro_f1(truth, [[] for _ in truth]) == 0.0
    assert confusion([["plan"]], [["samarbeid"]]) == {("plan", "samarbeid"): 1}
