"""Writes the demo's synthetic knowledge base: ten years of settlement history and register figures for
Viken's 51 municipalities. The numbers are made up; they are plausible, not true.

- ``survey_app/data/demo_historikk_syntetisk.csv`` (long form, the history file format): 2017–2026, the
  county's recommendation from 2020 (when the task came to the counties), IMDi's request, the council's
  decision (and the years it covers), and the number settled (unknown for 2026, the year under way),
  with unaccompanied minors for the larger municipalities. The county's yearly total follows the shape
  of the national need: low 2017–2021, a surge in 2022–2023, a decline after. Shares follow population
  with a lasting «capacity» per municipality; in low years municipalities whose share is under 10 are
  not asked (0), as IMDi asks for 0 or at least 10, unless they were asked the year before (continuity).
  Decisions are mostly the request or a little under, settled numbers close to the decision.
- ``survey_app/data/demo_befolkning_07459_syntetisk.csv``: population at 1 January, 2017–2026, in the shape
  of an SSB statbank semicolon CSV of table 07459 (title line, 2020–2023 numbers with «..» after 2023, the
  2024 numbers with «..» before, the county's row), so the demo exercises the successor table.
- ``survey_app/data/demo_intro_arbeid_utdanning_syntetisk.json``: the share in work or education one year
  after the introduction programme, 2019–2025, as a JSON-stat 2 dataset with 2024 numbers and withheld
  values («:») for the smallest municipalities.

    .venv/bin/python bench/demo_knowledge.py     # rewrites the three files (fixed seed: the same files)
"""

from __future__ import annotations

import csv
import io
import json
import random
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "survey_app" / "data"
SEED = 2017
YEARS = range(2017, 2027)
# Requests to Viken's municipalities in all: the shape of the national need (low, a surge, a decline).
TOTALS = {2017: 1900, 2018: 1100, 2019: 1050, 2020: 1000, 2021: 1150}
TOTALS |= {2022: 6500, 2023: 7200, 2024: 5200, 2025: 3600, 2026: 2600}
MINIMUM = 10
# Rough population at 1 January 2023 (thousands; made-up but of the right size).
POPULATION_2023 = {
    "3001": 31.4, "3002": 50.3, "3003": 57.4, "3004": 83.7, "3005": 102.6, "3006": 27.9, "3007": 31.0,
    "3011": 4.8, "3012": 1.3, "3013": 3.6, "3014": 45.8, "3015": 3.9, "3016": 8.3, "3017": 7.7,
    "3018": 6.0, "3019": 18.7, "3020": 61.7, "3021": 21.6, "3022": 16.2, "3023": 20.0, "3024": 129.8,
    "3025": 96.5, "3026": 17.7, "3027": 18.9, "3028": 11.3, "3029": 43.7, "3030": 89.0, "3031": 25.2,
    "3032": 7.2, "3033": 41.0, "3034": 23.9, "3035": 26.8, "3036": 15.3, "3037": 2.9, "3038": 7.0,
    "3039": 1.0, "3040": 3.2, "3041": 4.6, "3042": 2.5, "3043": 4.6, "3044": 4.4, "3045": 3.5,
    "3046": 2.2, "3047": 14.5, "3048": 20.5, "3049": 27.6, "3050": 2.7, "3051": 1.4, "3052": 2.4,
    "3053": 7.0, "3054": 9.2,
}  # fmt: skip


def _register() -> dict[str, str]:
    with (DATA / "viken_2020_2023.csv").open(encoding="utf-8") as fh:
        return {r["kommunenummer"]: r["name"] for r in csv.DictReader(fh)}


def _successors() -> dict[str, str]:
    with (DATA / "kommunenummer_2024.csv").open(encoding="utf-8") as fh:
        return {r["kommunenummer_2020_2023"]: r["kommunenummer_2024"] for r in csv.DictReader(fh)}


