"""Benchmark: the settlement recommendation for all 357 municipalities of Norway (issue 5: under 1 s).

Synthetic figures (fixed seed): last year's request, a council decision for about half, an integration
index (some unknown), population and a labour-market share; the default rules plus two more criteria and
regional balance. Timed: reading the CSV, computing the numbers and every begrunnelse, writing the CSV; and
the XLSX workbook the app offers. Best of five runs.

    .venv/bin/python bench/recommendation_scale.py
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import random
import sys
import time

from analysis.settlement import Criterion, room
from analysis.settlement_rules import load_rules, rules_to_data
from survey_app.models import Scenario
from survey_app.services import recommendation

MUNICIPALITIES = 357


def figures_csv(n: int = MUNICIPALITIES, seed: int = 0) -> str:
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "kommunenummer",
            "kommune",
            "region",
            "forrige_anmodning",
            "vedtak",
            "integreringsindeks",
            "innbyggere",
            "arbeid",
        ]
    )
    for i in range(n):
        people = int(rng.lognormvariate(9.0, 1.2))
        last = max(0, round(people / 1500 + rng.gauss(0, 4)))
        decision = "" if rng.random() < 0.5 else str(last + rng.choice([0, 5, 10, 20]))
        index = "" if rng.random() < 0.1 else f"{rng.uniform(20, 90):.1f}"
        writer.writerow(
            [
                f"{3001 + i}",
                f"Kommune {i}",
                f"Region {i % 40}",
                last,
                decision,
                index,
                people,
                f"{rng.uniform(40, 80):.1f}",
            ]
        )
    return out.getvalue()


def best_of(fn: object, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> dict[str, float]:
    text = figures_csv()
    base = load_rules()
    extra = (Criterion("innbyggere", "Innbyggere", 0.5), Criterion("arbeid", "I arbeid eller utdanning", 0.5))
    rules = dataclasses.replace(base, criteria=(*base.criteria, *extra))
    figures = recommendation.read_figures(text)
    least, _ = room(recommendation.units(figures.rows), rules)
    total = least + 1_000

    def cli_path() -> None:
        parsed = recommendation.read_figures(text)
        result = recommendation.compute(parsed.rows, parsed.criteria_columns, total=total, rules=rules)
        recommendation.to_csv(result, rules)

    result = recommendation.compute(figures.rows, figures.criteria_columns, total=total, rules=rules)
    scenario = Scenario(
        name="Benchmark", total=total, figures=figures.rows, criteria_columns=figures.criteria_columns
    )
    scenario.rules = rules_to_data(rules)
    return {
        "municipalities": MUNICIPALITIES,
        "recommend_s": best_of(cli_path),
        "xlsx_s": best_of(lambda: recommendation.to_xlsx(scenario, result)),
    }


if __name__ == "__main__":
    json.dump(main(), sys.stdout)
    sys.stdout.write("\n")
