"""Liveness and readiness for the county's operations staff."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from survey_app.deps import SessionDep, open_slots, optional_staff
from survey_app.services import sessions
from survey_app.session_renewal import renew

router = APIRouter()


@router.get("/healthz", name="healthz")
def healthz(session: SessionDep) -> JSONResponse:
    try:
        session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})


@router.get("/okt", name="session_keepalive")
def session_keepalive(request: Request, session: SessionDep) -> Response:
    """«Fortsett økten» in the warning before a session ends: renew the sessions of whoever is signed in."""
    if request.session:
        rows = list(open_slots(request, session).values())
        if optional_staff(request, session) is not None:
            rows.append(request.state.web_session)
        sessions.touch(session, rows=rows)
        renew(request.session)
    return Response(status_code=204)
