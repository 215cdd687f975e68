"""Respondents for the load test: municipalities saving answers the way the browser's autosave does.

Each has its own invitation, session cookie and CSRF token; it changes one answer at a time to a new valid
value (the demo's synthetic answers and the codebook's texts) and sends the question's fields with their
``v:`` stamps as htmx would (``hx-params``), keeping each key's stamp from the previous response, so no save
is a conflict. A save counts as acknowledged only when the response is 200, says «Lagret/Lagra kl.» and
carries the key's next version. A ``Ceiling`` sends the same requests to a bench-only endpoint.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from dataclasses import dataclass
from urllib.parse import quote, quote_plus

from loadgen import CSRF_RE, SESSION_COOKIE, Connection, HttpError, Reply, Stats, get, post

from survey_app.forms import VERSION_PREFIX, Value, fingerprint, keys_of
from survey_app.questionnaires import QuestionnaireDef


@dataclass(frozen=True)
class Field:
    """One autosaved question: its keys and, per key, the values a respondent may change it to."""

    question_id: str
    path: str
    keys: list[str]
    choices: dict[str, list[Value]]


def fields_of(definition: QuestionnaireDef, samples: list[dict[str, Value]]) -> list[Field]:
    """The questions autosave is measured on: every question not behind a ``show_if`` that the samples
    give at least two distinct values for (a change always changes something)."""
    found = []
    for question in definition.questions():
        if question.show_if is not None:
            continue
        keys = keys_of(question)
        choices: dict[str, list[Value]] = {}
        for key in keys:
            distinct: dict[str, Value] = {}
            for sample in samples:
                if sample.get(key) is not None:
                    distinct.setdefault(fingerprint(sample[key]), sample[key])
            if len(distinct) >= 2:
                choices[key] = list(distinct.values())
        if choices:
            found.append(Field(question.id, f"/svar/sporsmal/{quote(question.id)}", keys, choices))
    return found


def _encode(key: str, value: Value) -> list[str]:
    name = quote_plus(key)
    if value is None:
        return []
    if isinstance(value, list):
        return [f"{name}={quote_plus(v)}" for v in value]
    return [f"{name}={quote_plus(str(value))}"]


STAMP_RE = re.compile(rb'name="v:([^"]+)" value="([0-9]+):([0-9a-f]*)" hx-swap-oob="true"')
STORED_RE = re.compile(rb'name="v:([^"]+)" value="([0-9]+):([0-9a-f]*)"')
SAVED = (b"Lagret kl.", b"Lagra kl.")


class Respondent:
    """One municipality's coordinator: an invitation, a session and one connection."""

    def __init__(self, link: str, fields: list[Field], seed: int) -> None:
        self.link = link
        self.fields = fields
        self.rng = random.Random(seed)
        self.conn: Connection | None = None
        self.address = ("127.0.0.1", 0)
        self.cookie = ""
        self.csrf = ""
        self.values: dict[str, Value] = {}
        self.versions: dict[str, int] = {}
        self.stamps: dict[str, str] = {}
        self.stale: tuple[str, Value, Field] | None = None
        self._pending: tuple[str, Value, Field] = ("", None, fields[0])

    async def send(self, request: bytes) -> Reply:
        """Send on this respondent's connection, opening a new one if the server closed it (idle)."""
        if self.conn is None or self.conn.transport is None:
            self.conn = await Connection.open(*self.address)
        try:
            return await self.conn.send(request)
        except HttpError:
            if self.conn.transport is not None or self.conn.buffer:
                raise
            # The server closed the idle connection as this request went out: a browser sends it again
            # on a new connection, and so does this.
            self.conn = await Connection.open(*self.address)
            return await self.conn.send(request)

    async def enter(self, host: str, port: int) -> None:
        """Open the invitation link, then the start page (which puts the CSRF token in the session)."""
        self.address = (host, port)
        self.conn = await Connection.open(host, port)
        await self.start()

    async def start(self) -> None:
        """On the connection it has: the invitation link, then the start page (``enter`` opens one)."""
        reply = await self.conn.send(get(self.link))
        if reply.status != 303 or SESSION_COOKIE not in reply.cookies():
            raise HttpError(f"invitation link gave {reply.status}")
        self.cookie = f"{SESSION_COOKIE}={reply.cookies()[SESSION_COOKIE]}"
        reply = await self.conn.send(get("/svar", cookie=self.cookie))
        match = CSRF_RE.search(reply.body)
        if reply.status != 200 or not match:
            raise HttpError(f"/svar gave {reply.status}")
        self.csrf = match.group(1).decode()
        self.cookie = f"{SESSION_COOKIE}={reply.cookies().get(SESSION_COOKIE, self.cookie.split('=', 1)[1])}"
        for f in self.fields:
            for key in f.keys:
                self.versions[key] = 0
                self.stamps[key] = f"0:{fingerprint(None)}"

    async def resync(self) -> None:
        """After a save whose answer never came (the phase ended): read what was stored for that key."""
        assert self.stale is not None
        key, pending, f = self.stale
        self.stale = None
        reply = await self.send(get(f.path, cookie=self.cookie, extra="HX-Request: true\r\n"))
        for k, version, fp in STORED_RE.findall(reply.body):
            name = k.decode()
            self.stamps[name] = f"{version.decode()}:{fp.decode()}"
            self.versions[name] = int(version)
            if name == key and fp.decode() == fingerprint(pending):
                self.values[key] = pending

    def next_save(self) -> tuple[bytes, str, Field]:
        """The next change: one key of one question to a new value, with the question's other fields."""
        f = self.rng.choice(self.fields)
        key = self.rng.choice(list(f.choices))
        current = fingerprint(self.values.get(key))
        options = [v for v in f.choices[key] if fingerprint(v) != current]
        new = self.rng.choice(options)
        parts: list[str] = []
        for k in f.keys:
            parts += _encode(k, new if k == key else self.values.get(k))
            parts.append(f"{quote_plus(VERSION_PREFIX + k)}={quote_plus(self.stamps[k])}")
        self._pending = (key, new, f)
        return post(f.path, "&".join(parts).encode(), cookie=self.cookie, csrf=self.csrf), key, f

    def take(self, reply: Reply, key: str) -> tuple[bool, bool]:
        """Read a save's reply: (acknowledged as stored, conflict). Keeps the stamps it carries."""
        if reply.status != 200:
            return False, False
        body = reply.body
        conflict = b"ds-alert conflict" in body
        saved = any(s in body for s in SAVED)
        stored_version = None
        for k, version, fp in STAMP_RE.findall(body):
            name = k.decode()
            self.stamps[name] = f"{version.decode()}:{fp.decode()}"
            if name == key:
                stored_version = int(version)
        ok = saved and not conflict and stored_version == self.versions.get(key, 0) + 1
        if ok:
            self.values[key] = self._pending[1]
            self.versions[key] = stored_version or 0
        return ok, conflict

    async def save(self, stats: Stats, started: float | None = None) -> None:
        if self.stale is not None:
            await self.resync()
        request, key, _ = self.next_save()
        begun = time.perf_counter() if started is None else started
        try:
            reply = await self.send(request)
        except (HttpError, OSError):
            stats.add(begun, None, False)
            return
        except asyncio.CancelledError:
            self.stale = self._pending
            raise
        ok, conflict = self.take(reply, key)
        stats.add(begun, reply, ok, conflict)


class Ceiling:
    """A respondent's session sending the same kind of request to a bench-only endpoint."""

    def __init__(self, respondent: Respondent, path: str) -> None:
        self.r = respondent
        self.path = path

    async def save(self, stats: Stats, started: float | None = None) -> None:
        request, _, _ = self.r.next_save()
        request = request.replace(request[: request.index(b" HTTP/1.1")], b"POST " + self.path.encode(), 1)
        begun = time.perf_counter() if started is None else started
        try:
            reply = await self.r.send(request)
        except (HttpError, OSError):
            stats.add(begun, None, False)
            return
        stats.add(begun, reply, reply.status == 200 and reply.body.startswith(b'{"ok":true'))
