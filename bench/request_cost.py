"""CPU cost of one request, in one process, one request at a time: autosave beside the two ceilings.

The load test (``bench/web.py``) says how fast the server is on this machine with whatever else runs on
it; this says how much CPU one request costs, which changes little with the machine's load and so is
the number to compare before and after a change. The whole ASGI app (every middleware, the CSRF check,
the session cookie) is called directly, without an HTTP server, on the national data (a fresh SQLite
database in a temporary folder), with respondents saving as in the load test.

    .venv/bin/python bench/request_cost.py          # JSON: CPU ms per request for json, insert, autosave
    .venv/bin/python bench/request_cost.py --profile autosave   # also a pyinstrument profile (text)
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from loadgen import CSRF_RE as CSRF
from loadgen import SESSION_COOKIE, Reply, get, post
from national import National, generate
from respondents import Respondent
from web import autosave_fields, staff_paths

from survey_app.config import Settings
from survey_app.main import create_app


class Client:
    """Calls the ASGI app in this thread, with one respondent's cookie."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def request(self, raw: bytes) -> Reply:
        head, _, body = raw.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        method, target, _ = lines[0].split(b" ")
        path, _, query = target.partition(b"?")
        headers = [
            (name.strip().lower(), value.strip())
            for name, _, value in (line.partition(b":") for line in lines[1:])
        ]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method.decode(),
            "scheme": "http",
            "path": path.decode(),
            "raw_path": path,
            "query_string": query,
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 80),
        }
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                await asyncio.sleep(3600)
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        status, out_head, chunks = 0, [], []

        async def send(message: dict[str, Any]) -> None:
            nonlocal status, out_head
            if message["type"] == "http.response.start":
                status = message["status"]
                out_head = message["headers"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        raw_head = b"".join(b"\r\n" + k + b": " + v for k, v in out_head)
        return Reply(status, raw_head.lower(), b"".join(chunks), raw_head)


class Conn:
    def __init__(self, client: Client) -> None:
        self.client = client
        self.transport = object()
        self.buffer = b""

    async def send(self, request: bytes) -> Reply:
        return await self.client.request(request)


async def measure(settings: Settings, national: National, runs: int, profile: str | None) -> dict[str, Any]:
    app = create_app(settings)
    fields = autosave_fields(settings)
    client = Client(app)
    out: dict[str, Any] = {}
    async with app.router.lifespan_context(app):
        people = []
        for i, link in enumerate(national.load_links[:20]):
            r = Respondent(link, fields, seed=i)
            r.address = ("", 0)
            r.conn = Conn(client)  # type: ignore[assignment]
            await r.start()
            people.append(r)
        for kind in ("json", "insert", "autosave"):
            # A warm-up, then three rounds; the cheapest round counts (other work on the machine only
            # ever adds time, even to CPU time: caches, frequency).
            for block in range(4):
                n = 30 if block == 0 else runs // 3
                profiler = None
                if block == 1 and profile == kind:
                    from pyinstrument import Profiler

                    profiler = Profiler(interval=0.0005)
                    profiler.start()
                cpu0, wall0 = time.process_time(), time.perf_counter()
                acknowledged = 0
                for i in range(n):
                    person = people[i % len(people)]
                    request, key, _ = person.next_save()
                    if kind != "autosave":
                        request = request.replace(
                            request[: request.index(b" HTTP/1.1")], f"POST /_bench/{kind}".encode(), 1
                        )
                    reply = await client.request(request)
                    if kind == "autosave":
                        acknowledged += person.take(reply, key)[0]
                    else:
                        acknowledged += reply.status == 200
                cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
                if profiler is not None:
                    profiler.stop()
                    out["profile"] = profiler.output_text(unicode=True, color=False, show_all=False)
                if block:
                    out.setdefault(f"{kind}_blocks", []).append(round(cpu / n * 1000, 2))
                if block and (kind not in out or cpu / n * 1000 < out[kind]["cpu_ms"]):
                    out[kind] = {
                        "requests": n,
                        "acknowledged": acknowledged,
                        "cpu_ms": cpu / n * 1000,
                        "wall_ms": wall / n * 1000,
                    }
        out.update(await staff_pages(client, national, max(5, runs // 40), profile))
    return out


async def _inline(func: Any, *args: Any, **kwargs: Any) -> Any:
    return func(*args, **kwargs)


async def staff_pages(client: Client, national: National, runs: int, profile: str | None) -> dict[str, Any]:
    """CPU per staff page (the sync routes run in the threadpool: process time counts every thread)."""
    reply = await client.request(get("/ansatt/logg-inn"))
    cookie = f"{SESSION_COOKIE}={reply.cookies()[SESSION_COOKIE]}"
    match = CSRF.search(reply.body)
    assert match
    form = {"csrf_token": match.group(1).decode(), "email": national.staff_email}
    form["password"] = national.staff_password
    reply = await client.request(
        post("/ansatt/logg-inn", urlencode(form).encode(), cookie=cookie, htmx=False)
    )
    assert reply.status == 303, reply.status
    cookie = f"{SESSION_COOKIE}={reply.cookies()[SESSION_COOKIE]}"
    out: dict[str, Any] = {}
    for name, paths in staff_paths(national, runs).items():
        await client.request(get(paths[0], cookie=cookie))
        costs = []
        for i in range(runs):
            cpu0, wall0 = time.process_time(), time.perf_counter()
            reply = await client.request(get(paths[i % len(paths)], cookie=cookie))
            costs.append((time.process_time() - cpu0, time.perf_counter() - wall0))
            assert reply.status == 200, (name, reply.status)
        costs.sort()
        if profile == name:
            out["profile"] = await _profile_page(client, get(paths[0], cookie=cookie))
        out[f"staff_{name}"] = {
            "requests": runs,
            "cpu_ms_min": costs[0][0] * 1000,
            "cpu_ms_median": costs[len(costs) // 2][0] * 1000,
            "wall_ms_median": sorted(w for _, w in costs)[len(costs) // 2] * 1000,
        }
    return out


async def _profile_page(client: Client, request: bytes) -> str:
    """A pyinstrument profile of five requests for a page, its sync route run on this thread (pyinstrument
    sees only this one)."""
    import fastapi.routing
    from pyinstrument import Profiler

    threaded = fastapi.routing.run_in_threadpool
    fastapi.routing.run_in_threadpool = _inline  # type: ignore[assignment]
    profiler = Profiler(interval=0.0005)
    try:
        profiler.start()
        for _ in range(5):
            await client.request(request)
        profiler.stop()
    finally:
        fastapi.routing.run_in_threadpool = threaded
    return str(profiler.output_text(unicode=True, color=False, show_all=False))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument(
        "--profile",
        choices=[
            "json",
            "insert",
            "autosave",
            "dashboard",
            "results",
            "profile",
            "compare",
            "free_text_search",
        ],
    )
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="innspill-cost-"))
    try:
        settings = Settings(
            data_dir=data_dir, database_url=None, secret_key=secrets.token_urlsafe(48), bench_routes=True
        )
        national = generate(settings)
        # The national data generated in this process is not the app's: left out of garbage collections, as
        # a served app leaves out what it holds at start (main.py), so neither tree pays for walking it.
        gc.collect()
        gc.freeze()
        os.environ.pop("DATABASE_URL", None)
        result = asyncio.run(measure(settings, national, args.runs, args.profile))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    profile = result.pop("profile", None)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    if profile:
        sys.stderr.write(profile)


if __name__ == "__main__":
    main()
