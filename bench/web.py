"""Benchmark of the web app as it runs in production: autosave under load, staff pages and the national XLSX.

Generates the national data (``bench/national.py``) into a temporary data dir, starts
``survey-app serve --workers 2`` on it (with ``SURVEY_APP_BENCH_ROUTES=true`` for the two ceilings), and
measures, all against that one server:

    staff pages   round dashboard, results per question, municipality profile, comparison with last year,
                  free-text search: p50/p95 of sequential requests as a logged-in rådgiver
    export        the national round as XLSX through its route
    closed loop   autosave and the two ceilings (/_bench/json, /_bench/insert) with 32 and 256
                  respondents, each with its own invitation, session and connection
    open loop     256 (and 32) respondents together offering 1,000 saves/s on their own Poisson schedules,
                  latency from the scheduled time

and, for every phase, the CPU the server, this load generator and everything else on the machine used.
SQLite (WAL) by default; with ``DATABASE_URL`` set to a PostgreSQL server, a second pass runs there in a
database of its own, created and dropped by the benchmark (the user needs CREATEDB).

    .venv/bin/python bench/web.py                       # JSON on stdout
    .venv/bin/python bench/web.py --quick               # short phases, for trying things out
    .venv/bin/python bench/web.py --profile open-256    # also py-spy the server workers in that phase
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from loadgen import CSRF_RE, Connection, Sender, Stats, closed_loop, get, open_loop, percentile, post, summary
from national import LOAD_ROUND, National, generate, text_pool
from respondents import Ceiling, Respondent, fields_of
from served import HOST, SERVER_LOG, Meter, profiler, server

from survey_app.config import Settings
from survey_app.db import make_engine
from survey_app.services.catalog import definition_of, latest_version
from survey_app.services.demo import SURVEY_SLUG, synthetic_answers

OFFERED_RATE = 1_000.0


# --- phases ------------------------------------------------------------------------------------------


def autosave_fields(settings: Settings) -> list[Any]:
    """The questions respondents change, with candidate values from the demo's synthetic answers."""
    import random

    engine = make_engine(settings.sqlalchemy_url)
    try:
        from sqlmodel import Session

        with Session(engine) as session:
            version = latest_version(session, SURVEY_SLUG)
            assert version is not None
            definition = definition_of(version)
    finally:
        engine.dispose()
    rng = random.Random(7)
    pool = text_pool()
    samples = []
    for _ in range(40):
        values = synthetic_answers(definition, rng)
        for q in definition.questions():
            if q.type == "longtext":
                values[q.id] = " ".join(rng.sample(pool, k=rng.randint(1, 4)))
        samples.append(values)
    return fields_of(definition, samples)


async def _login(port: int, email: str, password: str) -> tuple[Connection, str]:
    conn = await Connection.open(HOST, port)
    reply = await conn.send(get("/ansatt/logg-inn"))
    cookie = f"innspill_session={reply.cookies()['innspill_session']}"
    match = CSRF_RE.search(reply.body)
    assert match, reply.body[:300]
    from urllib.parse import urlencode

    body = urlencode({"csrf_token": match.group(1).decode(), "email": email, "password": password}).encode()
    reply = await conn.send(post("/ansatt/logg-inn", body, cookie=cookie, htmx=False))
    if reply.status != 303:
        raise RuntimeError(f"login gave {reply.status}: {reply.body[:300]!r}")
    return conn, f"innspill_session={reply.cookies()['innspill_session']}"


def staff_paths(national: National, runs: int) -> dict[str, list[str]]:
    """The pages an adviser reads at national scale: this year's open round and last year's closed one."""
    r = national.rounds
    current, last = r["Kommuneundersøkelsen 2026"], r["Kommuneundersøkelsen 2025"]
    munis = national.municipality_ids
    return {
        "dashboard": [f"/ansatt/runder/{current}"],
        "results": [f"/ansatt/runder/{last}/resultater"],
        "profile": [f"/ansatt/runder/{last}/kommuner/{munis[i * 37 % len(munis)]}" for i in range(runs)],
        "compare": [f"/ansatt/runder/{current}/sammenlign?med={last}"],
        "free_text_search": [f"/ansatt/runder/{last}/fritekst?sok=frivillig"],
    }


