"""The typed contents of a recommendation scenario's JSON columns, one name per concept.

A scenario keeps its figures (one row per municipality), its rules and its overrides as JSON, so that it
gives the same numbers tomorrow. ``PydanticJSON`` validates them on the way in and hands back the models on
the way out; the service, the routes and the templates see ``FigureRow``, ``RulesSpec`` and
``OverrideRecord``, never a dict of strings. The Norwegian column names of the figures file
(``forrige_anmodning``, ``vedtak`` …) and the rules file's keys stay at the edges where people type them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


class FigureRow(BaseModel):
    """One municipality's figures as the scenario uses them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kommunenummer: str = Field(min_length=4, max_length=4)
    name: str
    region: str = ""
    last_request: int = Field(default=0, ge=0)  # last year's request from IMDi (0: none)
    decision: int | None = Field(default=None, ge=0)  # the council's decision for the year (None: none)
    decision_minors: int | None = Field(default=None, ge=0)  # of it, unaccompanied minors
    population: int | None = Field(default=None, ge=0)
    criteria: dict[str, float | None] = Field(default_factory=dict)


class OverrideRecord(BaseModel):
    """A number set by hand for one municipality, who set it, when and why."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    number: int = Field(ge=0)
    reason: str
    by: str = ""
    at: datetime | None = None


class PydanticJSON(sa.types.TypeDecorator[Any]):
    """A JSON column read and written through a pydantic type (a model, or a list or dict of models)."""

    impl = sa.JSON
    cache_ok = True

    def __init__(self, model_type: Any) -> None:
        super().__init__()
        self.model_type = model_type
        self.adapter: TypeAdapter[Any] = TypeAdapter(model_type)

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        return self.adapter.dump_python(self.adapter.validate_python(value), mode="json")

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Any:
        return None if value is None else self.adapter.validate_python(value)

    def __repr__(self) -> str:
        # What Alembic writes into a generated migration: the column is plain JSON in the database.
        return "sa.JSON()"
