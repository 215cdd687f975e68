"""A submitted response stays submitted: a save that read its draft before the submit cannot undo it.

The interleaving is forced, not hoped for: the save's draft is read first, the submit commits in its own
session, then the save goes on with what it read — the order that, at some timings, left a response
«gjenåpnet» with answers changed after it was submitted (issue 13, item 4). On SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from survey_app.config import Settings
from survey_app.models import Answer, AuditEvent, Response, ResponseStatus, RoundStatus
from survey_app.services import responses, rounds
from tests.factories import World, make_world


@pytest.fixture
def world(session: Session, settings: Settings) -> World:
    return make_world(session, settings)


@pytest.fixture
def other(engine: sa.Engine) -> Iterator[Session]:
    """A second connection, as a colleague's request has."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


def stored(engine: sa.Engine, response_id: int) -> tuple[ResponseStatus, dict[str, object]]:
    with Session(engine) as fresh:
        response = fresh.get(Response, response_id)
        assert response is not None
        answers = {
            a.question_id: a.value
            for a in fresh.exec(select(Answer).where(Answer.response_id == response_id))
        }
        return response.status, answers


def test_a_save_that_read_its_draft_before_a_submit_changes_nothing(
    world: World, session: Session, other: Session, engine: sa.Engine
) -> None:
    response = world.response(session, "3005")
    assert response.id is not None
    draft = responses.load_draft(session, response_id=response.id)
    responses.save(session, draft=draft, changes={"politikk": ("ja", 0)}, editor="Kari")

    # A colleague's autosave reads its draft: the response is still being written.
    stale = responses.load_draft(other, response_id=response.id)
    assert stale.read_only_reason is None
    # The leader submits, and it commits.
    leader = responses.load_draft(session, response_id=response.id)
    assert responses.submit(session, draft=leader, signer_name="Leder", signer_role="Kommunalsjef") == []
    # Now the colleague's save goes on with the draft it read: it is refused, and writes nothing.
    with pytest.raises(responses.ReadOnly):
        responses.save(
            other, draft=stale, changes={"politikk": ("nei", 1), "stilling": ("Rådgiver", 0)}, editor="Ola"
        )

    status, answers = stored(engine, response.id)
    assert status == ResponseStatus.submitted
    assert answers == {"politikk": "ja"}
    with Session(engine) as fresh:
        actions = [
            e.action
            for e in fresh.exec(
                select(AuditEvent).where(
                    AuditEvent.object_type == "response", AuditEvent.object_id == str(response.id)
                )
            )
        ]
    assert actions == ["response.submit"]
    # The refused save's draft now knows, so the page says why.
    assert stale.read_only_reason is not None


def test_a_save_that_read_its_draft_before_the_round_closed_changes_nothing(
    world: World, session: Session, other: Session, engine: sa.Engine
) -> None:
    response = world.response(session, "3043")
    assert response.id is not None
    stale = responses.load_draft(other, response_id=response.id)
    rounds.set_status(session, round_=world.round, status=RoundStatus.closed, actor="test")
    with pytest.raises(responses.ReadOnly):
        responses.save(other, draft=stale, changes={"stilling": ("Rådgiver", 0)}, editor="Ola")
    assert stored(engine, response.id) == (ResponseStatus.not_started, {})


def test_a_submit_checks_what_is_missing_against_the_answers_as_they_are_now(
    world: World, session: Session, other: Session, engine: sa.Engine
) -> None:
    response = world.response(session, "3049")
    assert response.id is not None
    draft = responses.load_draft(session, response_id=response.id)
    responses.save(session, draft=draft, changes={"politikk": ("ja", 0)}, editor="Kari")
    # The leader's review page was read while the required answer was there …
    leader = responses.load_draft(session, response_id=response.id)
    # … then a colleague empties it, and that commits …
    colleague = responses.load_draft(other, response_id=response.id)
    responses.save(other, draft=colleague, changes={"politikk": (None, 1)}, editor="Ola")
    # … so the submit finds it missing and submits nothing.
    missing = responses.submit(session, draft=leader, signer_name="Leder", signer_role="Kommunalsjef")
    assert [i.question.id for i in missing] == ["politikk"]
    assert stored(engine, response.id)[0] == ResponseStatus.in_progress
