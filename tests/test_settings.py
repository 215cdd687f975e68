"""Settings: production refuses unsafe ones, the bench-only endpoints exist only when asked for, and a
served app (not a test one) leaves what it holds at start out of garbage collections."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pydantic import ValidationError

from survey_app.config import Settings
from survey_app.main import create_app
from tests.conftest import csrf_of

KEY = "k" * 32
PG = "postgresql://innspill@db.example/innspill"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"secret_key": None}, "SURVEY_APP_SECRET_KEY"),
        ({"secret_key": "kort"}, "SURVEY_APP_SECRET_KEY"),
        ({"database_url": None}, "DATABASE_URL"),
        ({"bench_routes": True}, "SURVEY_APP_BENCH_ROUTES"),
    ],
)
def test_production_refuses_unsafe_settings(tmp_path: Path, changes: dict[str, object], message: str) -> None:
    safe: dict[str, object] = {"data_dir": tmp_path, "secret_key": KEY, "database_url": PG}
    Settings(environment="production", **safe)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=message):
        Settings(environment="production", **{**safe, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize("bench_routes", [False, True])
def test_bench_endpoints_exist_only_when_asked_for(
    settings: Settings, engine: sa.Engine, bench_routes: bool
) -> None:
    app = create_app(settings.model_copy(update={"bench_routes": bench_routes}), engine=engine)
    with TestClient(app, follow_redirects=False) as client:
        token = csrf_of(client)
        replies = [
            client.post(f"/_bench/{name}", headers={"X-CSRF-Token": token}) for name in ("json", "insert")
        ]
    assert [r.status_code for r in replies] == ([200, 200] if bench_routes else [404, 404])


def test_a_served_app_freezes_what_it_holds_at_start(settings: Settings, engine: sa.Engine) -> None:
    """Outside the test suite the app leaves what it holds at start out of garbage collections (their
    pauses were the staff pages' slowest requests); the suite itself does not, or its apps would pile up."""
    gc.unfreeze()
    with TestClient(create_app(settings, engine=engine)):
        assert gc.get_freeze_count() == 0
    served = settings.model_copy(update={"environment": "development"})
    try:
        with TestClient(create_app(served, engine=engine)):
            assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
