"""A lean HTTP/1.1 load generator for the web benchmarks (asyncio, one keep-alive connection each).

The generator shares two cores with the server, so every microsecond it spends is one the server does not
get. No HTTP library: requests are bytes written by hand on ``asyncio.Protocol`` connections (on uvloop
when it is installed, as it is with uvicorn[standard]), responses are parsed only as far as needed
(status, Content-Length, Set-Cookie). Its own CPU time is measured per phase (``getrusage``) and reported.

The senders it drives are the respondents of ``bench/respondents.py``. Two ways to drive them:
    closed loop  N requests always in flight (each respondent sends again as soon as it is answered)
    open loop    each respondent on its own Poisson schedule; latency runs from the *scheduled* time,
                 so a save that waits behind a slow one counts its wait (no coordinated omission)
"""

from __future__ import annotations

import asyncio
import random
import re
import resource
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any


class HttpError(Exception):
    pass


@dataclass
class Reply:
    status: int
    head: bytes  # the header block, lowercased (for finding headers)
    body: bytes
    raw_head: bytes = b""  # as sent (cookie values are case-sensitive)

    def header(self, name: bytes) -> bytes | None:
        at = self.head.find(b"\r\n" + name + b":")
        if at < 0:
            return None
        end = self.head.find(b"\r\n", at + 2)
        return self.head[at + len(name) + 3 : end if end >= 0 else None].strip()

    def cookies(self) -> dict[str, str]:
        found = {}
        for match in re.finditer(rb"(?i)\r\nset-cookie:\s*([^=]+)=([^;\r]*)", self.raw_head):
            found[match.group(1).decode()] = match.group(2).decode()
        return found


class Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection; one request at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[Reply] | None = None
        self.head_end = -1
        self.length = 0

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        loop = asyncio.get_running_loop()
        _, protocol = await loop.create_connection(cls, host, port)
        return protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(HttpError(f"connection lost: {exc}"))

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.waiter is None or self.waiter.done():
            return
        if self.head_end < 0:
            self.head_end = self.buffer.find(b"\r\n\r\n")
            if self.head_end < 0:
                return
            self._raw = bytes(self.buffer[: self.head_end])
            head = self._raw.lower()
            at = head.find(b"\r\ncontent-length:")
            if at < 0:
                self.waiter.set_exception(HttpError("response without content-length"))
                return
            end = head.find(b"\r\n", at + 2)
            self.length = int(head[at + 17 : end if end >= 0 else None])
            self._head = head
        total = self.head_end + 4 + self.length
        if len(self.buffer) >= total:
            body = bytes(self.buffer[self.head_end + 4 : total])
            del self.buffer[:total]
            status = int(self._head[9:12])
            self.head_end = -1
            self.waiter.set_result(Reply(status, self._head, body, self._raw))

    async def send(self, request: bytes) -> Reply:
        if self.transport is None:
            raise HttpError("connection closed")
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        try:
            return await self.waiter
        except asyncio.CancelledError:
            # Its answer would arrive as the answer to the next request: this connection is done.
            self.close()
            raise
        finally:
            self.waiter = None

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
            self.transport = None


def get(path: str, *, cookie: str = "", extra: str = "") -> bytes:
    cookie_line = f"Cookie: {cookie}\r\n" if cookie else ""
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{cookie_line}{extra}\r\n".encode()


def post(path: str, body: bytes, *, cookie: str, csrf: str = "", htmx: bool = True) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n"
        + ("HX-Request: true\r\n" if htmx else "")
        + (f"X-CSRF-Token: {csrf}\r\n" if csrf else "")
        + "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


CSRF_RE = re.compile(rb'"X-CSRF-Token": "([^"]+)"')
SESSION_COOKIE = "innspill_session"


@dataclass
class Stats:
    """Latencies (seconds) and outcomes of one phase."""

    latencies: list[float] = field(default_factory=list)
    done_at: list[float] = field(default_factory=list)
    ok: int = 0
    not_stored: int = 0  # 200 but not acknowledged as stored (unchanged, refused)
    conflicts: int = 0
    errors: int = 0  # status other than 200, or a broken connection
    statuses: dict[int, int] = field(default_factory=dict)
    lag: list[float] = field(default_factory=list)  # open loop: how late the generator woke up to send
    offered: int = 0  # open loop: saves scheduled in the window
    unserved: int = 0  # open loop: of those, not answered by the end of the phase

    def add(self, started: float, reply: Reply | None, ok: bool, conflict: bool = False) -> None:
        now = time.perf_counter()
        self.latencies.append(now - started)
        self.done_at.append(now)
        if reply is None:
            self.errors += 1
            return
        self.statuses[reply.status] = self.statuses.get(reply.status, 0) + 1
        if reply.status != 200:
            self.errors += 1
        elif conflict:
            self.conflicts += 1
        elif ok:
            self.ok += 1
        else:
            self.not_stored += 1


Sender = Callable[[Stats, float | None], Awaitable[None]]


