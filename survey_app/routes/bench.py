"""Bench-only endpoints: the ceilings `make bench` sets beside autosave (bench/web.py).

Mounted only when ``Settings.bench_routes`` is on (``SURVEY_APP_BENCH_ROUTES=true``), which production
refuses. Both take the same request as autosave (a form POST with the session cookie and the CSRF
header, through the same middleware and CSRF check) and do the least an endpoint of this app can:

    POST /_bench/json    answers a constant JSON object: the cost of the stack around a route
    POST /_bench/insert  reads the form and inserts one row (the number of fields) in its own table in a
                         write transaction, as services do (``begin_write``, then commit): the cost of
                         the stack plus one durable write

The table is not part of the app's schema (it has its own ``MetaData``, so Alembic never sees it); it is
created on first use.
"""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.responses import JSONResponse

from survey_app.db import begin_write
from survey_app.deps import SessionDep
from survey_app.forms import FormDataDep
from survey_app.models import utcnow

router = APIRouter(prefix="/_bench")

_metadata = sa.MetaData()
bench_row = sa.Table(
    "bench_row",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("body", sa.Integer, nullable=False),
)
_created: set[int] = set()


@router.post("/json", name="bench_json")
async def bench_json() -> JSONResponse:
    return JSONResponse({"ok": True})


@router.post("/insert", name="bench_insert")
def bench_insert(form: FormDataDep, session: SessionDep) -> JSONResponse:
    # A form route like autosave, so both run the same way: the form read on the event loop, the
    # database work in the thread pool (a write never waits for SQLite's lock on the loop).
    engine = session.get_bind()
    if id(engine) not in _created:
        _metadata.create_all(engine, checkfirst=True)
        _created.add(id(engine))
    begin_write(session)
    new_id = session.execute(
        sa.insert(bench_row).values(at=utcnow(), body=len(form)).returning(bench_row.c.id)
    ).scalar_one()
    session.commit()
    return JSONResponse({"ok": True, "id": new_id})
