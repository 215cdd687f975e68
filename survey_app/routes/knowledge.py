"""Kunnskapsgrunnlag: the settlement history and register figures, their imports and a municipality's page."""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, select

from survey_app import audit, htmx
from survey_app.deps import Recommender, SessionDep, Viewer
from survey_app.models import Municipality, StaffUser
from survey_app.permissions import Action, can
from survey_app.services import knowledge, knowledge_import, register
from survey_app.services.knowledge_import import ImportPreview, KnowledgeError, PreviewOutdated

router = APIRouter()

MAX_UPLOAD = 2 * 1024 * 1024
# The routes that take a file: main.py lets their bodies be as large as the file may be.
UPLOADS = ("knowledge_history_preview", "knowledge_register_preview")
PROBLEMS_SHOWN = 50
FIELD_LABELS = {
    "historikk": "Historikkfil",
    "registertall": "Fil fra statistikkbanken",
    "indikator": "Indikator",
    "navn": "Navn på indikatoren",
}


def _overview_context(
    session: Session,
    user: StaffUser,
    *,
    errors: dict[str, str] | None = None,
    problems: dict[str, list[str]] | None = None,
    form: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "overview": knowledge.overview(session),
        "can_import": can(user.role, Action.recommend),
        "errors": errors or {},
        "problems": problems or {},
        "form": form or {"indikator": "", "navn": ""},
        "field_labels": FIELD_LABELS,
        "max_problems": PROBLEMS_SHOWN,
    }


@router.get("/ansatt/kunnskapsgrunnlag", name="knowledge_overview")
def overview_page(request: Request, session: SessionDep, user: Viewer) -> Response:
    """Which years and indicators are loaded, the municipalities' pages, and (for advisers) the imports."""
    return htmx.render(request, "staff/knowledge.html", _overview_context(session, user))


def _read_upload(upload: UploadFile | None) -> tuple[bytes, str, str | None]:
    """The file's content and (plain) name, or why it cannot be used.

    Read from the spooled file in a sync route (a worker thread): parsing and the database work that follow
    block, and must not hold up the event loop."""
    if upload is None or not upload.filename:
        return b"", "", "Velg en fil."
    data = upload.file.read(MAX_UPLOAD + 1)
    name = PurePath(upload.filename.replace("\\", "/")).name[:300] or "fil"
    if len(data) > MAX_UPLOAD:
        return b"", name, "Filen er større enn 2 MB. Del den opp, eller fjern kolonner som ikke trengs."
    if not data.strip():
        return b"", name, "Filen er tom."
    return data, name, None


def _refused(
    request: Request,
    session: Session,
    user: StaffUser,
    field: str,
    problems: list[str],
    form: dict[str, str] | None = None,
) -> Response:
    """The overview again, with the file's problems by its field and in the error summary (422)."""
    count = len(problems)
    summary = (
        problems[0]
        if count == 1
        else f"Filen har {count} feil, se listen ved feltet. Ingenting er importert."
    )
    context = _overview_context(
        session, user, errors={field: summary}, problems={field: problems if count > 1 else []}, form=form
    )
    return htmx.render(request, "staff/knowledge.html", context, status_code=422)


def _preview_page(
    request: Request,
    preview: ImportPreview,
    upload_id: int,
    *,
    outdated: bool = False,
    status_code: int = 200,
) -> Response:
    context = {"preview": preview, "upload_id": upload_id, "outdated": outdated}
    return htmx.render(request, "staff/knowledge_preview.html", context, status_code=status_code)