# --- loops -------------------------------------------------------------------------------------------


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Window(Stats):
    """Stats that count only the requests answered inside a time window."""

    def __init__(self, start: float, end: float) -> None:
        super().__init__()
        self.start, self.end = start, end

    def add(self, started: float, reply: Reply | None, ok: bool, conflict: bool = False) -> None:
        if self.start <= time.perf_counter() <= self.end:
            super().add(started, reply, ok, conflict)


async def closed_loop(
    senders: list[Sender], *, warmup: float, duration: float, grace: float = 5.0
) -> tuple[Stats, float]:
    """Every sender sends again as soon as it is answered; the requests answered in the window after
    ``warmup`` count (however long before it they were sent). Requests still out ``grace`` seconds after
    the window are abandoned (their connections closed) and counted as ``unserved``."""
    start = time.perf_counter()
    stats = Window(start + warmup, start + warmup + duration)
    cpu0: list[float] = []

    async def run(send: Sender) -> None:
        while time.perf_counter() < stats.end:
            if not cpu0 and time.perf_counter() >= stats.start:
                cpu0.append(cpu_seconds())
            await send(stats, None)

    tasks = [asyncio.ensure_future(run(s)) for s in senders]
    _, pending = await asyncio.wait(tasks, timeout=stats.end + grace - time.perf_counter())
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    stats.unserved = len(pending)
    return stats, cpu_seconds() - (cpu0[0] if cpu0 else cpu_seconds())


async def open_loop(
    senders: list[Sender], *, rate: float, warmup: float, duration: float, grace: float = 3.0, seed: int = 0
) -> tuple[Stats, float]:
    """Each sender offers ``rate / len(senders)`` saves per second on its own Poisson schedule.

    A save scheduled while the sender's previous one is still out waits for it (like htmx's queue) and
    its latency counts from the scheduled time. Only saves scheduled after ``warmup`` count. The phase
    ends ``grace`` seconds after the window: a save scheduled in the window and not answered by then is
    counted as ``unserved``, with the time it had waited as its latency (a lower bound), so a server that
    falls behind shows in p99 and in the count instead of making the phase run on while it catches up.
    """
    stats, ignored = Stats(), Stats()
    each = rate / len(senders)
    start = time.perf_counter()
    window = (start + warmup, start + warmup + duration)
    rng = random.Random(seed)
    schedules = []
    for _ in senders:
        due, times = start + rng.expovariate(each), []
        while due < window[1]:
            times.append(due)
            due += rng.expovariate(each)
        schedules.append(times)
    stats.offered = sum(1 for times in schedules for t in times if t >= window[0])
    position = [0] * len(senders)
    cpu_start = [0.0]

    async def run(i: int, send: Sender) -> None:
        for due in schedules[i]:
            now = time.perf_counter()
            if due > now:
                await asyncio.sleep(due - now)
                if due >= window[0]:
                    stats.lag.append(time.perf_counter() - due)
            await send(stats if due >= window[0] else ignored, due)
            position[i] += 1

    async def mark_cpu() -> None:
        await asyncio.sleep(warmup)
        cpu_start[0] = cpu_seconds()

    marker = asyncio.ensure_future(mark_cpu())
    tasks = [asyncio.ensure_future(run(i, s)) for i, s in enumerate(senders)]
    _, pending = await asyncio.wait(tasks, timeout=window[1] + grace - time.perf_counter())
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    ended = time.perf_counter()
    for i, times in enumerate(schedules):
        for due in times[position[i] :]:
            if due >= window[0]:
                stats.unserved += 1
                stats.latencies.append(ended - due)
    await marker
    return stats, cpu_seconds() - cpu_start[0]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def summary(stats: Stats, duration: float) -> dict[str, Any]:
    """Throughput (acknowledged saves per second of the window), latency percentiles in ms, outcomes."""
    lat = stats.latencies
    per_second: dict[int, int] = {}
    if stats.done_at:
        first = min(stats.done_at)
        for t in stats.done_at:
            per_second[int(t - first)] = per_second.get(int(t - first), 0) + 1
    full_seconds = [v for k, v in per_second.items() if 0 < k < int(duration) - 1]
    return {
        "requests": len(lat),
        "offered": stats.offered or None,
        "acknowledged": stats.ok,
        "unserved": stats.unserved,
        "throughput_per_s": stats.ok / duration,
        "p50_ms": percentile(lat, 50) * 1000,
        "p90_ms": percentile(lat, 90) * 1000,
        "p99_ms": percentile(lat, 99) * 1000,
        "p999_ms": percentile(lat, 99.9) * 1000,
        "max_ms": max(lat) * 1000 if lat else float("nan"),
        "slowest_second": min(full_seconds) if full_seconds else None,
        "not_stored": stats.not_stored,
        "conflicts": stats.conflicts,
        "errors": stats.errors + stats.unserved,
        "statuses": {str(k): v for k, v in sorted(stats.statuses.items())},
        "generator_lag_p99_ms": percentile(stats.lag, 99) * 1000 if stats.lag else None,
    }
