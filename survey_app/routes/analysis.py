"""The analysis of a round: integration parameters, the index, themes, needs and new topics; coding."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, col, func, select

from analysis.needs import NO_THEME, group_by_theme
from analysis.themes import CODES, load_codebook
from survey_app import audit, htmx
from survey_app.analysis_data import Benchmark, Contribution, ParameterSummary, ParameterValue
from survey_app.deps import Coder, SessionDep, SettingsDep, Viewer, round_or_404
from survey_app.forms import FormDataDep, display_value
from survey_app.models import AnalysisRun, Answer, AuditEvent, Municipality, StaffUser, ThemeCoding
from survey_app.models import Response as SurveyResponse
from survey_app.paging import page_of
from survey_app.permissions import Action, can
from survey_app.questionnaires import Question
from survey_app.resources import CODEBOOK
from survey_app.services import analysis, knowledge
from survey_app.services.catalog import round_definition
from survey_app.services.followup import NO_REGION
from survey_app.services.results import SMALL_N

router = APIRouter()

CODING_PAGE_SIZE = 10  # answers on a page of the coding list: a few screens, where all of them were 46,000 px


@dataclass(frozen=True)
class AnswerLine:
    """One answer behind a municipality's parameter value, with its question and its text as shown."""

    contribution: Contribution
    question: Question
    answer: str
    row: str | None  # a matrix row's text («Biblioteket»); None: the answer is the whole question's


@dataclass(frozen=True)
class ParameterLine:
    """One parameter on a municipality's analysis page, beside its region's and the county's."""

    id: str
    info: ParameterSummary
    value: ParameterValue
    answers: list[AnswerLine]
    region: Benchmark | None  # the primary region's; None: the municipality is in no region


@lru_cache(maxsize=4)
def _labels_of(path: str, mtime: float) -> dict[str, str]:
    return {c.code: c.label for c in load_codebook(Path(path)).codes}


def _labels() -> dict[str, str]:
    """The codes' Norwegian labels, read from the codebook once per version of the file, not per page."""
    return _labels_of(str(CODEBOOK), CODEBOOK.stat().st_mtime)


@dataclass(frozen=True)
class RunStamp:
    """A run's stamp as a person reads it; the digests themselves are for IT (``AnalysisRun.code_version``,
    ``model_version``)."""

    run_by: str  # the person's name or e-mail; «systemet» for the command line and the demo
    release: str  # the program's release, «0.1.0»
    current_code: bool  # by the code running now: a new run of the same answers gives the same figures
    codings: int | None  # the staff codings the theme model had learnt from; None: a stamp not read


def run_stamp(session: Session, run: AnalysisRun) -> RunStamp:
    """Who ran ``run`` (from the audit event ``analysis.analyze`` wrote) and its versions in words.

    Here and not in ``services.analysis``: that module's own digest is part of ``code_version``, and
    wording on a page is no change to how the figures are computed."""
    events = session.exec(
        select(AuditEvent).where(
            AuditEvent.action == "analysis.run",
            AuditEvent.object_type == "round",
            AuditEvent.object_id == str(run.round_id),
        )
    ).all()
    actor = next((e.actor for e in events if e.details.get("run") == run.id), "")
    run_by = "ukjent"
    if actor == audit.SYSTEM:
        run_by = "systemet"
    elif actor.startswith("staff:"):
        # «staff:<id>:<e-mail>»; a purge keeps only «staff:<id>», so the id is what names the person.
        user_id = actor.split(":")[1]
        user = session.get(StaffUser, int(user_id)) if user_id.isdigit() else None
        run_by = (user.full_name or user.email) if user else "en tidligere bruker"
    release = run.code_version.rsplit(" ", 1)[-1].split("+", 1)[0]
    count = run.model_version.rsplit("-", 1)[-1]
    current = run.code_version == analysis.code_version()
    return RunStamp(run_by, release, current, int(count) if count.isdigit() else None)


