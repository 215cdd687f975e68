"""Request dependencies, as ``Annotated`` aliases. Routes take these and nothing else from the app."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Depends, HTTPException, Request
from sqlmodel import Session, col

from survey_app.config import Settings
from survey_app.errors import LoginRequired, NoRespondentSession
from survey_app.models import Invitation, Municipality, QuestionnaireVersion, Response, Round, StaffUser
from survey_app.permissions import Action, can
from survey_app.services import invitations
from survey_app.services.catalog import WITHOUT_DEFINITION
from survey_app.services.responses import Draft, draft_of

# Keys of the signed session cookie.
STAFF_KEY = "staff_user_id"
INVITATION_KEY = "invitation_id"
EDITOR_KEY = "editor"


async def get_session(request: Request) -> AsyncIterator[Session]:
    # async, as are the dependencies below: a sync one runs in the thread pool, and the hops there and back
    # cost an autosave about a third of its CPU (bench/request_cost.py). Making a Session does no I/O; a
    # sync route's queries still run in its thread.
    slots: asyncio.Semaphore | None = request.app.state.database_slots  # None on SQLite: no limit
    async with slots if slots is not None else contextlib.nullcontext():
        with Session(request.app.state.engine, expire_on_commit=False) as session:
            yield session


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


async def optional_staff(request: Request, session: SessionDep) -> StaffUser | None:
    user_id = request.session.get(STAFF_KEY)
    if not isinstance(user_id, int):
        return None
    user = session.get(StaffUser, user_id)
    if user is None or not user.is_active:
        request.session.pop(STAFF_KEY, None)
        return None
    request.state.staff_user = user
    return user


async def require_staff(user: Annotated[StaffUser | None, Depends(optional_staff)]) -> StaffUser:
    if user is None:
        raise LoginRequired()
    return user


OptionalStaffDep = Annotated[StaffUser | None, Depends(optional_staff)]
StaffDep = Annotated[StaffUser, Depends(require_staff)]


def permission(action: Action) -> Callable[[StaffUser], Coroutine[Any, Any, StaffUser]]:
    """A dependency that lets through only staff whose role may do ``action``."""

    async def check(user: StaffDep) -> StaffUser:
        if not can(user.role, action):
            raise HTTPException(
                403, "Rollen din gir ikke tilgang til dette. Spør en administrator om du trenger det."
            )
        return user

    return check


Viewer = Annotated[StaffUser, Depends(permission(Action.view_results))]
Exporter = Annotated[StaffUser, Depends(permission(Action.export))]
Reminder = Annotated[StaffUser, Depends(permission(Action.remind))]
Reopener = Annotated[StaffUser, Depends(permission(Action.reopen_response))]
RoundAdmin = Annotated[StaffUser, Depends(permission(Action.manage_rounds))]
UserAdmin = Annotated[StaffUser, Depends(permission(Action.manage_users))]
Auditor = Annotated[StaffUser, Depends(permission(Action.view_audit))]
Coder = Annotated[StaffUser, Depends(permission(Action.code_themes))]
Recommender = Annotated[StaffUser, Depends(permission(Action.recommend))]


def round_or_404(session: Session, round_id: int) -> Round:
    """The round a staff URL names, or the 404 page."""
    round_ = session.get(Round, round_id)
    if round_ is None:
        raise HTTPException(404, "Runden finnes ikke.")
    return round_


# The invitation, its round, the municipality's response and municipality and the round's questionnaire
# version (without its definition) in one query, built once: every autosave asks for them.
_DRAFT_OF_INVITATION = (
    sa.select(Invitation, Round, Response, Municipality, QuestionnaireVersion)
    .join(Round, col(Round.id) == col(Invitation.round_id))
    .join(
        Response,
        (col(Response.round_id) == col(Invitation.round_id))
        & (col(Response.municipality_id) == col(Invitation.municipality_id)),
    )
    .join(Municipality, col(Municipality.id) == col(Invitation.municipality_id))
    .join(QuestionnaireVersion, col(QuestionnaireVersion.id) == col(Round.questionnaire_version_id))
    .where(col(Invitation.id) == sa.bindparam("invitation_id"))
    .options(WITHOUT_DEFINITION)
)


async def current_draft(request: Request, session: SessionDep) -> Draft:
    """The response of the invitation in this browser session; nothing else is reachable from it."""
    invitation_id = request.session.get(INVITATION_KEY)
    found = None
    if isinstance(invitation_id, int):
        found = session.execute(_DRAFT_OF_INVITATION, {"invitation_id": invitation_id}).first()
    if found is None or invitations.check(found[0], found[1]) is not None:
        raise NoRespondentSession()
    _, round_, response, municipality, version = found
    return draft_of(session, response, round_, municipality, version)


DraftDep = Annotated[Draft, Depends(current_draft)]


async def editor_name(request: Request) -> str:
    name = request.session.get(EDITOR_KEY)
    return name if isinstance(name, str) else ""


EditorDep = Annotated[str, Depends(editor_name)]
