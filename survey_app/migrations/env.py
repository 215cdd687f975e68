"""Alembic environment. The engine is passed in by ``survey_app.db.upgrade``; no URL lives in a file."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from sqlmodel import SQLModel

import survey_app.models

target_metadata = SQLModel.metadata
engine = context.config.attributes["engine"]


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    # Migrations must not import app code that may change later: UTCDateTime is plain DateTime in SQL.
    if type_ == "type" and isinstance(obj, survey_app.models.UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
        render_item=render_item,
    )
    context.run_migrations()
