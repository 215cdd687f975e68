"""The municipality's way through: invitation link, sections with autosave, review, submit, receipt.

Nothing here takes a response id from the URL: the response is the one of the invitation in the
session, so one municipality's link can never reach another's answers.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, col, select

from survey_app import htmx
from survey_app.csrf import rotate_csrf_token
from survey_app.deps import (
    MAX_SLOTS,
    RESPONDENT_KEY,
    SLOT_PARAM,
    STAFF_KEY,
    DraftDep,
    RespondentDep,
    SessionDep,
    describe,
    open_slots,
)
from survey_app.forms import (
    VERSION_PREFIX,
    FormDataDep,
    Value,
    keys_of,
    selected,
    stamp,
    submitted_changes,
    validate,
)
from survey_app.i18n import t
from survey_app.models import Invitation, Municipality, SessionKind, WebSession
from survey_app.questionnaires import Question, Section, estimate_minutes
from survey_app.services import invitations, responses, sessions
from survey_app.services.invitations import LinkProblem
from survey_app.services.prefill import Prefill
from survey_app.services.responses import Draft, KeyResult, Outcome

router = APIRouter()

LINK_PROBLEMS = {
    LinkProblem.unknown: (
        404,
        "Lenken er ikke gyldig",
        "Sjekk at du har kopiert hele lenken fra invitasjonen. Får du det ikke til, "
        "ta kontakt med fylkeskommunen for å få en ny lenke.",
    ),
    LinkProblem.revoked: (
        410,
        "Lenken er erstattet",
        "Fylkeskommunen har laget en ny lenke til kommunen deres. Bruk den nyeste lenken, "
        "eller spør kollegaen som koordinerer svaret. Svarene dere har lagret, er ikke borte.",
    ),
    LinkProblem.expired: (
        410,
        "Lenken er utløpt",
        "Ta kontakt med fylkeskommunen for å få en ny lenke. Svarene dere har lagret, er ikke borte.",
    ),
    LinkProblem.closed: (
        403,
        "Undersøkelsen er ikke åpnet ennå",
        "Lenken virker når fylkeskommunen åpner runden.",
    ),
}


def _link_problem(request: Request, problem: LinkProblem | None) -> Response:
    status, title, text = LINK_PROBLEMS[problem or LinkProblem.unknown]
    return htmx.render(
        request, "respondent/link_problem.html", {"title": title, "text": text}, status_code=status
    )


def _to(request: Request, name: str, slot: str, **params: str) -> str:
    """A respondent URL of this slot, for a redirect."""
    return str(request.url_for(name, **params).include_query_params(**{SLOT_PARAM: slot}))


def _open(
    request: Request, session: Session, invitation: Invitation, held: dict[str, WebSession]
) -> Response:
    """Begin an invitation session in this browser, beside the others it holds (``held``), and go to its
    start page."""
    slot = next((s for s, row in held.items() if row.invitation_id == invitation.id), None)
    if slot is None:
        client = sessions.Client(
            user_agent=request.headers.get("user-agent", ""),
            address=request.client.host if request.client else "",
        )
        _, token = sessions.begin(
            session, kind=SessionKind.respondent, client=client, invitation_id=invitation.id
        )
        slot = secrets.token_urlsafe(6)
        tokens = dict(request.session.get(RESPONDENT_KEY) or {})
        tokens = dict(list(tokens.items())[-(MAX_SLOTS - 1) :])  # the oldest go first; the cookie stays small
        request.session[RESPONDENT_KEY] = {**tokens, slot: token}
        if not held and STAFF_KEY not in request.session:
            # A token seen before the link was opened is worth nothing after; but a browser already signed
            # in keeps its token, or its open tabs could save nothing more.
            rotate_csrf_token(request)
    return RedirectResponse(_to(request, "respondent_start", slot), status_code=303)


@router.get("/i/{token}", name="invitation_open")
def invitation_open(token: str, request: Request, session: SessionDep) -> Response:
    found = invitations.resolve(session, token=token)
    if found.problem is not None or found.invitation is None:
        return _link_problem(request, found.problem)
    invitation = found.invitation
    held = open_slots(request, session)
    already = any(row.invitation_id == invitation.id for row in held.values())
    if not already and _municipalities(session, held) - {invitation.municipality_id}:
        # A link for another municipality than the ones open here (a colleague's link, or one planted by
        # another site): ask before this browser answers for it too.
        return htmx.render(
            request,
            "respondent/confirm_open.html",
            {
                "municipality": session.get(Municipality, invitation.municipality_id),
                "open_forms": describe(session, held),
                "token": token,
            },
        )
    return _open(request, session, invitation, held)


@router.post("/i/{token}", name="invitation_confirm")
def invitation_confirm(token: str, request: Request, session: SessionDep) -> Response:
    """«Åpne skjemaet» on the question above."""
    found = invitations.resolve(session, token=token)
    if found.problem is not None or found.invitation is None:
        return _link_problem(request, found.problem)
    return _open(request, session, found.invitation, open_slots(request, session))


def _municipalities(session: Session, slots: dict[str, WebSession]) -> set[int]:
    """The municipalities this browser's open invitation sessions answer for."""
    ids = [row.invitation_id for row in slots.values()]
    return set(session.exec(select(Invitation.municipality_id).where(col(Invitation.id).in_(ids))))


