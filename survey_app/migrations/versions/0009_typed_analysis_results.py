"""analysis run: typed results, one name per concept

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-09 10:00:00.000000

An analysis run's results are read and written as ``survey_app.analysis_data.RunResults``. Their keys stay
as they were but one: an unexpressed need called the parameter's bottom-quartile cut ``cut``, which the
parameter itself calls ``bottom_quartile_cut``; stored runs take that name. The schema does not change.
"""

import json
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD, NEW = "cut", "bottom_quartile_cut"

run = sa.table("analysis_run", sa.column("id", sa.Integer), sa.column("results", sa.JSON))


def _load(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _renamed(entry: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    # Idempotent, and the key keeps its place, so the stored JSON reads as the new code writes it.
    return {new if key == old else key: value for key, value in entry.items()}


def _each_run(change: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    connection = op.get_bind()
    # One run at a time: a large county's results run to megabytes, and a database keeps every run.
    for run_id in connection.execute(sa.select(run.c.id).order_by(run.c.id)).scalars().all():
        results = _load(connection.execute(sa.select(run.c.results).where(run.c.id == run_id)).scalar_one())
        if isinstance(results, dict) and isinstance(results.get("unexpressed"), list):
            connection.execute(run.update().where(run.c.id == run_id).values(results=change(results)))


def upgrade() -> None:
    _each_run(lambda r: {**r, "unexpressed": [_renamed(u, OLD, NEW) for u in r["unexpressed"]]})


def downgrade() -> None:
    _each_run(lambda r: {**r, "unexpressed": [_renamed(u, NEW, OLD) for u in r["unexpressed"]]})
