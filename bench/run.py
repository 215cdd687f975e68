"""`make bench`: every benchmark in one run, each figure against its target, raw results as JSON.

    analysis        bench/analysis_scale.py       theme coding and topics at 1k/10k/100k answers
    recommendation  bench/recommendation_scale.py the settlement recommendation for 357 municipalities and ten years
    request cost    bench/request_cost.py         CPU per request in one process (autosave, ceilings, staff)
    web             bench/web.py                  the served app: staff pages, national XLSX, autosave load

Each runs in its own process. The machine is described (cores, memory, Python, SQLite) and its load is
sampled every second while the benchmarks run, so a reader can tell a slow figure from a busy machine.
Writes bench/results/latest.json and prints the table docs/benchmarks.md shows.

    .venv/bin/python bench/run.py                    # everything (about 6 minutes; more with PostgreSQL)
    .venv/bin/python bench/run.py --only web --quick # one part, short phases
    .venv/bin/python bench/run.py --profile open-256 # py-spy the server in that phase (bench/results/)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
PYTHON = sys.executable
PARTS = ("analysis", "recommendation", "request_cost", "web")


def machine() -> dict[str, Any]:
    meminfo = Path("/proc/meminfo").read_text().split("\n", 1)[0].split()
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "memory_gib": round(int(meminfo[1]) / 1024 / 1024, 1),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "system": f"{platform.system()} {platform.release()}",
        "postgresql": bool(os.environ.get("DATABASE_URL")),
    }


class LoadSampler(threading.Thread):
    """The 1-minute load average and the machine's busy cores, once a second, while the run lasts."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[tuple[float, float, float]] = []  # (seconds since start, loadavg, busy cores)
        self.stop = threading.Event()

    def run(self) -> None:
        start = time.monotonic()
        last = _busy()
        while not self.stop.wait(1.0):
            now = _busy()
            load = float(Path("/proc/loadavg").read_text().split()[0])
            self.samples.append(
                (time.monotonic() - start, load, (now[0] - last[0]) / max(1e-9, now[1] - last[1]))
            )
            last = now

    def summary(self) -> dict[str, float]:
        loads = [s[1] for s in self.samples] or [0.0]
        busy = [s[2] for s in self.samples] or [0.0]
        return {
            "loadavg_1min_start": loads[0],
            "loadavg_1min_mean": sum(loads) / len(loads),
            "loadavg_1min_max": max(loads),
            "busy_cores_mean": sum(busy) / len(busy),
        }


def _busy() -> tuple[float, float]:
    """(busy seconds of all cores, wall seconds) from /proc/stat."""
    parts = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(parts[:8]) - parts[3] - parts[4]) / tick, time.monotonic()


def _json_of(args: list[str], timeout: float = 900) -> Any:
    out = subprocess.run([PYTHON, *args], capture_output=True, text=True, timeout=timeout, cwd=HERE.parent)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{out.stderr[-3000:]}")
    sys.stderr.write(out.stderr)
    return json.loads(out.stdout)


def run_part(name: str, quick: bool, profile: str | None) -> Any:
    if name == "analysis":
        return [_json_of([str(HERE / "analysis_scale.py"), str(n)]) for n in (1_000, 10_000, 100_000)]
    if name == "recommendation":
        return _json_of([str(HERE / "recommendation_scale.py")])
    if name == "request_cost":
        return _json_of([str(HERE / "request_cost.py"), "--runs", "150" if quick else "600"])
    extra = (["--quick"] if quick else []) + (["--profile", profile] if profile else [])
    return _json_of([str(HERE / "web.py"), *extra])


# --- figures against targets -------------------------------------------------------------------------


