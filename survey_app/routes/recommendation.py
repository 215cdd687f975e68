"""The settlement recommendation: scenarios from imported figures, what-if, overrides, comparison, report."""

from __future__ import annotations

import functools
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, col, select

from analysis.settlement import INDEX, Recommendation, RulesError
from survey_app import audit, confirm, documents, htmx
from survey_app.deps import Exporter, Recommender, SessionDep, SettingsDep, Viewer
from survey_app.forms import FormDataDep
from survey_app.limits import MAX_ID, parse_id
from survey_app.models import Municipality, Scenario, utcnow
from survey_app.permissions import Action, can
from survey_app.services import recommendation, register
from survey_app.services.audit_log import record_read

router = APIRouter()

MAX_UPLOAD = 2 * 1024 * 1024
# The rule fields' names in the error summary; the criteria's weights are added per scenario.
FIELD_LABELS = {
    "total": "Antall å fordele",
    "minstetall": "Minstetall",
    "maks_endring": "Største endring (antall)",
    "maks_endring_andel": "Største endring (prosent)",
    "maks_justering": "Største justering etter kriteriene",
    "regionbaand": "Største endring i en regions andel",
    "ema": "Herav enslige mindreårige",
    "anmodes": "Hvilke kommuner som anmodes",
}
CANNOT_BE_FINAL = "Et scenario der reglene ikke kan oppfylles, kan ikke bli den endelige anbefalingen."
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# The case documents: (file name, renderer, audit name); the letter is written in the chosen målform.
DOCUMENTS: dict[str, tuple[str, Any, str]] = {
    "saksframlegg.docx": ("saksframlegg", documents.saksframlegg_docx, DOCX),
    "saksframlegg.pdf": ("saksframlegg", documents.saksframlegg_pdf, "application/pdf"),
    "brev-til-imdi.docx": ("brev til IMDi", documents.letter_docx, DOCX),
    "brev-til-imdi.pdf": ("brev til IMDi", documents.letter_pdf, "application/pdf"),
}


def _scenario_or_404(session: Session, scenario_id: int) -> Scenario:
    scenario = session.get(Scenario, scenario_id)
    if scenario is None:
        raise HTTPException(404, "Scenarioet finnes ikke.")
    return scenario


