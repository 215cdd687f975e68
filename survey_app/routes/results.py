"""Reading a round: results per question, free text, one municipality's profile, exports, print."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlmodel import Session, select

from survey_app import audit, htmx
from survey_app.deps import Exporter, SessionDep, Viewer, round_or_404
from survey_app.forms import free_text_keys
from survey_app.i18n import Lang
from survey_app.models import Municipality, ResponseStatus, Round
from survey_app.models import Response as SurveyResponse
from survey_app.paging import page_of
from survey_app.permissions import Action, can
from survey_app.question_types.integer import is_year
from survey_app.questionnaires import QuestionnaireDef
from survey_app.routes.staff import STATUS_LABELS
from survey_app.services import compare, exports, responses, results
from survey_app.services.audit_log import record_read
from survey_app.services.catalog import round_definition
from survey_app.services.followup import round_regions
from survey_app.services.register import region_names
from survey_app.templating import reads_masked

router = APIRouter()


def _round_or_404(session: Session, round_id: int) -> tuple[Round, QuestionnaireDef]:
    round_ = round_or_404(session, round_id)
    return round_, round_definition(session, round_)


@router.get("/ansatt/runder/{round_id}/resultater", name="round_results")
def round_results(
    round_id: int,
    request: Request,
    session: SessionDep,
    user: Viewer,
    region: str = "",
    pabegynte: bool = False,
) -> Response:
    round_, definition = _round_or_404(session, round_id)
    rows = results.load_rows(session, round_id=round_id, include_in_progress=pabegynte, region=region or None)
    sections = results.round_results(definition, rows)
    # A year is summed up by its median and range: the mean of 2005 and 2019 is no year anyone chose.
    years = {q.id: results.year_summary(definition, q, rows) for q in definition.questions() if is_year(q)}
    return htmx.render(
        request,
        "staff/results.html",
        {
            "round": round_,
            "definition": definition,
            "sections": sections,
            "years": years,
            "n_rows": len(rows),
            "region": region,
            "pabegynte": pabegynte,
            "regions": round_regions(session, round_id),
            "can_export": can(user.role, Action.export),
            "small_n": results.SMALL_N,
        },
        block="results",
    )


FREE_TEXT_PAGE_SIZE = 50


@router.get("/ansatt/runder/{round_id}/fritekst", name="round_free_text")
def round_free_text(
    round_id: int,
    request: Request,
    session: SessionDep,
    user: Viewer,
    sporsmal: str = "",
    sok: Annotated[str, Query(max_length=200)] = "",
    region: str = "",
    side: int = 1,
) -> Response:
    round_, definition = _round_or_404(session, round_id)
    rows = results.load_rows(session, round_id=round_id, region=region or None)
    found = results.free_texts(
        definition, rows, question_id=sporsmal or None, query=sok or None, masked=reads_masked(user)
    )
    questions = [q for q in definition.questions() if free_text_keys(q)]
    # A page at a time: every free text of a round is a list of thousands of paragraphs.
    page = page_of(found, side, FREE_TEXT_PAGE_SIZE)
    return htmx.render(
        request,
        "staff/free_text.html",
        {
            "round": round_,
            "page": page,
            # Each text marked where the search matched it (escaped first; a reader's text is masked already).
            "hits": [(hit, results.highlight(hit.text, sok)) for hit in page.items],
            "questions": questions,
            "sporsmal": sporsmal,
            "sok": sok,
            "region": region,
            "regions": round_regions(session, round_id),
        },
        block="hits",
    )


COMPARE_PAGE_SIZE = 50


@router.get("/ansatt/runder/{round_id}/sammenlign", name="round_compare")
def round_compare(
    round_id: int,
    request: Request,
    session: SessionDep,
    user: Viewer,
    med: int | None = None,
    side: int = 1,
) -> Response:
    round_, definition = _round_or_404(session, round_id)
    others = compare.comparable_rounds(session, round_id=round_id)
    other = next((r for r in others if r.id == med), others[0] if others else None)
    context: dict[str, Any] = {
        "round": round_,
        "others": others,
        "other": other,
        "questions": [],
        "municipalities": [],
        "removed": [],
    }
    if other is not None and other.id is not None:
        old_def = round_definition(session, other)
        new_rows = results.load_rows(session, round_id=round_id)
        old_rows = results.load_rows(session, round_id=other.id)
        # The municipalities a page at a time: a national round's changed answers are megabytes of HTML.
        page = page_of(compare.municipality_ids(new_rows, old_rows), side, COMPARE_PAGE_SIZE)
        shown = set(page.items)
        context.update(
            questions=compare.compare_questions(definition, new_rows, old_def, old_rows),
            municipalities=compare.compare_municipalities(
                definition,
                [r for r in new_rows if r.municipality.id in shown],
                old_def,
                [r for r in old_rows if r.municipality.id in shown],
            ),
            page=page,
            years=_compared_years(definition, new_rows, old_def, old_rows),
            removed=compare.removed(definition, old_def),
            new_n=len(new_rows),
            old_n=len(old_rows),
        )
    return htmx.render(request, "staff/compare.html", context)


def _compared_years(
    new_def: QuestionnaireDef,
    new_rows: list[results.Row],
    old_def: QuestionnaireDef,
    old_rows: list[results.Row],
) -> dict[str, tuple[results.YearSummary | None, results.YearSummary | None]]:
    """Each year question of the newer round with its median and range in both rounds (the older one
    through the question it continues)."""
    return {
        pair.new.id: (
            results.year_summary(new_def, pair.new, new_rows),
            results.year_summary(old_def, pair.old, old_rows) if pair.old is not None else None,
        )
        for pair in compare.match_questions(new_def, old_def)
        if is_year(pair.new)
    }


@router.get("/ansatt/runder/{round_id}/kommuner/{municipality_id}", name="round_profile")
def round_profile(
    round_id: int, municipality_id: int, request: Request, session: SessionDep, user: Viewer
) -> Response:
    round_, definition = _round_or_404(session, round_id)
    municipality = session.get(Municipality, municipality_id)
    if municipality is None:
        raise HTTPException(404, "Kommunen finnes ikke.")
    response = session.exec(
        select(SurveyResponse).where(
            SurveyResponse.round_id == round_id, SurveyResponse.municipality_id == municipality_id
        )
    ).first()
    if response is None:
        raise HTTPException(404, "Kommunen er ikke med i denne runden.")
    # Submitted answers are the comparison; the municipality's own answer is shown even if unfinished.
    rows = results.load_rows(session, round_id=round_id)
    if not any(r.municipality.id == municipality_id for r in rows):
        own = [
            r
            for r in results.load_rows(session, round_id=round_id, include_in_progress=True)
            if r.municipality.id == municipality_id
        ]
        rows = [*rows, *own]
    own_row = next((r for r in rows if r.municipality.id == municipality_id), None)
    if own_row is None:
        # Not begun: nothing of its own to show, but the page answers (a link to it is no dead end), and
        # the region's and the county's figures are still what one came to compare with.
        assert municipality.id is not None
        regions = region_names(session, [municipality.id])[municipality.id]
        own_row = results.Row(response, municipality, regions, {}, responses.visible_ids(definition, {}))
        rows = [*rows, own_row]
    lines = results.profile(definition, rows, municipality_id)
    return htmx.render(
        request,
        "staff/profile.html",
        {
            "round": round_,
            "definition": definition,
            "municipality": municipality,
            "lines": lines,
            "row": own_row,
            "started": response.status != ResponseStatus.not_started,
            "status_labels": STATUS_LABELS,
        },
    )


Format = Literal["csv", "xlsx", "json"]
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


@router.get("/ansatt/runder/{round_id}/eksport.{fmt}", name="round_export")
def round_export(
    round_id: int,
    fmt: Format,
    session: SessionDep,
    user: Exporter,
    skilletegn: Literal["komma", "semikolon"] = "komma",
    region: str = "",
    pabegynte: bool = False,
) -> Response:
    _, definition = _round_or_404(session, round_id)
    rows = results.load_rows(session, round_id=round_id, include_in_progress=pabegynte, region=region or None)
    record_read(
        session,
        actor=audit.staff_actor(user),
        action="export",
        object_type="round",
        object_id=round_id,
        details={"format": fmt, "rows": len(rows), "region": region, "in_progress": pabegynte},
    )
    filename = f"innspill-runde-{round_id}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if fmt == "json":
        return JSONResponse(exports.to_json(definition, rows), headers=headers)
    if fmt == "xlsx":
        return Response(exports.to_xlsx(definition, rows), media_type=MEDIA[fmt], headers=headers)
    header, body = exports.answer_table(definition, rows)
    content = exports.to_csv(header, body, delimiter=";" if skilletegn == "semikolon" else ",")
    return Response(content, media_type=MEDIA[fmt], headers=headers)


@router.get("/ansatt/runder/{round_id}/eksport", name="round_export_page")
def round_export_page(round_id: int, request: Request, session: SessionDep, user: Exporter) -> Response:
    round_, _ = _round_or_404(session, round_id)
    return htmx.render(
        request, "staff/export.html", {"round": round_, "regions": round_regions(session, round_id)}
    )


@router.get("/ansatt/svar/{response_id}/utskrift", name="staff_response_print")
def response_print(
    response_id: int, request: Request, session: SessionDep, user: Viewer, malform: Lang = "nb"
) -> Response:
    if session.get(SurveyResponse, response_id) is None:
        raise HTTPException(404, "Svaret finnes ikke.")
    draft = responses.load_draft(session, response_id=response_id, read_in=malform)
    context: dict[str, Any] = {
        "lang": malform,
        "draft": draft,
        "shown": responses.visible_ids(draft.definition, draft.values()),
        "status_labels": STATUS_LABELS,
    }
    return htmx.render(request, "staff/response_print.html", context)
