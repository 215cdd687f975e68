"""Archive packages for download: a response's, a round's and the final recommendation's, and the round's case
folder. Who may export the answers may do this (``Exporter``); every download is in the audit log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from survey_app import audit, htmx
from survey_app.deps import Exporter, SessionDep, SettingsDep, round_or_404
from survey_app.models import Response as SurveyResponse
from survey_app.models import Round, Scenario, StaffUser
from survey_app.services import archive
from survey_app.services.archive import build
from survey_app.services.audit_log import record_read

router = APIRouter()

ZIP = "application/zip"


def _download(content: bytes, filename: str) -> Response:
    return Response(
        content, media_type=ZIP, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


def _record(session: Session, user: StaffUser, kind: str, ident: object, details: dict[str, Any]) -> None:
    record_read(
        session,
        actor=audit.staff_actor(user),
        action="archive.export",
        object_type=kind,
        object_id=ident,
        details=details,
    )


def _page(
    request: Request, session: Session, round_: Round, form: archive.CaseFolderForm, errors: dict[str, str]
) -> Response:
    return htmx.render(
        request,
        "staff/archive.html",
        {
            "round": round_,
            "form": form,
            "errors": errors,
            "case_folder": archive.describe_case_folder(round_),
            "submitted": len(archive.submitted_ids(session, round_)),
        },
        status_code=422 if errors else 200,
    )


@router.get("/ansatt/runder/{round_id}/arkiv", name="archive_round")
def round_archive(round_id: int, request: Request, session: SessionDep, user: Exporter) -> Response:
    """The round's case folder and its archive packages."""
    round_ = round_or_404(session, round_id)
    return _page(request, session, round_, archive.CaseFolderForm.of(round_), {})


@router.post("/ansatt/runder/{round_id}/arkiv", name="archive_case_folder")
def case_folder_save(
    round_id: int,
    request: Request,
    session: SessionDep,
    user: Exporter,
    saksaar: Annotated[str, Form(max_length=20)] = "",
    sekvensnummer: Annotated[str, Form(max_length=20)] = "",
    tittel: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    round_ = round_or_404(session, round_id)
    form = archive.CaseFolderForm(saksaar, sekvensnummer, tittel)
    errors = archive.set_case_folder(session, round_=round_, form=form, actor=audit.staff_actor(user))
    if errors:
        return _page(request, session, round_, form, errors)
    htmx.flash(request, f"Lagret. Dokumentene i runden arkiveres i {archive.describe_case_folder(round_)}.")
    return RedirectResponse(request.url_for("archive_round", round_id=round_id), status_code=303)


@router.get("/ansatt/runder/{round_id}/arkivpakke.zip", name="archive_round_zip")
def round_zip(round_id: int, session: SessionDep, settings: SettingsDep, user: Exporter) -> Response:
    """One ZIP with a folder per submitted response, each an arkivmelding with its PDF/A."""
    round_ = round_or_404(session, round_id)
    packages = archive.round_packages(session, round_=round_, county=settings.county_name)
    if not packages:
        raise HTTPException(
            409, "Ingen kommuner har sendt inn svar i denne runden ennå, så det er ingenting å arkivere."
        )
    content = archive.round_zip_of(round_, packages)
    _record(
        session,
        user,
        "round",
        round_id,
        {"scope": "round", "documents": len(packages), "bytes": len(content)},
    )
    return _download(content, f"arkivpakker-runde-{round_id}.zip")


@router.get("/ansatt/svar/{response_id}/arkivpakke.zip", name="archive_response_zip")
def response_zip(response_id: int, session: SessionDep, settings: SettingsDep, user: Exporter) -> Response:
    """The submitted response as PDF/A with its arkivmelding."""
    if session.get(SurveyResponse, response_id) is None:
        raise HTTPException(404, "Svaret finnes ikke.")
    try:
        package = archive.response_package(session, response_id=response_id, county=settings.county_name)
    except archive.NotArchivable as exc:
        raise HTTPException(409, str(exc)) from None
    content = package.zip()
    _record(
        session, user, "response", response_id, {"scope": "response", "documents": 1, "bytes": len(content)}
    )
    return _download(content, f"{package.name}.zip")


@router.get("/ansatt/anbefaling/{scenario_id}/arkivpakke.zip", name="archive_recommendation_zip")
def recommendation_zip(
    scenario_id: int,
    session: SessionDep,
    settings: SettingsDep,
    user: Exporter,
    journalposttype: Annotated[str, Query(max_length=1)] = "N",
) -> Response:
    """The final recommendation's saksframlegg as a notat (N) or, with the letter, sent to IMDi (U)."""
    scenario = session.get(Scenario, scenario_id)
    if scenario is None:
        raise HTTPException(404, "Scenarioet finnes ikke.")
    record_type: build.RecordType = "U" if journalposttype == "U" else "N"
    try:
        package = archive.recommendation_package(
            session,
            scenario=scenario,
            county=settings.county_name,
            prepared_by=user.full_name or user.email,
            record_type=record_type,
        )
    except archive.NotArchivable as exc:
        raise HTTPException(409, str(exc)) from None
    content = package.zip()
    details = {
        "scope": "recommendation",
        "journalposttype": record_type,
        "documents": len(package.files),
        "bytes": len(content),
    }
    _record(session, user, "scenario", scenario_id, details)
    return _download(content, f"{package.name}.zip")