@router.get("/ansatt/runder/{round_id}/analyse", name="round_analysis")
def analysis_page(round_id: int, request: Request, session: SessionDep, user: Viewer) -> Response:
    round_ = round_or_404(session, round_id)
    run = analysis.latest_run(session, round_id)
    context: dict[str, Any] = {
        "round": round_,
        "run": run,
        "codes": CODES,
        "theme_labels": _labels(),
        "can_run": can(user.role, Action.code_themes),
        "small_n": SMALL_N,
    }
    if run is not None:
        results = run.results
        units = sorted(results.units.items(), key=lambda kv: (kv[1].index_rank or 10**6, kv[1].name))
        # How many municipalities each region's row stands for, so a region of one or two reads as such.
        sizes = Counter(data.regions[0] if data.regions else NO_REGION for data in results.units.values())
        context.update(
            results=results,
            stamp=run_stamp(session, run),
            units=units,
            params=results.parameters,
            region_sizes=sizes,
            small_regions=sorted(r for r, n in sizes.items() if n < SMALL_N and r != NO_REGION),
            # Stated needs counted by region and theme, and listed by theme for the whole county.
            needs_by_region=group_by_theme(results.needs, lambda n: (n.regions or [NO_REGION])[0]),
            needs_by_theme=group_by_theme(results.needs, lambda n: "").get("", {}),
            no_theme=NO_THEME,
        )
    return htmx.render(request, "staff/analysis.html", context)


@router.post("/ansatt/runder/{round_id}/analyse", name="round_analysis_run")
def analysis_run(
    round_id: int, request: Request, session: SessionDep, settings: SettingsDep, user: Coder
) -> Response:
    round_ = round_or_404(session, round_id)
    first = analysis.latest_run(session, round_id) is None
    analysis.analyze(session, round_=round_, actor=audit.staff_actor(user), data_dir=settings.data_dir)
    again = "" if first else " på nytt"
    htmx.flash(request, f"Analysen er kjørt{again} med svarene som er sendt inn nå.")
    return RedirectResponse(request.url_for("round_analysis", round_id=round_id), status_code=303)


@router.get("/ansatt/runder/{round_id}/analyse/kommuner/{unit}", name="round_analysis_unit")
def analysis_unit(round_id: int, unit: str, request: Request, session: SessionDep, user: Viewer) -> Response:
    round_ = round_or_404(session, round_id)
    run = analysis.latest_run(session, round_id)
    if run is None or unit not in run.results.units:
        raise HTTPException(404, "Kommunen finnes ikke i analysen av denne runden.")
    definition = round_definition(session, round_)
    data = run.results.units[unit]
    primary = data.regions[0] if data.regions else None
    lines = []
    for pid, info in run.results.parameters.items():
        value = data.parameters[pid]
        answers = []
        for c in value.contributions:
            question = definition.question(c.question_id)
            row = next((i.text for i in question.items or [] if f"{question.id}.{i.id}" == c.key), None)
            answers.append(AnswerLine(c, question, display_value(definition, question, c.key, c.value), row))
        region = info.regions.get(primary) if primary else None
        lines.append(ParameterLine(pid, info, value, answers, region))
    needs = group_by_theme(run.results.needs, lambda n: n.unit).get(unit, {})
    unexpressed = [u for u in run.results.unexpressed if u.unit == unit]
    return htmx.render(
        request,
        "staff/analysis_unit.html",
        {
            "round": round_,
            "run": run,
            "unit": unit,
            "data": data,
            "lines": lines,
            "primary": primary,
            "needs": needs,
            "no_theme": NO_THEME,
            "unexpressed": unexpressed,
            "theme_labels": _labels(),
            "small_n": SMALL_N,
            "history": knowledge.history_view(session, kommunenummer=data.kommunenummer),
        },
    )


