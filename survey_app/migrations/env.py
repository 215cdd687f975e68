"""Alembic environment. The engine is passed in by ``survey_app.db.upgrade``; no URL lives in a file."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import survey_app.models  # noqa: F401  (registers the tables on SQLModel.metadata)

target_metadata = SQLModel.metadata
engine = context.config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    context.run_migrations()