def _list_context(session: Session, form: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    return {
        "scenarios": list(session.exec(select(Scenario).order_by(col(Scenario.updated_at).desc()))),
        "rounds": recommendation.survey_rounds(session),
        "form": form,
        "errors": errors,
    }


@router.get("/ansatt/anbefaling", name="recommendation_list")
def scenario_list(request: Request, session: SessionDep, user: Viewer) -> Response:
    form = {"name": "", "total": "", "round_id": "", "year": str(_next_year()), "kilde": "kunnskapsgrunnlag"}
    context = _list_context(session, form, {})
    context["can_edit"] = can(user.role, Action.recommend)
    return htmx.render(request, "staff/recommendation_list.html", context)


@router.post("/ansatt/anbefaling", name="recommendation_create")
def scenario_create(
    request: Request,
    session: SessionDep,
    user: Recommender,
    name: Annotated[str, Form(max_length=200)] = "",
    total: Annotated[str, Form(max_length=20)] = "",
    round_id: Annotated[str, Form(max_length=20)] = "",
    year: Annotated[str, Form(max_length=20)] = "",
    kilde: Annotated[str, Form(max_length=30)] = "fil",
    figures: Annotated[UploadFile | None, File()] = None,
) -> Response:
    form = {"name": name, "total": total, "round_id": round_id, "year": year, "kilde": kilde}
    errors: dict[str, str] = {}
    chosen_year = _year(year)
    if chosen_year is None:
        errors["year"] = "Skriv året anbefalingen gjelder, for eksempel 2027."
    if not name.strip():
        errors["name"] = "Gi scenarioet et navn, for eksempel «Utkast 2027»."
    try:
        number = recommendation.whole_number(total, blank=None)
    except ValueError:
        number = None
    if number is None:
        errors["total"] = "Skriv hvor mange fylket skal fordele, som et helt tall."
    parsed: recommendation.Figures | None = None
    source, labels, sources = "", {}, []
    if kilde == "kunnskapsgrunnlag":
        if chosen_year is not None:
            try:
                found = recommendation.figures_for_year(session, year=chosen_year)
            except recommendation.FiguresError as error:
                errors["kilde"] = " ".join(error.problems)
            else:
                parsed, labels, sources = found.figures, found.labels, found.sources
                source = f"Kunnskapsgrunnlaget for {chosen_year}"
    else:
        # A sync route reads the spooled upload in its worker thread, off the event loop.
        data = figures.file.read(MAX_UPLOAD + 1) if figures is not None and figures.filename else b""
        if not data:
            errors["figures"] = (
                "Velg en CSV-fil med tallene per kommune, eller hent tallene fra kunnskapsgrunnlaget."
            )
        elif len(data) > MAX_UPLOAD:
            errors["figures"] = "Filen er større enn 2 MB. Del den opp, eller fjern kolonner som ikke brukes."
        else:
            try:
                parsed = recommendation.read_figures(
                    data, source=(figures.filename if figures else None) or "filen"
                )
            except recommendation.FiguresError as error:
                errors["figures"] = " ".join(error.problems[:5]) + (" …" if len(error.problems) > 5 else "")
            source = (figures.filename if figures else "") or ""
    chosen_round = parse_id(round_id)
    if not errors and parsed is not None and number is not None:
        try:
            scenario = recommendation.create_scenario(
                session,
                name=name.strip(),
                total=number,
                figures=parsed,
                figures_source=source,
                round_id=chosen_round,
                actor=audit.staff_actor(user),
                year=chosen_year,
                labels=labels,
                sources=sources,
            )
        except RulesError as error:
            session.rollback()
            errors["round_id"] = str(error)
        else:
            htmx.flash(request, f"Scenarioet «{scenario.name}» er laget med {len(parsed.rows)} kommuner.")
            return RedirectResponse(
                request.url_for("recommendation_scenario", scenario_id=scenario.id), status_code=303
            )
    context = _list_context(session, form, errors)
    context["can_edit"] = True
    return htmx.render(request, "staff/recommendation_list.html", context, status_code=422)


@router.get("/ansatt/anbefaling/mal.csv", name="recommendation_template")
def figures_template(
    session: SessionDep, user: Viewer, runde: Annotated[str, Query(max_length=20)] = ""
) -> Response:
    """A figures file to fill in, listing the county's municipalities (and their index from a round)."""
    municipalities = [
        m
        for m in session.exec(select(Municipality).order_by(col(Municipality.kommunenummer)))
        if m.id is not None
    ]
    regions = register.region_names(session, [m.id for m in municipalities if m.id is not None])
    rows = [(m.kommunenummer, m.name, " / ".join(regions.get(m.id or 0, []))) for m in municipalities]
    round_id = parse_id(runde)
    found = recommendation.index_from_round(session, round_id) if round_id is not None else None
    index = {k: v.get(INDEX) for k, v in found.values.items()} if found else None
    content = recommendation.template_csv(rows, index)
    headers = {"Content-Disposition": 'attachment; filename="anbefaling-tall.csv"'}
    return Response(content.encode("utf-8-sig"), media_type="text/csv; charset=utf-8", headers=headers)


def _next_year() -> int:
    return utcnow().year + 1


def _year(text: str) -> int | None:
    """The settlement year from the form; blank means next year, the usual case."""
    try:
        value = recommendation.whole_number(text, blank=_next_year(), most=2200)
    except ValueError:
        return None
    return value if value is not None and value >= 2000 else None


def _scenario_context(
    scenario: Scenario,
    user: Any,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    *,
    edited: recommendation.RulesForm | None = None,
) -> dict[str, Any]:
    """The scenario page's context: the saved scenario, or with ``edited`` the numbers of rules typed on the
    page and not saved (a preview), with what they change against the saved numbers."""
    saved = recommendation.result_of(scenario)
    rules = recommendation.scenario_rules(scenario)
    outcome, unsaved = saved, False
    if edited is not None and edited.rules is not None:
        rules = edited.rules
        unsaved = recommendation.is_unsaved(
            scenario, total=edited.total, minors=edited.minors, rules=edited.rules
        )
        if unsaved:
            outcome = recommendation.preview(
                scenario, total=edited.total, minors=edited.minors, rules=edited.rules
            )
    columns = scenario.criteria_columns
    summary = None
    if outcome.result is not None and not errors:
        summary = recommendation.summarise(outcome.result, saved.result if unsaved else None)
    return {
        "scenario": scenario,
        "field_labels": FIELD_LABELS,
        "rules": rules,
        "outcome": outcome,
        "result": outcome.result,
        "conflicts": outcome.conflicts,
        "summary": summary,
        "unsaved": unsaved or bool(errors),
        "method": recommendation.method_paragraphs(outcome.result) if outcome.result else [],
        "form": form or recommendation.form_values(scenario.total, scenario.minors_total, rules, columns),
        "errors": errors or {},
        "columns": columns,
        "survey_columns": scenario.survey_columns,
        "asked_choices": recommendation.ASKED_CHOICES,
        "column_label": functools.partial(recommendation.column_label, labels=scenario.criteria_labels),
        "rule_lines": recommendation.rule_lines(rules),
        "municipalities": sorted(((r.kommunenummer, r.name) for r in scenario.figures), key=lambda kv: kv[1]),
        "override_form": {"kommunenummer": "", "antall": "", "begrunnelse": ""},
        "override_errors": {},
        "copy_name": f"Kopi av {scenario.name}",
        "can_edit": can(user.role, Action.recommend),
        "can_export": can(user.role, Action.export),
        "index": INDEX,
        "oob": False,
        "saved_now": False,
    }


def _rules_form(scenario: Scenario, raw: Any) -> tuple[dict[str, str], recommendation.RulesForm]:
    """The rules form as typed (short text fields only) and what it parses to."""
    form = {k: v for k, v in raw.items() if isinstance(v, str) and len(v) <= 50}
    parsed = recommendation.rules_from_form(
        form, scenario.criteria_columns, scenario.criteria_labels, recommendation.scenario_rules(scenario)
    )
    return form, parsed


@router.get("/ansatt/anbefaling/sammenlign", name="recommendation_compare")
def scenario_compare(
    request: Request, session: SessionDep, user: Viewer, id: Annotated[list[int] | None, Query()] = None
) -> Response:
    """Scenarios side by side: each municipality's number in each, with last year's request."""
    chosen = [s for i in (id or [])[:6] if 0 < i <= MAX_ID and (s := session.get(Scenario, i)) is not None]
    columns: list[dict[str, Any]] = []
    names: dict[str, tuple[str, str, int]] = {}
    for s in chosen:
        outcome = recommendation.result_of(s)
        result, conflicts = outcome.result, outcome.conflicts
        numbers: dict[str, int] = {}
        if result is not None:
            for a in result.allocations:
                numbers[a.kommunenummer] = a.recommended
                names.setdefault(a.kommunenummer, (a.name, a.region, a.last_request))
        columns.append(
            {"scenario": s, "numbers": numbers, "conflicts": conflicts, "sum": sum(numbers.values())}
        )
    table = []
    for number, (name, region, last) in sorted(names.items(), key=lambda kv: kv[1][0]):
        values = [c["numbers"].get(number) for c in columns]
        present = [v for v in values if v is not None]
        table.append(
            {
                "name": name,
                "region": region,
                "last": last,
                "values": values,
                "spread": max(present) - min(present),
            }
        )
    return htmx.render(
        request,
        "staff/recommendation_compare.html",
        {
            "all": list(session.exec(select(Scenario).order_by(col(Scenario.updated_at).desc()))),
            "chosen": [s.id for s in chosen],
            "columns": columns,
            "table": table,
            "last_sum": sum(row["last"] for row in table),
        },
    )


@router.get("/ansatt/anbefaling/{scenario_id}", name="recommendation_scenario")
def scenario_page(scenario_id: int, request: Request, session: SessionDep, user: Viewer) -> Response:
    scenario = _scenario_or_404(session, scenario_id)
    return htmx.render(
        request, "staff/recommendation.html", _scenario_context(scenario, user), block="result"
    )


@router.post("/ansatt/anbefaling/{scenario_id}", name="recommendation_update")
def scenario_update(
    scenario_id: int, request: Request, raw: FormDataDep, session: SessionDep, user: Recommender
) -> Response:
    """«Lagre»: the total and rules typed on the page replace the scenario's. Without htmx (the page's
    button) the page reloads with the new «Sist endret»; an htmx post gets the numbers and the time."""
    scenario = _scenario_or_404(session, scenario_id)
    form, parsed = _rules_form(scenario, raw)
    changed = False
    if parsed.rules is not None:
        changed = recommendation.update_scenario(
            session,
            scenario=scenario,
            total=parsed.total,
            minors=parsed.minors,
            rules=parsed.rules,
            actor=audit.staff_actor(user),
        )
    if not htmx.is_htmx(request) and not parsed.errors:
        htmx.flash(
            request,
            f"Endringene er lagret i «{scenario.name}»."
            if changed
            else "Ingen endringer å lagre: totalen og reglene er de samme som før.",
        )
        return RedirectResponse(
            str(request.url_for("recommendation_scenario", scenario_id=scenario_id)) + "#regler",
            status_code=303,
        )
    context = _scenario_context(scenario, user, form, parsed.errors)
    context["oob"] = htmx.is_htmx(request)
    context["saved_now"] = changed
    # An htmx swap must be a 2xx; a plain form post that failed says so in its status.
    status = 422 if parsed.errors and not htmx.is_htmx(request) else 200
    return htmx.render(request, "staff/recommendation.html", context, block="result", status_code=status)


@router.post("/ansatt/anbefaling/{scenario_id}/forhandsvisning", name="recommendation_preview")
def scenario_preview(
    scenario_id: int, request: Request, raw: FormDataDep, session: SessionDep, user: Recommender
) -> Response:
    """The numbers of the rules as they are typed, saved nowhere: the table, and the summary beside the
    rules out of band. The adviser then chooses «Lagre» or «Lagre som nytt scenario»."""
    scenario = _scenario_or_404(session, scenario_id)
    form, parsed = _rules_form(scenario, raw)
    context = _scenario_context(scenario, user, form, parsed.errors, edited=parsed)
    context["oob"] = htmx.is_htmx(request)
    status = 422 if parsed.errors and not htmx.is_htmx(request) else 200
    return htmx.render(request, "staff/recommendation.html", context, block="result", status_code=status)


@router.post("/ansatt/anbefaling/{scenario_id}/overstyring", name="recommendation_override")
def scenario_override(
    scenario_id: int,
    request: Request,
    session: SessionDep,
    user: Recommender,
    kommunenummer: Annotated[str, Form(max_length=10)] = "",
    antall: Annotated[str, Form(max_length=20)] = "",
    begrunnelse: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    scenario = _scenario_or_404(session, scenario_id)
    known = {r.kommunenummer for r in scenario.figures}
    errors = {}
    if kommunenummer not in known:
        errors["kommunenummer"] = "Velg en kommune."
    try:
        number = recommendation.whole_number(antall, blank=None, most=100_000)
    except ValueError:
        number = None
    minimum = recommendation.scenario_rules(scenario).minimum
    if number is None:
        errors["antall"] = "Skriv antallet som et helt tall, 0 eller mer."
    elif 0 < number < minimum:
        errors["antall"] = (
            f"En kommune anmodes om 0 eller minst {minimum}. Skriv 0 eller et tall fra {minimum}."
        )
    if len(begrunnelse.strip()) < 10:
        errors["begrunnelse"] = "Skriv en begrunnelse (minst 10 tegn). Den står i anbefalingen og i loggen."
    if errors or number is None:
        context = _scenario_context(scenario, user)
        context.update(
            override_form={"kommunenummer": kommunenummer, "antall": antall, "begrunnelse": begrunnelse},
            override_errors=errors,
        )
        return htmx.render(request, "staff/recommendation.html", context, status_code=422)
    recommendation.set_override(
        session,
        scenario=scenario,
        kommunenummer=kommunenummer,
        number=number,
        reason=begrunnelse.strip(),
        actor=audit.staff_actor(user),
    )
    htmx.flash(request, "Overstyringen er lagret og logget.")
    return RedirectResponse(
        str(request.url_for("recommendation_scenario", scenario_id=scenario_id)) + "#overstyringer",
        status_code=303,
    )


@router.post(
    "/ansatt/anbefaling/{scenario_id}/overstyring/{kommunenummer}/fjern",
    name="recommendation_override_remove",
)
def scenario_override_remove(
    scenario_id: int, kommunenummer: str, request: Request, session: SessionDep, user: Recommender
) -> Response:
    scenario = _scenario_or_404(session, scenario_id)
    recommendation.remove_override(
        session, scenario=scenario, kommunenummer=kommunenummer, actor=audit.staff_actor(user)
    )
    htmx.flash(request, "Overstyringen er fjernet; reglene gjelder igjen for kommunen.")
    return RedirectResponse(
        str(request.url_for("recommendation_scenario", scenario_id=scenario_id)) + "#overstyringer",
        status_code=303,
    )


@router.post("/ansatt/anbefaling/{scenario_id}/kopi", name="recommendation_copy")
def scenario_copy(
    scenario_id: int, request: Request, raw: FormDataDep, session: SessionDep, user: Recommender
) -> Response:
    """«Lagre som nytt scenario»: a copy under a new name. From the rules form it takes the total and rules
    typed there, so an edit can be kept without changing the scenario it was made in."""
    scenario = _scenario_or_404(session, scenario_id)
    name = raw.get("name")
    chosen = name.strip()[:200] if isinstance(name, str) else ""
    total, minors, rules = None, None, None
    if "total" in raw:
        form, parsed = _rules_form(scenario, raw)
        if parsed.rules is None:
            context = _scenario_context(scenario, user, form, parsed.errors, edited=parsed)
            context["copy_name"] = chosen
            return htmx.render(request, "staff/recommendation.html", context, status_code=422)
        total, minors, rules = parsed.total, parsed.minors, parsed.rules
    copy = recommendation.copy_scenario(
        session,
        scenario=scenario,
        name=chosen or f"Kopi av {scenario.name}",
        actor=audit.staff_actor(user),
        total=total,
        minors=minors,
        rules=rules,
    )
    htmx.flash(
        request,
        f"Lagret som et nytt scenario, «{copy.name}». «{scenario.name}» er som før, og endringer her "
        "påvirker det ikke.",
    )
    return RedirectResponse(request.url_for("recommendation_scenario", scenario_id=copy.id), status_code=303)


@router.get("/ansatt/anbefaling/{scenario_id}/endelig/bekreft", name="recommendation_finalize_confirm")
def scenario_finalize_confirm(
    scenario_id: int, request: Request, session: SessionDep, user: Recommender
) -> Response:
    """The step before «Merk som endelig anbefaling», with what it does in words."""
    scenario = _scenario_or_404(session, scenario_id)
    back = str(request.url_for("recommendation_scenario", scenario_id=scenario_id))
    outcome = recommendation.result_of(scenario)
    if outcome.result is None:
        htmx.flash(request, CANNOT_BE_FINAL, "danger")
        return RedirectResponse(back, status_code=303)
    if scenario.is_final:
        htmx.flash(request, f"«{scenario.name}» er allerede fylkets endelige anbefaling.")
        return RedirectResponse(back, status_code=303)
    previous = session.exec(select(Scenario).where(col(Scenario.is_final))).first()
    return confirm.page(
        request,
        confirm.Confirmation(
            title=f"Merke «{scenario.name}» som endelig anbefaling?",
            consequences=recommendation.finalize_consequences(
                scenario.name, scenario.year, outcome.result, previous.name if previous else None
            ),
            action=str(request.url_for("recommendation_finalize", scenario_id=scenario_id)),
            label="Merk som endelig anbefaling",
            back=back,
        ),
    )


@router.post("/ansatt/anbefaling/{scenario_id}/endelig", name="recommendation_finalize")
def scenario_finalize(scenario_id: int, request: Request, session: SessionDep, user: Recommender) -> Response:
    scenario = _scenario_or_404(session, scenario_id)
    outcome = recommendation.result_of(scenario)
    if outcome.result is None:
        htmx.flash(request, CANNOT_BE_FINAL, "danger")
    else:
        recommendation.finalize(
            session, scenario=scenario, result=outcome.result, actor=audit.staff_actor(user)
        )
        htmx.flash(request, f"«{scenario.name}» er nå fylkets endelige anbefaling.")
    return RedirectResponse(
        request.url_for("recommendation_scenario", scenario_id=scenario_id), status_code=303
    )


def _computed(session: Session, scenario_id: int) -> tuple[Scenario, Recommendation]:
    """The scenario and its numbers, for a file; a scenario whose rules cannot hold has no file (409)."""
    scenario = _scenario_or_404(session, scenario_id)
    outcome = recommendation.result_of(scenario)
    if outcome.result is None:
        raise HTTPException(409, "Reglene kan ikke oppfylles: " + " ".join(outcome.conflicts))
    return scenario, outcome.result


def _record_export(session: Session, user: Any, scenario: Scenario, details: dict[str, Any]) -> None:
    record_read(
        session,
        actor=audit.staff_actor(user),
        action="export",
        object_type="scenario",
        object_id=scenario.id,
        details=details,
    )


@router.get("/ansatt/anbefaling/{scenario_id}/anbefaling.xlsx", name="recommendation_xlsx")
def scenario_xlsx(scenario_id: int, session: SessionDep, user: Exporter) -> Response:
    scenario, result = _computed(session, scenario_id)
    _record_export(session, user, scenario, {"format": "xlsx", "name": scenario.name})
    headers = {"Content-Disposition": f'attachment; filename="anbefaling-{scenario_id}.xlsx"'}
    content = recommendation.scenario_xlsx(session, scenario=scenario, result=result)
    return Response(content, media_type=XLSX, headers=headers)


@router.get("/ansatt/anbefaling/{scenario_id}/rapport", name="recommendation_report")
def scenario_report(scenario_id: int, request: Request, session: SessionDep, user: Viewer) -> Response:
    """The printable report for the political case: table, begrunnelser, rules, sources and dates."""
    scenario = _scenario_or_404(session, scenario_id)
    return htmx.render(request, "staff/recommendation_report.html", _scenario_context(scenario, user))


@router.get("/ansatt/anbefaling/{scenario_id}/dokument/{filename}", name="recommendation_document")
def scenario_document(
    scenario_id: int,
    filename: str,
    session: SessionDep,
    settings: SettingsDep,
    user: Exporter,
    malform: Annotated[str, Query(max_length=2)] = "nb",
) -> Response:
    """The saksframlegg for the political case, or the letter to IMDi, as DOCX or PDF."""
    if filename not in DOCUMENTS:
        raise HTTPException(404, "Dokumentet finnes ikke.")
    scenario, result = _computed(session, scenario_id)
    title, render, media_type = DOCUMENTS[filename]
    written: Literal["nb", "nn"] = "nn" if malform == "nn" else "nb"
    document = recommendation.scenario_document(
        session,
        scenario=scenario,
        result=result,
        county=settings.county_name,
        prepared_by=user.full_name or user.email,
        malform=written,
    )
    content = render(document)
    details = {"document": title, "format": filename, "malform": written, "name": scenario.name}
    _record_export(session, user, scenario, details)
    stem, suffix = filename.rsplit(".", 1)
    headers = {"Content-Disposition": f'attachment; filename="{stem}-{scenario_id}-{written}.{suffix}"'}
    return Response(content, media_type=media_type, headers=headers)