@router.post("/ansatt/kunnskapsgrunnlag/historikk", name="knowledge_history_preview")
def history_preview(
    request: Request,
    session: SessionDep,
    user: Recommender,
    historikk: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Read a history file and show what importing it would change; nothing is imported yet."""
    data, filename, error = _read_upload(historikk)
    if error is not None:
        return _refused(request, session, user, "historikk", [error])
    try:
        preview = knowledge_import.preview_history(session, data=data, filename=filename)
    except KnowledgeError as refused:
        return _refused(request, session, user, "historikk", refused.problems)
    assert user.id is not None
    upload = knowledge_import.keep_upload(
        session, user_id=user.id, kind="history", filename=filename, content=data
    )
    assert upload.id is not None
    return _preview_page(request, preview, upload.id)


@router.post("/ansatt/kunnskapsgrunnlag/registertall", name="knowledge_register_preview")
def register_preview(
    request: Request,
    session: SessionDep,
    user: Recommender,
    registertall: Annotated[UploadFile | None, File()] = None,
    indikator: Annotated[str, Form(max_length=100)] = "",
    navn: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    """Read a statbank file (semicolon CSV or JSON-stat) and show what importing it would change."""
    form = {"indikator": indikator, "navn": navn}
    data, filename, error = _read_upload(registertall)
    if error is not None:
        return _refused(request, session, user, "registertall", [error], form)
    try:
        preview = knowledge_import.preview_register(
            session, data=data, filename=filename, indicator=indikator, label=navn
        )
    except KnowledgeError as refused:
        field = (
            "indikator" if refused.problems[0].startswith(("Indikator", "Filen er fra")) else "registertall"
        )
        return _refused(request, session, user, field, refused.problems, form)
    assert user.id is not None
    upload = knowledge_import.keep_upload(
        session,
        user_id=user.id,
        kind="register",
        filename=filename,
        content=data,
        indicator=preview.indicator,
        label=preview.label,
    )
    assert upload.id is not None
    return _preview_page(request, preview, upload.id)


@router.post("/ansatt/kunnskapsgrunnlag/import/{upload_id}", name="knowledge_import")
def confirm_import(
    upload_id: int,
    request: Request,
    session: SessionDep,
    user: Recommender,
    fingerprint: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Import the previewed file, all of it or nothing; if the stored figures changed since the preview,
    show the new preview instead."""
    assert user.id is not None
    upload = knowledge_import.pending_upload(session, upload_id=upload_id, user_id=user.id)
    if upload is None:
        raise HTTPException(404, "Filen er ikke lenger klar til import. Last den opp på nytt.")
    common: dict[str, Any] = {
        "data": upload.content,
        "filename": upload.filename,
        "actor": audit.staff_actor(user),
        "fingerprint": fingerprint,
        "upload_id": upload_id,
    }
    try:
        if upload.kind == "history":
            done = knowledge_import.import_history(session, **common)
        else:
            done = knowledge_import.import_register(
                session, indicator=upload.indicator, label=upload.label, **common
            )
    except PreviewOutdated as outdated:
        return _preview_page(request, outdated.preview, upload_id, outdated=True, status_code=409)
    except KnowledgeError as refused:
        field = "historikk" if upload.kind == "history" else "registertall"
        return _refused(request, session, user, field, refused.problems)
    what = "Historikken" if done.kind == "history" else f"Registertallene for {done.label.lower()}"
    htmx.flash(
        request,
        f"{what} fra {done.filename} er importert: {len(done.added)} nye og {len(done.changed)} endrede "
        f"rader, {done.unchanged} uendret.",
    )
    return RedirectResponse(request.url_for("knowledge_overview"), status_code=303)


@router.get("/ansatt/kunnskapsgrunnlag/kommuner/{kommunenummer}", name="knowledge_municipality")
def municipality_page(kommunenummer: str, request: Request, session: SessionDep, user: Viewer) -> Response:
    """One municipality's settlement history (table and chart) and register figures."""
    municipality = None
    if re.fullmatch(r"\d{4}", kommunenummer):
        municipality = session.exec(
            select(Municipality).where(Municipality.kommunenummer == kommunenummer)
        ).first()
    if municipality is None or municipality.id is None:
        raise HTTPException(404, "Kommunen finnes ikke i kommuneregisteret.")
    regions = register.region_names(session, [municipality.id]).get(municipality.id, [])
    return htmx.render(
        request,
        "staff/knowledge_municipality.html",
        {
            "municipality": municipality,
            "region": " / ".join(regions),
            "history": knowledge.history_view(session, kommunenummer=kommunenummer),
        },
    )