async def staff_pages(port: int, national: National, runs: int) -> dict[str, Any]:
    """p50/p95 of the staff pages at national scale, one rådgiver, sequential requests."""
    conn, cookie = await _login(port, national.staff_email, national.staff_password)
    last = national.rounds["Kommuneundersøkelsen 2025"]
    out: dict[str, Any] = {}
    for name, paths in staff_paths(national, runs).items():
        times, sizes = [], []
        for i in range(runs + 3):
            started = time.perf_counter()
            reply = await conn.send(get(paths[i % len(paths)], cookie=cookie))
            if reply.status != 200:
                raise RuntimeError(f"{name} gave {reply.status}: {reply.body[:300]!r}")
            if i >= 3:  # the first ones warm the caches (templates, questionnaire definitions)
                times.append(time.perf_counter() - started)
                sizes.append(len(reply.body))
        out[name] = {
            "path": paths[0],
            "runs": runs,
            "p50_ms": percentile(times, 50) * 1000,
            "p95_ms": percentile(times, 95) * 1000,
            "max_ms": max(times) * 1000,
            "kb": sum(sizes) / len(sizes) / 1024,
        }
    times = []
    for _ in range(3):
        started = time.perf_counter()
        reply = await conn.send(get(f"/ansatt/runder/{last}/eksport.xlsx", cookie=cookie))
        times.append(time.perf_counter() - started)
        assert reply.status == 200 and reply.body[:2] == b"PK", reply.status
    out["export_xlsx"] = {
        "path": f"/ansatt/runder/{last}/eksport.xlsx",
        "runs": 3,
        "p50_ms": percentile(times, 50) * 1000,
        "max_ms": max(times) * 1000,
        "kb": len(reply.body) / 1024,
    }
    conn.close()
    return out


async def load_phases(
    port: int, pids: list[int], national: National, fields: list[Any], quick: bool, profile: str | None
) -> dict[str, Any]:
    people = [Respondent(link, fields, seed=i) for i, link in enumerate(national.load_links[:256])]
    for i in range(0, len(people), 32):  # open the links 32 at a time, as a morning's rush would not
        await asyncio.gather(*(p.enter(HOST, port) for p in people[i : i + 32]))
    short = 0.4 if quick else 1.0
    results: dict[str, Any] = {}

    def senders(kind: str, n: int) -> list[Sender]:
        if kind == "autosave":
            return [p.save for p in people[:n]]
        return [Ceiling(p, f"/_bench/{kind}").save for p in people[:n]]

    # The insert ceiling's table is created on first use: once, before the load.
    await Ceiling(people[0], "/_bench/insert").save(Stats(), None)

    for kind in ("json", "insert", "autosave"):
        for n in (32, 256):
            name = f"closed-{kind}-{n}"
            duration = 8 * short
            with profiler(profile == name, pids, name), Meter(pids) as meter:
                stats, _ = await closed_loop(senders(kind, n), warmup=2 * short, duration=duration)
            results[name] = {
                "kind": kind,
                "loop": "closed",
                "respondents": n,
                **summary(stats, duration),
                **meter.cores(),
            }
            print(
                f"  {name}: {results[name]['throughput_per_s']:.0f}/s p99 {results[name]['p99_ms']:.0f} ms",
                file=sys.stderr,
            )
    for kind, n in (("autosave", 256), ("autosave", 32), ("insert", 256)):
        name = f"open-{kind}-{n}" if kind != "autosave" else f"open-{n}"
        duration = 30 * short
        with profiler(profile == name, pids, name), Meter(pids) as meter:
            stats, _ = await open_loop(
                senders(kind, n), rate=OFFERED_RATE, warmup=5 * short, duration=duration
            )
        results[name] = {
            "kind": kind,
            "loop": "open",
            "respondents": n,
            "offered_per_s": OFFERED_RATE,
            **summary(stats, duration),
            **meter.cores(),
        }
        print(
            f"  {name}: {results[name]['throughput_per_s']:.0f}/s p99 {results[name]['p99_ms']:.0f} ms",
            file=sys.stderr,
        )
    for p in people:
        if p.conn:
            p.conn.close()
    best = {
        kind: max(results[f"closed-{kind}-{n}"]["throughput_per_s"] for n in (32, 256))
        for kind in ("json", "insert", "autosave")
    }
    results["ratios"] = {
        "best_closed_per_s": best,
        "autosave_to_json": best["autosave"] / best["json"] if best["json"] else None,
        "autosave_to_insert": best["autosave"] / best["insert"] if best["insert"] else None,
        "insert_to_json": best["insert"] / best["json"] if best["json"] else None,
    }
    return results


