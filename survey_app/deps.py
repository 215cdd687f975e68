"""Request dependencies, as ``Annotated`` aliases. Routes take these and nothing else from the app."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Depends, HTTPException, Request
from sqlmodel import Session, col, select

from survey_app.config import Settings
from survey_app.errors import ChooseForm, LoginRequired, NoRespondentSession, PasswordChangeRequired
from survey_app.models import (
    Invitation,
    Municipality,
    QuestionnaireVersion,
    Response,
    Round,
    SessionKind,
    StaffUser,
    WebSession,
)
from survey_app.permissions import Action, can
from survey_app.services import catalog, invitations, responses, sessions
from survey_app.services.catalog import WITHOUT_DEFINITION
from survey_app.services.responses import Draft, draft_of

# Keys of the signed session cookie. It holds only random tokens; what they stand for is on the server
# (services/sessions.py), so that a session can be ended.
STAFF_KEY = "staff"
RESPONDENT_KEY = "svar"  # {slot: token}: a browser may have several invitations open at once
# The query parameter that names the slot: every link and form of a respondent page carries it, so each tab
# keeps to its own municipality and questionnaire (templating.with_slot).
SLOT_PARAM = "s"
MAX_SLOTS = 8


async def get_session(request: Request) -> AsyncIterator[Session]:
    # async, as are the dependencies below that do no I/O: a sync one runs in the thread pool, and the hops
    # there and back cost an autosave about a third of its CPU (bench/request_cost.py). Making a Session
    # does no I/O; a sync route's queries still run in its thread.
    slots: asyncio.Semaphore | None = request.app.state.database_slots  # None on SQLite: no limit
    async with slots if slots is not None else contextlib.nullcontext():
        with Session(request.app.state.engine, expire_on_commit=False) as session:
            yield session


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def idle_limit(request: Request) -> timedelta:
    settings: Settings = request.app.state.settings
    return timedelta(seconds=settings.session_max_age_seconds)


# Sync, unlike get_session: it queries (and now and then writes), which must not happen on the event loop.
def optional_staff(request: Request, session: SessionDep) -> StaffUser | None:
    token = request.session.get(STAFF_KEY)
    if token is None:
        return None
    row = sessions.live(session, token=token, kind=SessionKind.staff, idle=idle_limit(request))
    user = session.get(StaffUser, row.staff_user_id) if row is not None and row.staff_user_id else None
    if row is None or user is None or not user.is_active:
        request.session.pop(STAFF_KEY, None)
        return None
    request.state.staff_user = user
    request.state.web_session = row
    return user


async def account_owner(user: Annotated[StaffUser | None, Depends(optional_staff)]) -> StaffUser:
    """The signed-in staff user, even one who must choose a new password before anything else."""
    if user is None:
        raise LoginRequired()
    return user


AccountDep = Annotated[StaffUser, Depends(account_owner)]


async def require_staff(user: AccountDep) -> StaffUser:
    if user.must_change_password:
        raise PasswordChangeRequired()
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


@dataclass(frozen=True)
class Respondent:
    """The invitation session a respondent page belongs to, and its slot in this browser's cookie."""

    slot: str
    row: WebSession


def open_slots(request: Request, session: Session) -> dict[str, WebSession]:
    """This browser's live invitation sessions by slot; ended ones are dropped from the cookie."""
    held = request.session.get(RESPONDENT_KEY)
    if not isinstance(held, dict):
        return {}
    idle = idle_limit(request)
    found = {
        slot: row
        for slot, token in held.items()
        if (row := sessions.live(session, token=token, kind=SessionKind.respondent, idle=idle)) is not None
    }
    if len(found) != len(held):
        request.session[RESPONDENT_KEY] = {slot: held[slot] for slot in found}
    return found


def current_respondent(request: Request, session: SessionDep) -> Respondent:  # sync: it queries
    slots = open_slots(request, session)
    wanted = request.query_params.get(SLOT_PARAM)
    if wanted is not None:
        row = slots.get(wanted)
    elif len(slots) > 1:
        # A bookmark or an old page without its slot, while several forms are open: ask which one.
        raise ChooseForm(choices=describe(session, slots))
    else:
        wanted, row = next(iter(slots.items()), ("", None))
    if row is None:
        raise NoRespondentSession()
    request.state.respondent_slot = wanted
    return Respondent(slot=wanted, row=row)


RespondentDep = Annotated[Respondent, Depends(current_respondent)]


def describe(session: Session, slots: dict[str, WebSession]) -> list[tuple[str, str]]:
    """Each slot with what it holds («Drammen kommune: Kommuneundersøkelse om … 2026»), by municipality:
    the round as the municipality reads it (``responses.round_name``)."""
    ids = {row.invitation_id: slot for slot, row in slots.items()}
    found = session.exec(
        select(Invitation, Municipality, Round)
        .join(Municipality, col(Municipality.id) == col(Invitation.municipality_id))
        .join(Round, col(Round.id) == col(Invitation.round_id))
        .where(col(Invitation.id).in_(list(ids)))
        .order_by(col(Municipality.name), col(Round.year))
    ).all()
    return [
        (
            ids[invitation.id],
            f"{muni.name} kommune: "
            + responses.round_name(
                catalog.round_definition(session, round_).in_language(muni.malform), round_
            ),
        )
        for invitation, muni, round_ in found
        if invitation.id is not None
    ]


def current_draft(request: Request, session: SessionDep, respondent: RespondentDep) -> Draft:  # sync, too
    """The response of this page's invitation session; nothing else is reachable from it."""
    found = session.execute(_DRAFT_OF_INVITATION, {"invitation_id": respondent.row.invitation_id}).first()
    if found is None or invitations.check(found[0], found[1]) is not None:
        raise NoRespondentSession()
    _, round_, response, municipality, version = found
    return draft_of(session, response, round_, municipality, version)


DraftDep = Annotated[Draft, Depends(current_draft)]