@router.get("/svar", name="respondent_start")
def start(request: Request, draft: DraftDep, respondent: RespondentDep) -> Response:
    sections = [(s, responses.progress(draft, s)) for s in draft.definition.sections]
    return htmx.render(
        request,
        "respondent/start.html",
        {
            "draft": draft,
            "lang": draft.lang,
            "sections": sections,
            "editor": respondent.row.editor,
            "total": responses.progress(draft),
            "minutes": estimate_minutes(draft.definition, draft.lang),
            # Sent, or the round has closed: the page offers what can still be done (read, the receipt).
            "read_only": draft.read_only_reason,
        },
    )


@router.post("/svar/navn", name="respondent_editor")
def set_editor(
    request: Request,
    draft: DraftDep,
    session: SessionDep,
    respondent: RespondentDep,
    editor: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    # Shown to colleagues next to what this person saves; not required, and never more than a label.
    sessions.set_editor(session, row=respondent.row, editor=" ".join(editor.split())[:100])
    return RedirectResponse(_to(request, "respondent_start", respondent.slot), status_code=303)


# --- sections ---------------------------------------------------------------------------------------


@dataclass
class SectionView:
    """What the section template shows: stored values, or what the user sent where it was not stored."""

    draft: Draft
    section: Section
    shown: set[str]
    values: dict[str, Value]
    messages: dict[str, str] = field(default_factory=dict)
    conflicts: dict[str, KeyResult] = field(default_factory=dict)
    saved: dict[str, KeyResult] = field(default_factory=dict)
    prefilled: dict[str, Prefill] = field(default_factory=dict)  # shown in the field, not yet saved

    def keys(self, question: Question) -> list[str]:
        return keys_of(question)

    def params(self, question: Question) -> str:
        """hx-params: autosave sends only this question's fields and their versions."""
        keys = keys_of(question)
        return ",".join(keys + [VERSION_PREFIX + k for k in keys])

    def stamp(self, key: str) -> str:
        """The ``v:`` field: the stored version and value this page is based on."""
        return stamp(self.draft.version(key), self.draft.value(key))

    def checked(self, key: str, choice: object) -> bool:
        return str(choice) in {str(v) for v in selected(self.values.get(key))}


def section_view(draft: Draft, section: Section, results: list[KeyResult] | None = None) -> SectionView:
    values = draft.values()
    view = SectionView(draft, section, responses.visible_ids(draft.definition, values), dict(values))
    for key, known in draft.known.items():
        # Offered, not stored: saving the question (as it is or corrected) makes it the municipality's answer.
        if draft.value(key) is None and not draft.read_only_reason:
            view.values[key] = known.value
            view.prefilled[key] = known
    for result in results or []:
        if result.outcome in (Outcome.conflict, Outcome.refused):
            # Keep what this person typed on the page; the stored value is shown beside it.
            view.values[result.key] = result.mine
            if result.outcome == Outcome.conflict:
                view.conflicts[result.key] = result
            else:
                view.messages[result.key.split(".", 1)[0]] = result.message or ""
        elif result.outcome == Outcome.saved:
            view.saved[result.key] = result
    for question in section.questions:
        if question.id in view.messages:
            continue
        for key in keys_of(question):
            message = validate(draft.definition, question, key, view.values.get(key), draft.lang)
            if message:
                view.messages[question.id] = message
                break
    return view


def _section_or_404(draft: Draft, section_id: str) -> tuple[Section, Section | None, Section | None]:
    sections = draft.definition.sections
    for i, section in enumerate(sections):
        if section.id == section_id:
            return (
                section,
                (sections[i - 1] if i else None),
                (sections[i + 1] if i + 1 < len(sections) else None),
            )
    raise HTTPException(404, t("no_such_section", draft.lang))


def _section_context(draft: Draft, section_id: str, view: SectionView) -> dict[str, Any]:
    section, previous, following = _section_or_404(draft, section_id)
    sections = draft.definition.sections
    return {
        "draft": draft,
        "lang": draft.lang,
        "view": view,
        "section": section,
        "number": next(i for i, s in enumerate(sections, 1) if s.id == section.id),
        "count": len(sections),
        "previous": previous,
        "following": following,
        "progress": responses.progress(draft, section),
        "read_only": draft.read_only_reason,
    }


@router.get("/svar/del/{section_id}", name="respondent_section")
def section_page(section_id: str, request: Request, draft: DraftDep) -> Response:
    section, _, _ = _section_or_404(draft, section_id)
    return htmx.render(
        request, "respondent/section.html", _section_context(draft, section_id, section_view(draft, section))
    )


@router.post("/svar/del/{section_id}", name="respondent_section_save")
def section_save(
    section_id: str,
    request: Request,
    draft: DraftDep,
    session: SessionDep,
    respondent: RespondentDep,
    form: FormDataDep,
) -> Response:
    """The no-JavaScript path: save the whole section, then go on (or show what needs attention)."""
    section, previous, following = _section_or_404(draft, section_id)
    editor = respondent.row.editor
    changes = {}
    for question in section.questions:
        changes.update(submitted_changes(draft.definition, form, only=question))
    try:
        results = responses.save(session, draft=draft, changes=changes, editor=editor)
    except responses.ReadOnly as exc:
        raise HTTPException(409, str(exc)) from None
    view = section_view(draft, section, results)
    go = form.get("ga")
    if view.conflicts or any(r.outcome == Outcome.refused for r in results):
        return htmx.render(request, "respondent/section.html", _section_context(draft, section_id, view))
    if go == "neste" and view.messages.keys() & view.shown:
        # What was typed is saved as typed, but «Neste del» does not walk past an answer that cannot be
        # used: the section comes back with the message at the question and the summary on top.
        return htmx.render(
            request, "respondent/section.html", _section_context(draft, section_id, view), status_code=422
        )
    slot = respondent.slot
    if go == "forrige" and previous:
        target = _to(request, "respondent_section", slot, section_id=previous.id)
    elif go == "neste":
        target = (
            _to(request, "respondent_section", slot, section_id=following.id)
            if following
            else _to(request, "respondent_review", slot)
        )
    else:
        target = _to(request, "respondent_section", slot, section_id=section.id)
    return RedirectResponse(target, status_code=303)


def _question_or_404(draft: Draft, question_id: str) -> tuple[Section, Question]:
    for section in draft.definition.sections:
        for question in section.questions:
            if question.id == question_id:
                return section, question
    raise HTTPException(404, t("no_such_question", draft.lang))


@router.get("/svar/sporsmal/{question_id}", name="respondent_question")
def question_fragment(question_id: str, request: Request, draft: DraftDep) -> Response:
    """One question as stored now (used by «Bruk det lagrede svaret» after a conflict)."""
    section, question = _question_or_404(draft, question_id)
    context = _section_context(draft, section.id, section_view(draft, section))
    return htmx.render(
        request, "respondent/section.html", {**context, "question": question}, block="question"
    )


@router.post("/svar/sporsmal/{question_id}", name="respondent_autosave")
def autosave(
    question_id: str,
    request: Request,
    draft: DraftDep,
    session: SessionDep,
    respondent: RespondentDep,
    form: FormDataDep,
) -> Response:
    """Save one question (htmx, on change and after a pause in typing) and report how it went."""
    section, question = _question_or_404(draft, question_id)
    before = responses.visible_ids(draft.definition, draft.values())
    changes = submitted_changes(draft.definition, form, only=question)
    try:
        results = responses.save(session, draft=draft, changes=changes, editor=respondent.row.editor)
    except responses.ReadOnly as exc:
        return htmx.render(
            request,
            "respondent/section.html",
            {
                **_section_context(draft, section.id, section_view(draft, section)),
                "question": question,
                "results": [],
                "read_only": str(exc),
                "toggled": [],
            },
            block="autosave",
        )
    view = section_view(draft, section, results)
    toggled = [q for q in section.questions if (q.id in before) != (q.id in view.shown)]
    return htmx.render(
        request,
        "respondent/section.html",
        {
            **_section_context(draft, section.id, view),
            "question": question,
            "results": results,
            "toggled": toggled,
        },
        block="autosave",
    )


# --- review, submit, receipt ----------------------------------------------------------------------


def _review(
    request: Request,
    draft: Draft,
    *,
    attempted: bool = False,
    errors: dict[str, str] | None = None,
    signer: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The review page. Until someone tries to submit (``attempted``), what is missing is an overview to
    work through, section by section, not an error: the error summary comes with the attempt."""
    issues = responses.issues(draft)
    # The issues that are a wrong answer rather than a missing one.
    invalid = {i.question.id for i in responses.issues(draft, require=False)}
    by_section = [
        (section, found)
        for section in draft.definition.sections
        if (found := [i for i in issues if i.section.id == section.id])
    ]
    return htmx.render(
        request,
        "respondent/review.html",
        {
            "draft": draft,
            "lang": draft.lang,
            "attempted": attempted,
            "issues": issues,
            "by_section": by_section,
            "invalid": invalid,
            "missing_count": sum(1 for i in issues if i.question.id not in invalid),
            "shown": responses.visible_ids(draft.definition, draft.values()),
            "errors": errors or {},
            "signer": signer or {"name": "", "role": ""},
            "read_only": draft.read_only_reason,
        },
        status_code=status_code,
    )


@router.get("/svar/oppsummering", name="respondent_review")
def review(request: Request, draft: DraftDep) -> Response:
    return _review(request, draft)


@router.post("/svar/send-inn", name="respondent_submit")
def submit(
    request: Request,
    draft: DraftDep,
    session: SessionDep,
    respondent: RespondentDep,
    signer_name: Annotated[str, Form(max_length=5000)] = "",
    signer_role: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    signer = {"name": signer_name, "role": signer_role}
    errors = {}
    for name, value in (("signer_name", signer_name), ("signer_role", signer_role)):
        if not value.strip():
            errors[name] = t(f"{name}_missing", draft.lang)
        elif len(value) > 200:
            errors[name] = t(f"{name}_long", draft.lang)
    if errors:
        return _review(request, draft, attempted=True, errors=errors, signer=signer, status_code=422)
    try:
        remaining = responses.submit(session, draft=draft, signer_name=signer_name, signer_role=signer_role)
    except responses.ReadOnly as exc:
        raise HTTPException(409, str(exc)) from None
    if remaining:
        return _review(request, draft, attempted=True, signer=signer, status_code=422)
    return RedirectResponse(_to(request, "respondent_receipt", respondent.slot), status_code=303)


@router.get("/svar/kvittering", name="respondent_receipt")
def receipt(request: Request, draft: DraftDep, respondent: RespondentDep) -> Response:
    if draft.response.submitted_at is None:
        return RedirectResponse(_to(request, "respondent_review", respondent.slot), status_code=303)
    return htmx.render(
        request,
        "respondent/receipt.html",
        {
            "draft": draft,
            "lang": draft.lang,
            "shown": responses.visible_ids(draft.definition, draft.values()),
        },
    )