# --- one pass: a database, a server, every phase -----------------------------------------------------


def one_pass(database_url: str | None, *, quick: bool, profile: str | None) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix="innspill-bench-"))
    try:
        settings = Settings(
            data_dir=data_dir, database_url=database_url, secret_key=secrets.token_urlsafe(48)
        )
        os.environ["SURVEY_APP_SECRET_KEY"] = settings.secret_key or ""
        print(f"generating national data ({settings.sqlalchemy_url.split('@')[-1]})", file=sys.stderr)
        national = generate(settings)
        fields = autosave_fields(settings)
        out: dict[str, Any] = {
            "database": "postgresql" if database_url else "sqlite",
            "generated": {
                "answers": national.answers,
                "seconds": national.seconds,
                "rounds": list(national.rounds),
                "load_round": LOAD_ROUND,
                "autosaved_questions": len(fields),
            },
        }
        with server(data_dir, database_url) as (port, pids):
            out["server_processes"] = len(pids)
            print("staff pages", file=sys.stderr)
            with profiler(profile == "staff", pids, "staff"), Meter(pids) as meter:
                out["staff"] = asyncio.run(staff_pages(port, national, 10 if quick else 30))
            out["staff_cpu"] = meter.cores()
            print("autosave", file=sys.stderr)
            out["load"] = asyncio.run(load_phases(port, pids, national, fields, quick, profile))
        out["server_log"] = dict(SERVER_LOG)
        if not database_url:
            out["sqlite_bytes"] = (data_dir / "innspill.sqlite3").stat().st_size
        return out
    finally:
        os.environ.pop("SURVEY_APP_SECRET_KEY", None)
        shutil.rmtree(data_dir, ignore_errors=True)


@contextlib.contextmanager
def postgres_database(url: str) -> Iterator[str]:
    """A database of its own on the server DATABASE_URL names, dropped afterwards."""
    name = f"innspill_bench_{os.getpid()}"
    admin = make_engine(Settings(database_url=url).sqlalchemy_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short phases, for trying things out")
    parser.add_argument("--profile", help="py-spy the server in this phase (e.g. open-256, staff)")
    parser.add_argument(
        "--sqlite-only", action="store_true", help="skip PostgreSQL even if DATABASE_URL is set"
    )
    args = parser.parse_args()
    # The load generator is the one process here that must be lean: uvloop when uvicorn brought it.
    with contextlib.suppress(ImportError):
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    passes = [one_pass(None, quick=args.quick, profile=args.profile)]
    url = os.environ.get("DATABASE_URL")
    if url and not args.sqlite_only:
        try:
            with postgres_database(url) as bench_url:
                passes.append(one_pass(bench_url, quick=args.quick, profile=args.profile))
        except sa.exc.SQLAlchemyError as error:
            passes.append({"database": "postgresql", "skipped": str(error).split("\n")[0]})
    json.dump({"passes": passes, "quick": args.quick}, sys.stdout, indent=1, default=str)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
