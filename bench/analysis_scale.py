"""Benchmark: theme coding and topic discovery at 1,000 / 10,000 / 100,000 free-text answers.

Numbers, not pass/fail (the target from issue 4: 100,000 answers coded and topic-modelled in under 15 s and
1.5 GB peak on two cores). Each size runs in a fresh process so that peak memory (ru_maxrss) belongs to that
size alone. The answers are synthetic: sentences of the codebook's examples recombined at random (fixed seed),
so the vocabulary is realistic and every answer is distinct; one in ten is instead made of sentences on needs
the codebook has no theme for (the demo's), so that topic discovery gets a realistic share to work on. The
app masks personal data in every answer before it codes them (``services/analysis``): that is timed too, on
its own, since the issue's target is for coding and topics.

    .venv/bin/python bench/analysis_scale.py            # all sizes
    .venv/bin/python bench/analysis_scale.py 10000      # one size
"""

from __future__ import annotations

import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

from analysis.needs import split_sentences
from analysis.privacy import mask
from analysis.themes import load_codebook, train
from analysis.topics import discover_topics, poorly_covered
from survey_app.services.demo import UNCOVERED_TEXTS

CODEBOOK = Path(__file__).resolve().parent.parent / "questionnaires" / "codebook.yaml"
SIZES = (1_000, 10_000, 100_000)


UNCOVERED_SHARE = 0.1


def answers(n: int, seed: int = 0) -> list[str]:
    codebook = load_codebook(CODEBOOK)
    sentences = [s for code in codebook.codes for ex in code.examples for s in split_sentences(ex)]
    uncovered = [s for text in UNCOVERED_TEXTS for s in split_sentences(text)]
    rng = random.Random(seed)
    return [
        " ".join(rng.sample(uncovered, k=rng.randint(1, 2)))
        if rng.random() < UNCOVERED_SHARE
        else " ".join(rng.sample(sentences, k=rng.randint(1, 4)))
        for _ in range(n)
    ]


def run(n: int) -> dict[str, float]:
    raw = answers(n)
    masking = time.perf_counter()
    texts = [mask(text) for text in raw]
    start = time.perf_counter()
    model = train(load_codebook(CODEBOOK))
    trained = time.perf_counter()
    proba = model.predict_proba(texts)
    model.codes_from_proba(proba)
    coded = time.perf_counter()
    low = poorly_covered(texts, proba)
    discover_topics([texts[i] for i in low])
    done = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "answers": n,
        "mask_s": start - masking,
        "train_s": trained - start,
        "code_s": coded - trained,
        "topics_s": done - coded,
        "topic_inputs": len(low),
        "total_s": done - start,
        "peak_mb": peak_mb,
    }


def main() -> None:
    if len(sys.argv) > 1:
        print(json.dumps(run(int(sys.argv[1]))))
        return
    print(
        "| answers | mask (s) | train (s) | code (s) | topics (s) | answers to topics | total without masking (s) "
        "| peak memory (MB) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in SIZES:
        out = subprocess.run([sys.executable, __file__, str(n)], capture_output=True, text=True, check=True)
        r = json.loads(out.stdout)
        print(
            f"| {n:,} | {r['mask_s']:.2f} | {r['train_s']:.2f} | {r['code_s']:.2f} | {r['topics_s']:.2f} | {r['topic_inputs']:,} "
            f"| {r['total_s']:.2f} | {r['peak_mb']:.0f} |".replace(",", " ")
        )


if __name__ == "__main__":
    main()
