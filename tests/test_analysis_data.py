"""An analysis run's results are typed: only ``RunResults`` is stored, it is read back as one, and runs
stored before migration 0009 are read as one too."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from pydantic import ValidationError
from sqlmodel import Session, select

from survey_app.analysis_data import RunResults, UnexpressedNeed
from survey_app.config import Settings
from survey_app.db import alembic_config, make_engine, upgrade
from survey_app.models import AnalysisRun
from tests.factories import make_world, small_run_results

# A run as ``analyze`` stored it before 0009: two municipalities, one parameter, a stated need, an
# unexpressed need (with ``cut``, the name 0009 retires) and a topic. Kept literal: it is what databases hold.
BEFORE_0009: dict[str, Any] = {
    "parameters": {
        "frivillighet": {
            "label": "Frivillighet",
            "theme": "sivilsamfunn",
            "weight": 1.0,
            "min_share": 0.5,
            "county": {"mean": 62.5, "median": 62.5, "n": 2},
            "regions": {"Drammensregionen": {"mean": 62.5, "median": 62.5, "n": 2}},
            "alpha": None,
            "ranks": {"1": 1, "2": 2},
            "bottom_quartile_cut": 43.75,
        }
    },
    "units": {
        "1": {
            "name": "Drammen",
            "kommunenummer": "3005",
            "regions": ["Drammensregionen"],
            "index": 100.0,
            "index_rank": 1,
            "parameters": {
                "frivillighet": {
                    "value": 100.0,
                    "answered": 2,
                    "items": 2,
                    "contributions": [
                        {
                            "key": "politikk",
                            "question_id": "politikk",
                            "value": "ja",
                            "score": 100.0,
                            "weight": 1.0,
                            "share": 0.5,
                        },
                        {
                            "key": "enighet.samarbeid",
                            "question_id": "enighet",
                            "value": 4,
                            "score": 100.0,
                            "weight": 1.0,
                            "share": 0.5,
                        },
                    ],
                }
            },
        },
        "2": {
            "name": "Lier",
            "kommunenummer": "3049",
            "regions": ["Drammensregionen"],
            "index": 25.0,
            "index_rank": 2,
            "parameters": {
                "frivillighet": {
                    "value": 25.0,
                    "answered": 1,
                    "items": 2,
                    "contributions": [
                        {
                            "key": "politikk",
                            "question_id": "politikk",
                            "value": "nei",
                            "score": 0.0,
                            "weight": 1.0,
                            "share": 0.0,
                        },
                        {
                            "key": "enighet.samarbeid",
                            "question_id": "enighet",
                            "value": "vet_ikke",
                            "score": None,
                            "weight": 1.0,
                            "share": 0.0,
                        },
                    ],
                }
            },
        },
    },
    "sensitivity": [
        {"parameter": "frivillighet", "factor": 0.8, "max_shift": 0, "moved": 0},
        {"parameter": "frivillighet", "factor": 1.2, "max_shift": 0, "moved": 0},
    ],
    "index": {
        "county": {"mean": 62.5, "median": 62.5, "n": 2},
        "regions": {"Drammensregionen": {"mean": 62.5, "median": 62.5, "n": 2}},
    },
    "prevalence": {"Drammensregionen": {"plan": 1, "sivilsamfunn": 0}},
    "needs": [
        {
            "unit": "1",
            "name": "Drammen",
            "regions": ["Drammensregionen"],
            "question_id": "tiltak",
            "sentence": "Vi trenger en oppdatert plan.",
            "cue": "trenger",
            "themes": ["plan"],
        }
    ],
    "unexpressed": [
        {
            "unit": "2",
            "name": "Lier",
            "parameter": "frivillighet",
            "label": "Frivillighet",
            "theme": "sivilsamfunn",
            "value": 25.0,
            "cut": 43.75,
            "stated_themes": [],
        }
    ],
    "topics": [{"terms": ["buss", "kveld"], "examples": ["Ingen buss om kvelden."], "size": 1}],
    "texts": 2,
    "poorly_covered": 1,
}

runs = sa.table(
    "analysis_run",
    sa.column("id", sa.Integer),
    sa.column("round_id", sa.Integer),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("code_version", sa.String),
    sa.column("model_version", sa.String),
    sa.column("results", sa.JSON),
)


def test_a_run_stored_before_0009_is_read_as_the_model(tmp_path: Path, settings: Settings) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        upgrade(engine)
        with Session(engine) as session:
            round_id = make_world(session, settings).round.id
        config = alembic_config(engine)
        command.downgrade(config, "0008")
        with engine.begin() as conn:
            conn.execute(
                runs.insert().values(
                    round_id=round_id,
                    created_at=sa.func.current_timestamp(),
                    code_version="innspill 0.1.0+old",
                    model_version="tema-old-0",
                    results=BEFORE_0009,
                )
            )

        command.upgrade(config, "head")
        with Session(engine) as session:
            results = session.exec(select(AnalysisRun)).one().results
        assert isinstance(results, RunResults)
        assert results.unexpressed == [
            UnexpressedNeed(
                unit="2",
                name="Lier",
                parameter="frivillighet",
                label="Frivillighet",
                theme="sivilsamfunn",
                value=25.0,
                bottom_quartile_cut=43.75,
                stated_themes=[],
            )
        ]
        # Nothing else is renamed, added or lost on the way.
        renamed = copy.deepcopy(BEFORE_0009)
        renamed["unexpressed"][0]["bottom_quartile_cut"] = renamed["unexpressed"][0].pop("cut")
        assert results.model_dump(mode="json") == renamed

        # And back, for the code before 0009.
        command.downgrade(config, "0008")
        with engine.connect() as conn:
            assert conn.execute(sa.select(runs.c.results)).scalar_one() == BEFORE_0009
    finally:
        engine.dispose()


def test_results_are_read_back_as_they_were_written(session: Session, settings: Settings) -> None:
    world = make_world(session, settings)
    session.add(
        AnalysisRun(round_id=world.round.id, code_version="t", model_version="t", results=small_run_results())
    )
    session.commit()
    session.expire_all()
    assert session.exec(select(AnalysisRun)).one().results == small_run_results()


@pytest.mark.parametrize(
    ("results", "where"),
    [
        pytest.param({}, "units", id="empty"),
        pytest.param(BEFORE_0009, "unexpressed.0.cut", id="a key 0009 renamed"),
        pytest.param(
            small_run_results().model_dump() | {"scores": {}}, "scores", id="a key the model does not know"
        ),
        pytest.param(
            small_run_results().model_dump() | {"texts": "mange"}, "texts", id="a count that is no number"
        ),
    ],
)
def test_malformed_results_are_refused(
    session: Session, settings: Settings, results: dict[str, Any], where: str
) -> None:
    world = make_world(session, settings)
    session.add(AnalysisRun(round_id=world.round.id, code_version="t", model_version="t", results=results))
    with pytest.raises(sa.exc.StatementError) as caught:
        session.flush()
    error = caught.value.orig
    assert isinstance(error, ValidationError)
    assert where in {".".join(map(str, e["loc"])) for e in error.errors()}
