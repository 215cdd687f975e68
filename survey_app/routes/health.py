"""Liveness and readiness for the county's operations staff."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.responses import JSONResponse

from survey_app.deps import SessionDep

router = APIRouter()


@router.get("/healthz", name="healthz")
def healthz(session: SessionDep) -> JSONResponse:
    try:
        session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})
