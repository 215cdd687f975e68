"""Model selection without the held-out set: codebook cross-validation and the development set.

    .venv/bin/python -m analysis.evaluation.dev.experiment            # the default ThemeClassifier
    .venv/bin/python -m analysis.evaluation.dev.experiment C=5.0 threshold=0.35   # other parameters
    .venv/bin/python -m analysis.evaluation.dev.experiment --extra new.jsonl      # would new examples help?

Two measures, both macro-F1 over the seven codes:

- **CV**: 5-fold cross-validation over the codebook's examples (seed terms always stay in training). Each
  test fold also gets two-code answers made by joining two of its examples with different codes, as real
  answers often carry two themes.
- **dev**: trained on the whole codebook, scored on ``analysis/evaluation/dev/answers.jsonl`` (written for
  model selection from the domain notes and the codebook descriptions, never from the held-out set).

With ``--extra FILE`` (JSON lines ``{"text", "themes"}``, as the development set), those texts are added to
the training data of both measures (in every CV fold): how to judge a batch of new codebook examples before
it goes into the codebook, on texts that stay the same.

``analysis/evaluation/answers.jsonl`` is not read here.
"""

from __future__ import annotations

import ast
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import f1_score
from sklearn.model_selection import KFold
from sklearn.preprocessing import MultiLabelBinarizer

from analysis.themes import CODES, Codebook, ThemeClassifier, load_codebook

HERE = Path(__file__).resolve().parent
CODEBOOK = HERE.parents[2] / "questionnaires" / "codebook.yaml"
DEV = HERE / "answers.jsonl"


def read_dev(path: Path = DEV) -> tuple[list[str], list[list[str]]]:
    """Texts and codes of the development set (or of another file in its format)."""
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r["text"] for r in records], [list(r["themes"]) for r in records]


def _binary(labels: list[list[str]]) -> Any:
    return MultiLabelBinarizer(classes=list(CODES)).fit([]).transform(labels)


def macro_f1(truth: list[list[str]], guess: list[list[str]]) -> float:
    """Macro-F1 over ``CODES``."""
    return float(f1_score(_binary(truth), _binary(guess), average="macro", zero_division=0))


def per_code_f1(truth: list[list[str]], guess: list[list[str]]) -> dict[str, float]:
    """F1 per code."""
    scores = f1_score(_binary(truth), _binary(guess), average=None, zero_division=0)
    return {code: float(score) for code, score in zip(CODES, scores, strict=True)}


def codebook_cv(
    codebook: Codebook,
    model: ThemeClassifier,
    *,
    folds: int = 5,
    seed: int = 0,
    extra: tuple[list[str], list[list[str]]] = ([], []),
) -> tuple[list[list[str]], list[list[str]], list[np.ndarray]]:
    """Truth, guesses and probabilities of ``model`` on held-out codebook examples and joined pairs.

    ``extra`` texts and codes are in the training data of every fold, never tested on.
    """
    texts, labels = codebook.training_data()
    seeds = {term for code in codebook.codes for term in code.seed_terms}
    examples = [i for i, text in enumerate(texts) if text not in seeds]
    always = [i for i, text in enumerate(texts) if text in seeds]
    rng = random.Random(seed)
    truth: list[list[str]] = []
    guess: list[list[str]] = []
    probas: list[np.ndarray] = []
    splitter = KFold(n_splits=folds, shuffle=True, random_state=seed)
    for train_idx, test_idx in splitter.split(examples):
        train_rows = [examples[i] for i in train_idx] + always
        test_rows = [examples[i] for i in test_idx]
        fitted = model.__class__(**model.get_params()).fit(
            [texts[i] for i in train_rows] + extra[0], [labels[i] for i in train_rows] + extra[1]
        )
        test_texts = [texts[i] for i in test_rows]
        test_labels = [labels[i] for i in test_rows]
        # Two-code answers: join examples whose codes do not overlap.
        shuffled = test_rows[:]
        rng.shuffle(shuffled)
        for a, b in zip(shuffled[::2], shuffled[1::2], strict=False):
            if not set(labels[a]) & set(labels[b]):
                test_texts.append(f"{texts[a]} {texts[b]}")
                test_labels.append(sorted(set(labels[a]) | set(labels[b]), key=CODES.index))
        proba = fitted.predict_proba(test_texts)
        truth += test_labels
        guess += fitted.codes_from_proba(proba)
        probas.append(proba)
    return truth, guess, probas


def confusion(truth: list[list[str]], guess: list[list[str]]) -> dict[tuple[str, str], int]:
    """(missed code, code suggested instead) counts: where a true code was missed and a wrong one suggested."""
    pairs: dict[tuple[str, str], int] = {}
    for t, g in zip(truth, guess, strict=True):
        for missed in set(t) - set(g):
            for wrong in set(g) - set(t):
                pairs[(missed, wrong)] = pairs.get((missed, wrong), 0) + 1
    return dict(sorted(pairs.items(), key=lambda item: -item[1]))


def main(argv: list[str]) -> None:
    extra: tuple[list[str], list[list[str]]] = ([], [])
    if "--extra" in argv:
        at = argv.index("--extra")
        extra = read_dev(Path(argv[at + 1]))
        argv = argv[:at] + argv[at + 2 :]
    params = {key: ast.literal_eval(value) for key, value in (arg.split("=", 1) for arg in argv)}
    model = ThemeClassifier(**params)
    codebook = load_codebook(CODEBOOK)
    start = time.perf_counter()
    truth, guess, _ = codebook_cv(codebook, model, extra=extra)
    cv_time = time.perf_counter() - start
    texts, labels = codebook.training_data()
    fitted = model.__class__(**model.get_params()).fit(texts + extra[0], labels + extra[1])
    dev_texts, dev_truth = read_dev()
    dev_guess = fitted.predict(dev_texts)
    print(f"params {params}" + (f", {len(extra[0])} extra texts" if extra[0] else ""))
    print(f"CV  macro-F1 {macro_f1(truth, guess):.3f}  ({len(truth)} texts, {cv_time:.0f} s)")
    print(f"dev macro-F1 {macro_f1(dev_truth, dev_guess):.3f}  ({len(dev_truth)} answers)")
    cv_codes, dev_codes = per_code_f1(truth, guess), per_code_f1(dev_truth, dev_guess)
    print("  " + "  ".join(f"{code[:6]} {cv_codes[code]:.2f}/{dev_codes[code]:.2f}" for code in CODES))
    print("dev confusions (missed → suggested):", list(confusion(dev_truth, dev_guess).items())[:8])


if __name__ == "__main__":
    main(sys.argv[1:])