@router.get("/ansatt/runder/{round_id}/koding", name="round_coding")
def coding_page(
    round_id: int, request: Request, session: SessionDep, user: Coder, vis: str = "ukodet", side: int = 1
) -> Response:
    round_ = round_or_404(session, round_id)
    vis = "alle" if vis == "alle" else "ukodet"
    in_round = (
        select(ThemeCoding.id)
        .join(SurveyResponse, col(SurveyResponse.id) == col(ThemeCoding.response_id))
        .join(Municipality, col(Municipality.id) == col(SurveyResponse.municipality_id))
        .where(SurveyResponse.round_id == round_id)
    )
    if vis == "ukodet":
        in_round = in_round.where(col(ThemeCoding.staff_codes).is_(None))
    # The ids only, to page them: a national round has thousands of answers, each a form on the page.
    ids = session.exec(in_round.order_by(col(Municipality.kommunenummer), col(ThemeCoding.id))).all()
    page = page_of([i for i in ids if i is not None], side, CODING_PAGE_SIZE)
    query = (
        select(ThemeCoding, Answer, Municipality)
        .join(SurveyResponse, col(SurveyResponse.id) == col(ThemeCoding.response_id))
        .join(
            Answer,
            (col(Answer.response_id) == col(ThemeCoding.response_id))
            & (col(Answer.question_id) == col(ThemeCoding.answer_key)),
        )
        .join(Municipality, col(Municipality.id) == col(SurveyResponse.municipality_id))
        .where(col(ThemeCoding.id).in_(page.items))
        .order_by(col(Municipality.kommunenummer), col(ThemeCoding.id))
    )
    definition = round_definition(session, round_)
    items = [
        (coding, answer, muni, definition.question(coding.answer_key.split(".")[0]))
        for coding, answer, muni in session.exec(query)
    ]
    coded = session.exec(
        select(func.count())
        .select_from(ThemeCoding)
        .join(SurveyResponse, col(SurveyResponse.id) == col(ThemeCoding.response_id))
        .where(SurveyResponse.round_id == round_id, col(ThemeCoding.staff_codes).is_not(None))
    ).one()
    return htmx.render(
        request,
        "staff/coding.html",
        {
            "round": round_,
            "items": items,
            "page": page,
            "coded": coded,
            "codes": CODES,
            "theme_labels": _labels(),
            "vis": vis,
            "agreement": analysis.agreement(session, round_id),
            "has_run": analysis.latest_run(session, round_id) is not None,
        },
    )


@router.post("/ansatt/runder/{round_id}/koding/{coding_id}", name="round_coding_confirm")
def coding_confirm(
    round_id: int, coding_id: int, request: Request, form: FormDataDep, session: SessionDep, user: Coder
) -> Response:
    round_ = round_or_404(session, round_id)
    coding = session.get(ThemeCoding, coding_id)
    response = session.get(SurveyResponse, coding.response_id) if coding else None
    if coding is None or response is None or response.round_id != round_id:
        raise HTTPException(404, "Svaret finnes ikke i denne runden.")
    codes = [c for c in form.getlist("codes") if isinstance(c, str)]
    if set(codes) - set(CODES):
        # Only a forged form sends a code that is not in the codebook: refuse it plainly, change nothing.
        raise HTTPException(422, "Temaet finnes ikke i kodeboken. Velg blant temaene på siden.")
    assert user.id is not None
    analysis.confirm(session, coding=coding, codes=codes, user_id=user.id, actor=audit.staff_actor(user))
    if not htmx.is_htmx(request):
        return RedirectResponse(request.url_for("round_coding", round_id=round_id), status_code=303)
    answer = session.exec(
        select(Answer).where(
            Answer.response_id == coding.response_id, Answer.question_id == coding.answer_key
        )
    ).one()
    muni = session.get(Municipality, response.municipality_id)
    question = round_definition(session, round_).question(coding.answer_key.split(".")[0])
    return htmx.render(
        request,
        "staff/coding.html",
        {
            "round": round_,
            "item": (coding, answer, muni, question),
            "codes": CODES,
            "theme_labels": _labels(),
        },
        block="item",
    )
