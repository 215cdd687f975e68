"""The served app for the web benchmarks: ``survey-app serve`` started and stopped, CPU accounting per
phase (the server, the load generator, everything else on the machine), py-spy, and the server's log.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from loadgen import cpu_seconds, get

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
TICK = os.sysconf("SC_CLK_TCK")


# --- CPU accounting ----------------------------------------------------------------------------------


def _proc_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo += children.get(p, [])
    return found


def _machine_busy() -> float:
    parts = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = parts[3] + parts[4]  # idle + iowait
    return (sum(parts[:8]) - idle) / TICK


class Meter:
    """CPU seconds of the server's processes, this process and the whole machine over one phase."""

    def __init__(self, server_pids: list[int]) -> None:
        self.pids = server_pids

    def __enter__(self) -> Meter:
        self.t0 = time.perf_counter()
        self.server0 = sum(_proc_cpu(p) for p in self.pids)
        self.client0 = cpu_seconds()
        self.machine0 = _machine_busy()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.t0
        self.server = sum(_proc_cpu(p) for p in self.pids) - self.server0
        self.client = cpu_seconds() - self.client0
        self.machine = _machine_busy() - self.machine0

    def cores(self) -> dict[str, float]:
        """Average cores busy (of 2): the server, the load generator, everything else on the machine."""
        return {
            "wall_s": self.wall,
            "server_cores": self.server / self.wall,
            "generator_cores": self.client / self.wall,
            "other_cores": max(0.0, self.machine - self.server - self.client) / self.wall,
            "machine_cores": self.machine / self.wall,
        }


# --- the server --------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def server(data_dir: Path, database_url: str | None, workers: int = 2) -> Iterator[tuple[int, list[int]]]:
    """``survey-app serve --workers N`` as in production, plus the bench routes; yields (port, pids)."""
    port = _free_port()
    env = {**os.environ, "SURVEY_APP_BENCH_ROUTES": "true", "SURVEY_APP_DATA_DIR": str(data_dir)}
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    log = (data_dir / "server.log").open("w")
    process = subprocess.Popen(
        [str(BIN / "survey-app"), "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        # Every worker must be up: under load uvicorn may restart a worker that was slow to start.
        deadline = time.monotonic() + 120
        log_file = data_dir / "server.log"
        while log_file.read_text().count("Application startup complete.") < workers:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start; see {log_file}")
            time.sleep(0.2)
        with socket.create_connection((HOST, port), timeout=5) as s:
            s.sendall(get("/healthz"))
            assert b" 200 " in s.recv(1024)
        yield port, _descendants(process.pid)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the group this benchmark started, and only it
            process.wait()
        log.close()
        SERVER_LOG.clear()
        SERVER_LOG.update(read_log(data_dir / "server.log"))


SERVER_LOG: dict[str, Any] = {}
ACCESS = re.compile(r'" (\d{3}) ')


def read_log(path: Path) -> dict[str, Any]:
    """What the server's own log says: responses by status (its access log) and its first errors."""
    statuses: dict[str, int] = {}
    exceptions: dict[str, int] = {}
    examples: list[str] = []
    with path.open(errors="replace") as fh:
        for line in fh:
            match = ACCESS.search(line)
            if match and "HTTP/1.1" in line:
                statuses[match.group(1)] = statuses.get(match.group(1), 0) + 1
            elif exception := EXCEPTION.match(line):
                name = exception.group(1)
                exceptions[name] = exceptions.get(name, 0) + 1
                if len(examples) < 5:
                    examples.append(line.strip()[:300])
    return {"statuses": statuses, "exceptions": exceptions, "examples": examples}


# The last line of a traceback: «sqlalchemy.exc.TimeoutError: QueuePool limit …»
EXCEPTION = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Timeout|Disconnect|Cancelled)\w*)(?::|$)")


PROFILE_DIR = ROOT / "bench" / "results"


@contextlib.contextmanager
def profiler(on: bool, pids: list[int], name: str) -> Iterator[None]:
    """py-spy (the bench extra) on every server process while the phase runs; raw stacks per process."""
    if not on:
        yield
        return
    PROFILE_DIR.mkdir(parents=True, exist_ok=True)
    spies = [
        subprocess.Popen(
            [
                str(BIN / "py-spy"),
                "record",
                "-p",
                str(pid),
                "-r",
                "250",
                "-f",
                "raw",
                "--nonblocking",
                "-o",
                str(PROFILE_DIR / f"profile-{name}-{pid}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for pid in pids
        if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()  # the workers
    ]
    try:
        yield
    finally:
        for spy in spies:
            spy.send_signal(signal.SIGINT)
        for spy in spies:
            spy.wait(timeout=30)
