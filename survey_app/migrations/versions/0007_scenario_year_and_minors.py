"""scenario: year, unaccompanied minors, survey columns, sources, and typed JSON with one name per concept

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 12:40:00.000000

Stored figures and overrides move from mixed Norwegian keys (``forrige_anmodning``, ``antall`` …) to the
typed models' names (``survey_app.scenario_data``); stored rules lose ``regional_balanse``, which the
stability-first model retired.
"""

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "integreringsindeks"


def _load(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _figure(row: dict[str, Any]) -> dict[str, Any]:
    criteria = dict(row.get("kriterier") or {})
    population = criteria.get("innbyggere")
    return {
        "kommunenummer": row["kommunenummer"],
        "name": row.get("kommune") or row["kommunenummer"],
        "region": row.get("region") or "",
        "last_request": int(row.get("forrige_anmodning") or 0),
        "decision": row.get("vedtak"),
        "decision_minors": row.get("vedtak_ema"),
        "population": None if population is None else int(population),
        "criteria": criteria,
    }


def _override(value: dict[str, Any]) -> dict[str, Any]:
    return {
        "number": int(value["antall"]),
        "reason": str(value.get("begrunnelse", "")),
        "by": str(value.get("av", "")),
        "at": value.get("tid") or None,
    }


def upgrade() -> None:
    with op.batch_alter_table("scenario", schema=None) as batch_op:
        batch_op.add_column(sa.Column("year", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("minors_total", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("survey_columns", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(sa.Column("sources", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
    scenario = sa.table(
        "scenario",
        sa.column("id", sa.Integer),
        sa.column("rules", sa.JSON),
        sa.column("figures", sa.JSON),
        sa.column("overrides", sa.JSON),
        sa.column("criteria_columns", sa.JSON),
        sa.column("criteria_labels", sa.JSON),
        sa.column("survey_columns", sa.JSON),
    )
    connection = op.get_bind()
    for row in connection.execute(sa.select(scenario)).mappings().all():
        rules = dict(_load(row["rules"]) or {})
        rules.pop("regional_balanse", None)
        figures = [_figure(r) for r in _load(row["figures"]) or []]
        overrides = {k: _override(v) for k, v in (_load(row["overrides"]) or {}).items()}
        columns = _load(row["criteria_columns"]) or []
        labels = _load(row["criteria_labels"]) or {}
        survey = [c for c in columns if c == INDEX or c in labels]
        connection.execute(
            scenario.update()
            .where(scenario.c.id == row["id"])
            .values(rules=rules, figures=figures, overrides=overrides, survey_columns=survey)
        )


def downgrade() -> None:
    with op.batch_alter_table("scenario", schema=None) as batch_op:
        batch_op.drop_column("sources")
        batch_op.drop_column("survey_columns")
        batch_op.drop_column("minors_total")
        batch_op.drop_column("year")
