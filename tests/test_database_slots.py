"""On PostgreSQL one process lets no more requests use the database at once than its pool has connections.

The dependencies run on the event loop (deps.get_session), so a request that waited there for a pooled
connection would stop the loop, and with it the requests that hold the connections and need the loop to
give them back: every request then failed after the pool's 30 s timeout. Instead a request waits for a
slot without blocking anything (the slots are the pool's size plus its overflow).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session

from survey_app.config import Settings
from survey_app.main import create_app
from survey_app.models import Role
from tests.factories import make_staff, make_world
from tests.test_staff import login


def test_the_pool_and_the_slots_come_from_the_settings(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path, database_url=None).database_slots is None  # SQLite: no pool limit
    pg = Settings(
        data_dir=tmp_path,
        database_url="postgresql://innspill@db.example/innspill",
        database_pool_size=3,
        database_max_overflow=2,
    )
    assert pg.database_slots == 5
    app = create_app(pg)
    pool = app.state.engine.pool
    assert isinstance(pool, sa.QueuePool) and pool.size() == 3
    app.state.engine.dispose()


def test_many_requests_share_a_pool_of_one_connection(
    engine: sa.Engine, session: Session, settings: Settings
) -> None:
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite's pool is unbounded: there is nothing to wait for")
    world = make_world(session, settings)
    make_staff(session, Role.radgiver)
    one = settings.model_copy(update={"database_pool_size": 1, "database_max_overflow": 0})
    app = create_app(one)  # its own engine, with that pool
    try:
        with TestClient(app, follow_redirects=False) as client:
            assert login(client, "radgiver@fylke.test").status_code == 303
            page = f"/ansatt/runder/{world.round.id}"
            # From threads, into the one event loop of the client: the sync route of one request holds
            # the connection while the next one's (async) dependencies want it.
            with ThreadPoolExecutor(8) as pool:
                codes = list(pool.map(lambda _: client.get(page).status_code, range(24)))
        assert codes == [200] * 24
    finally:
        app.state.engine.dispose()
