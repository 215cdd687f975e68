"""The read-only JSON API for the county's BI tools, documented by FastAPI's OpenAPI.

Authenticated with a personal API token (``Authorization: Bearer isp_…``) that staff make and revoke on
the «API-nøkler» page; a token reads what its owner may export. Every read is written to the audit log.
An expired token is told so (401); a token over its rate limit gets 429 with ``Retry-After``
(``services/api_tokens.py``).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlmodel import Session

from survey_app import audit, htmx
from survey_app.dates import format_date
from survey_app.deps import SessionDep, round_or_404
from survey_app.models import Round, StaffUser
from survey_app.permissions import Action, can
from survey_app.question_types import kind_of
from survey_app.services import api_tokens, exports, results, rounds
from survey_app.services.audit_log import record_read
from survey_app.services.catalog import round_definition

router = APIRouter(prefix="/api/v1", tags=["Innspill API"])
docs_router = APIRouter()

UNAUTHORIZED = {"WWW-Authenticate": "Bearer"}
# One per process: see services/api_tokens.py on why the rate limit is counted per worker.
RATE_LIMITER = api_tokens.RateLimiter()


def api_user(session: SessionDep, authorization: Annotated[str | None, Header()] = None) -> StaffUser:
    scheme, _, plain = (authorization or "").partition(" ")
    try:
        use = api_tokens.authenticate(session, plain=plain.strip()) if scheme.lower() == "bearer" else None
    except api_tokens.TokenExpired as exc:
        raise HTTPException(
            401,
            f"API-nøkkelen gikk ut {format_date(exc.expired_at)}. Lag en ny nøkkel på siden «API-nøkler».",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token", error_description="expired"'},
        ) from None
    if use is None:
        raise HTTPException(401, "Mangler gyldig API-nøkkel (Authorization: Bearer …).", headers=UNAUTHORIZED)
    wait = RATE_LIMITER.hit(use.token.token_hash)
    if wait is not None:
        raise HTTPException(
            429,
            f"For mange forespørsler med denne API-nøkkelen: høyst {RATE_LIMITER.limit} i minuttet. "
            f"Prøv igjen om {wait} sekunder.",
            headers={"Retry-After": str(wait)},
        )
    if not can(use.user.role, Action.export):
        raise HTTPException(403, "Rollen til eieren av nøkkelen gir ikke tilgang til data gjennom API-et.")
    return use.user


ApiUser = Annotated[StaffUser, Depends(api_user)]


class StatusCounts(BaseModel):
    not_started: int
    in_progress: int
    submitted: int
    reopened: int


class RoundOut(BaseModel):
    id: int
    year: int
    title: str
    questionnaire: str
    opens_on: date
    closes_on: date
    status: str
    responses: StatusCounts


def _round_out(session: Session, round_: Round) -> RoundOut:
    assert round_.id is not None
    counts = rounds.status_counts(session, round_.id)
    return RoundOut(
        id=round_.id,
        year=round_.year,
        title=round_.title,
        questionnaire=round_definition(session, round_).id,
        opens_on=round_.opens_on,
        closes_on=round_.closes_on,
        status=round_.status.value,
        responses=StatusCounts(
            not_started=counts.not_started,
            in_progress=counts.in_progress,
            submitted=counts.submitted,
            reopened=counts.reopened,
        ),
    )


def _log(session: Session, user: StaffUser, request: Request, object_id: object = "") -> None:
    record_read(
        session,
        actor=audit.staff_actor(user),
        action="api.read",
        object_type="api",
        object_id=object_id,
        details={"path": request.url.path, "query": str(request.query_params)},
    )


@router.get("/runder", name="api_rounds", summary="Alle runder", response_model=list[RoundOut])
def list_rounds(request: Request, session: SessionDep, user: ApiUser) -> list[RoundOut]:
    _log(session, user, request)
    return [_round_out(session, r) for r in rounds.list_rounds(session)]


@router.get(
    "/runder/{round_id}", name="api_round", summary="Én runde med svarstatus", response_model=RoundOut
)
def get_round(round_id: int, request: Request, session: SessionDep, user: ApiUser) -> RoundOut:
    round_ = round_or_404(session, round_id)
    _log(session, user, request, round_id)
    return _round_out(session, round_)


@router.get(
    "/runder/{round_id}/svar", name="api_round_answers", summary="Svarene i en runde, én post per kommune"
)
def round_answers(
    round_id: int,
    request: Request,
    session: SessionDep,
    user: ApiUser,
    region: str = "",
    pabegynte: bool = False,
) -> dict[str, Any]:
    """Answers as codes, like the JSON export: ``pabegynte=true`` includes responses not yet submitted."""
    round_ = round_or_404(session, round_id)
    rows = results.load_rows(session, round_id=round_id, include_in_progress=pabegynte, region=region or None)
    _log(session, user, request, round_id)
    return exports.to_json(round_definition(session, round_), rows)


@router.get(
    "/runder/{round_id}/resultater", name="api_round_results", summary="Fordelingen per spørsmål i en runde"
)
def round_results(
    round_id: int, request: Request, session: SessionDep, user: ApiUser, region: str = ""
) -> dict[str, Any]:
    """Counts and shares per answer option, n and «vet ikke» apart, for submitted responses."""
    round_ = round_or_404(session, round_id)
    definition = round_definition(session, round_)
    rows = results.load_rows(session, round_id=round_id, region=region or None)
    _log(session, user, request, round_id)
    questions = [
        {
            "id": q.id,
            "text": q.text,
            "type": q.type,
            "distributions": [asdict(d) for d in results.question_results(definition, q, rows)],
        }
        for q in definition.questions()
        if kind_of(q).tally is not None
    ]
    return {
        "round": round_id,
        "municipalities": len(rows),
        "small_n": results.SMALL_N,
        "questions": questions,
    }


@docs_router.get("/api", name="api_docs", include_in_schema=False)
def api_docs(request: Request) -> Response:
    """A plain page about the API; the machine-readable description is /api/openapi.json."""
    paths = [(r.path, getattr(r, "summary", "") or "") for r in router.routes]  # type: ignore[attr-defined]
    return htmx.render(request, "staff/api_docs.html", {"paths": paths})