def verdicts(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every figure with a target: what was measured, the target, met or not."""
    rows: list[dict[str, Any]] = []

    def add(what: str, value: float | None, target: str, met: bool | None, unit: str = "") -> None:
        rows.append({"what": what, "value": value, "unit": unit, "target": target, "met": met})

    for web in results.get("web", {}).get("passes", []):
        if "skipped" in web:
            continue
        db = web["database"]
        open256 = web["load"]["open-256"]
        offered = open256["offered_per_s"]
        add(
            f"[{db}] autosave, open loop, 256 respondents offering {offered:,.0f}/s: acknowledged",
            open256["throughput_per_s"],
            f"{offered:,.0f}/s sustained",
            open256["throughput_per_s"] >= 0.99 * offered,
            "/s",
        )
        add(
            f"[{db}] autosave, open loop, 256 respondents: p99 from scheduled time",
            open256["p99_ms"],
            "< 100 ms",
            open256["p99_ms"] < 100,
            "ms",
        )
        failures = open256["errors"] + open256["conflicts"] + open256["not_stored"]
        add(
            f"[{db}] autosave, open loop, 256 respondents: errors, conflicts, unstored",
            failures,
            "0",
            failures == 0,
        )
        for name, page in web["staff"].items():
            if name == "export_xlsx":
                add(
                    f"[{db}] national XLSX export (route, 344 responses)",
                    page["p50_ms"] / 1000,
                    "< 10 s",
                    page["p50_ms"] < 10_000,
                    "s",
                )
            else:
                add(
                    f"[{db}] staff page {name.replace('_', ' ')}: p95",
                    page["p95_ms"],
                    "< 100 ms",
                    page["p95_ms"] < 100,
                    "ms",
                )
    analysis = results.get("analysis")
    if analysis:
        big = analysis[-1]
        add(
            f"analysis of {big['answers']:,} answers: time (coding and topics)",
            big["total_s"],
            "< 15 s",
            big["total_s"] < 15,
            "s",
        )
        if "mask_s" in big:  # the app masks personal data first; the target does not cover it
            add(f"masking personal data in {big['answers']:,} answers", big["mask_s"], "–", None, "s")
        add(
            f"analysis of {big['answers']:,} answers: peak memory",
            big["peak_mb"],
            "< 1.5 GB",
            big["peak_mb"] < 1536,
            "MB",
        )
    rec = results.get("recommendation")
    if rec:
        scale = f"{rec['municipalities']} municipalities, {rec['history_rows']:,} history rows"
        add(
            f"recommendation page update ({scale})",
            rec["page_update_s"],
            "< 0.2 s",
            rec["page_update_s"] < 0.2,
            "s",
        )
        add(
            f"recommendation CLI, a new process ({rec['municipalities']} municipalities)",
            rec["cli_s"],
            "< 1 s",
            rec["cli_s"] < 1,
            "s",
        )
        add(
            f"saksframlegg as DOCX ({rec['municipalities']} municipalities)",
            rec["docx_s"],
            "< 2 s",
            rec["docx_s"] < 2,
            "s",
        )
        add(f"saksframlegg as PDF ({rec['municipalities']} municipalities)", rec["pdf_s"], "–", None, "s")
    return rows


def table(results: dict[str, Any]) -> str:
    lines = ["| figure | measured | target | met |", "|---|---:|---|---|"]
    for row in results["verdicts"]:
        value = row["value"]
        shown = (
            "–"
            if value is None
            else f"{value:,.2f}"
            if isinstance(value, float) and value < 100
            else f"{value:,.0f}"
        )
        met = {True: "yes", False: "**no**", None: "–"}[row["met"]]
        lines.append(f"| {row['what']} | {shown} {row['unit']} | {row['target']} | {met} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="All benchmarks; results in bench/results/latest.json.")
    parser.add_argument("--only", choices=PARTS, action="append", help="run only this part (repeatable)")
    parser.add_argument("--quick", action="store_true", help="short load phases, for trying things out")
    parser.add_argument("--profile", help="py-spy the server in this web phase (e.g. open-256, staff)")
    parser.add_argument("--output", type=Path, default=RESULTS / "latest.json")
    args = parser.parse_args()
    sampler = LoadSampler()
    results: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "command": "make bench",
        "quick": args.quick,
    }
    sampler.start()
    started = time.perf_counter()
    for part in args.only or PARTS:
        print(f"== {part}", file=sys.stderr)
        part_start = time.perf_counter()
        results[part] = run_part(part, args.quick, args.profile)
        print(f"   ({time.perf_counter() - part_start:.0f} s)", file=sys.stderr)
    sampler.stop.set()
    sampler.join()
    results["seconds"] = time.perf_counter() - started
    results["load_during_run"] = sampler.summary()
    results["verdicts"] = verdicts(results)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=1, default=str) + "\n")
    print(table(results))
    load = results["load_during_run"]
    print(
        f"\n{results['seconds']:.0f} s; load average {load['loadavg_1min_start']:.2f} at the start, "
        f"{load['loadavg_1min_mean']:.2f} on average; raw results in {args.output}"
    )


if __name__ == "__main__":
    main()