def population(rng: random.Random) -> dict[str, dict[int, int]]:
    """People at 1 January per year: growth of 0–1.2 % a year for most, a slow decline for the smallest."""
    out = {}
    for number, thousands in POPULATION_2023.items():
        growth = rng.uniform(-0.004, 0.003) if thousands < 3 else rng.uniform(0.002, 0.012)
        out[number] = {
            year: round(thousands * 1000 * (1 + growth) ** (year - 2023) * rng.uniform(0.998, 1.002))
            for year in YEARS
        }
    return out


def _round5(value: float) -> int:
    return int(5 * round(value / 5))


def history(rng: random.Random, people: dict[str, dict[int, int]]) -> list[dict[str, object]]:
    capacity = {n: rng.lognormvariate(0, 0.2) for n in POPULATION_2023}
    rows: list[dict[str, object]] = []
    asked_before: set[str] = set()
    for year in YEARS:
        weights = {n: (people[n][year] ** 0.95) * capacity[n] * rng.uniform(0.9, 1.1) for n in people}
        scale = TOTALS[year] / sum(weights.values())
        raw = {n: w * scale for n, w in weights.items()}
        asked = {n for n, r in raw.items() if r >= MINIMUM or (n in asked_before and r >= MINIMUM / 2)}
        # What is not asked for is shared among those who are, in proportion.
        spread = TOTALS[year] / sum(raw[n] for n in asked)
        for number in sorted(people):
            request = max(MINIMUM, round(raw[number] * spread)) if number in asked else 0
            recommended: int | None = None
            if year >= 2020:
                # IMDi mostly follows the county; sometimes it adjusts by a few.
                recommended = (
                    request
                    if rng.random() < 0.8 or request == 0
                    else max(MINIMUM, request + rng.choice([-5, 5]))
                )
            minors = round(request * rng.uniform(0.06, 0.12)) if request >= 40 else None
            decided: int | None
            decision_years = ""
            if request == 0:
                decided = None
            else:
                draw = rng.random()
                if draw < 0.65:
                    decided = request
                elif draw < 0.9:
                    decided = max(0, _round5(request * rng.uniform(0.75, 0.95)))
                else:  # a council that offers more (the surge years), or far less
                    decided = _round5(
                        request * (rng.uniform(1.05, 1.3) if year in (2022, 2023) else rng.uniform(0.5, 0.7))
                    )
                decision_years = f"{year}–{year + 1}" if year >= 2022 and rng.random() < 0.08 else str(year)
            if year == 2026 and rng.random() < 0.06:
                decided, decision_years = None, ""  # not decided yet
            decided_minors = (
                None
                if minors is None or decided is None
                else min(minors, round(minors * rng.uniform(0.6, 1.0)))
            )
            settled: int | None
            if year == 2026:
                settled = None  # the year is not over
            elif decided is None:
                settled = 0 if request == 0 else None
            else:
                settled = round(decided * rng.uniform(0.85, 1.04))
            settled_minors = (
                None
                if decided_minors is None or settled is None
                else round(decided_minors * rng.uniform(0.7, 1.0))
            )
            rows.append(
                {
                    "kommunenummer": number,
                    "år": year,
                    "anbefalt": recommended,
                    "anmodning": request,
                    "anmodning_ema": minors,
                    "vedtak": decided,
                    "vedtak_ema": decided_minors,
                    "vedtak_gjelder": decision_years,
                    "bosatt": settled,
                    "bosatt_ema": settled_minors,
                }
            )
        asked_before = asked
    return rows


def history_csv(rows: list[dict[str, object]], names: dict[str, str]) -> str:
    out = io.StringIO()
    out.write(
        "# SYNTETISKE DEMOTALL: oppdiktet bosettingshistorikk for Vikens kommuner 2017–2026, laget for demoen "
        "(bench/demo_knowledge.py). Ikke IMDis eller kommunenes tall.\n"
    )
    columns = ["kommunenummer", "kommune", *[k for k in rows[0] if k != "kommunenummer"]]
    writer = csv.DictWriter(out, fieldnames=columns, delimiter=";", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        cells = {k: "" if v is None else v for k, v in row.items()}
        writer.writerow({**cells, "kommune": names[str(row["kommunenummer"])]})
    return out.getvalue()


def population_csv(
    people: dict[str, dict[int, int]], names: dict[str, str], successors: dict[str, str]
) -> str:
    years = list(YEARS)
    lines = [
        "07459: Befolkning, etter region og år (SYNTETISKE DEMOTALL, ikke fra SSB)",
        "",
        ";".join(['"region"', *[f'"07459: Personer {y}"' for y in years]]),
    ]
    county = {y: sum(p[y] for p in people.values()) for y in years}
    lines.append(
        ";".join(['"30 Viken (2020-2023)"', *[str(county[y]) if y < 2024 else '".."' for y in years]])
    )
    for number in sorted(people):
        cells = [str(people[number][y]) if y < 2024 else '".."' for y in years]
        lines.append(";".join([f'"{number} {names[number]} (2020-2023)"', *cells]))
    for number in sorted(people, key=lambda n: successors[n]):
        cells = [str(people[number][y]) if y >= 2024 else '".."' for y in years]
        lines.append(";".join([f'"{successors[number]} {names[number]}"', *cells]))
    return "\r\n".join(lines) + "\r\n"


def intro_jsonstat(
    rng: random.Random, people: dict[str, dict[int, int]], names: dict[str, str], successors: dict[str, str]
) -> str:
    years = [str(y) for y in range(2019, 2026)]
    codes = sorted(successors[n] for n in people)
    back = {v: k for k, v in successors.items()}
    level = {n: rng.gauss(60, 8) for n in people}
    values: list[float | None] = []
    status: dict[str, str] = {}
    for code in codes:
        number = back[code]
        for year in years:
            small = people[number][int(year)] < 5000
            if small and rng.random() < 0.7:
                status[str(len(values))] = ":"
                values.append(None)
                continue
            values.append(round(min(90.0, max(25.0, level[number] + rng.gauss(0, 6))), 1))
    document = {
        "version": "2.0",
        "class": "dataset",
        "label": "Tidligere deltakere i introduksjonsprogrammet i arbeid eller utdanning ett år etter, etter region, statistikkvariabel og år (SYNTETISKE DEMOTALL, ikke fra SSB)",
        "source": "Syntetiske demotall laget av bench/demo_knowledge.py",
        "updated": "2026-01-01T00:00:00Z",
        "id": ["Region", "ContentsCode", "Tid"],
        "size": [len(codes), 1, len(years)],
        "role": {"geo": ["Region"], "metric": ["ContentsCode"], "time": ["Tid"]},
        "dimension": {
            "Region": {
                "label": "region",
                "category": {
                    "index": {c: i for i, c in enumerate(codes)},
                    "label": {c: names[back[c]] for c in codes},
                },
            },
            "ContentsCode": {
                "label": "statistikkvariabel",
                "category": {
                    "index": {"AndelArbUtd": 0},
                    "label": {
                        "AndelArbUtd": "Andel i arbeid eller utdanning ett år etter avsluttet program (prosent)"
                    },
                    "unit": {"AndelArbUtd": {"base": "prosent", "decimals": 1}},
                },
            },
            "Tid": {
                "label": "år",
                "category": {"index": {y: i for i, y in enumerate(years)}, "label": {y: y for y in years}},
            },
        },
        "extension": {"px": {"tableid": "", "language": "no", "decimals": 1}},
        "value": values,
        "status": status,
    }
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


def main() -> None:
    rng = random.Random(SEED)
    names, successors = _register(), _successors()
    people = population(rng)
    (DATA / "demo_historikk_syntetisk.csv").write_text(
        history_csv(history(rng, people), names), encoding="utf-8"
    )
    (DATA / "demo_befolkning_07459_syntetisk.csv").write_text(
        population_csv(people, names, successors), encoding="utf-8-sig", newline=""
    )
    (DATA / "demo_intro_arbeid_utdanning_syntetisk.json").write_text(
        intro_jsonstat(rng, people, names, successors), encoding="utf-8"
    )


if __name__ == "__main__":
    main()
