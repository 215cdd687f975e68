"""The blank questionnaire as PDF: for a municipality from its start page, and for staff from a round.

A municipality gets the questionnaire version of its own round, in its målform; staff choose the målform.
The PDF holds no answers, so it needs no more than the right to see the round (or an invitation).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import Response
from sqlmodel import Session

from survey_app.deps import DraftDep, SessionDep, Viewer, round_or_404
from survey_app.documents.blank_form import blank_form, blank_form_pdf
from survey_app.documents.formatting import OSLO
from survey_app.i18n import Lang
from survey_app.models import County, QuestionnaireVersion, Round
from survey_app.questionnaires import QuestionnaireDef
from survey_app.services.catalog import definition_of
from survey_app.services.responses import round_name

router = APIRouter()

# Letters a plain ASCII slug cannot get from Unicode decomposition alone.
_ASCII = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "Æ": "ae", "Ø": "o", "Å": "a"})


def file_slug(text: str) -> str:
    """``text`` as a safe ASCII file name part: «Kommuneundersøkelsen 2026» → ``kommuneundersokelsen-2026``."""
    flat = unicodedata.normalize("NFKD", text.translate(_ASCII)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", flat.lower()).strip("-") or "skjema"


def _pdf(
    session: Session,
    *,
    definition: QuestionnaireDef,
    round_: Round,
    lang: Lang,
    municipality: str | None,
) -> Response:
    county = session.get(County, round_.county_id)
    # The round as a municipality reads it (its title in the målform and the year), not the staff's name.
    name = round_name(definition.in_language(lang), round_)
    form = blank_form(
        definition,
        lang=lang,
        county=county.name if county is not None else "",
        round_title=name,
        closes_on=round_.closes_on,
        printed_on=datetime.now(OSLO).date(),
        municipality=municipality,
    )
    filename = f"{file_slug(name)}-tomt-skjema.pdf"
    return Response(
        blank_form_pdf(form),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/svar/skjema.pdf", name="respondent_blank_pdf")
def respondent_blank_pdf(session: SessionDep, draft: DraftDep) -> Response:
    """The questionnaire of this invitation's round, blank, in the municipality's målform."""
    lang: Lang = "nn" if draft.lang == "nn" else "nb"
    return _pdf(
        session,
        definition=draft.definition,
        round_=draft.round,
        lang=lang,
        municipality=draft.municipality.name,
    )


@router.get("/ansatt/runder/{round_id}/skjema.pdf", name="round_blank_pdf")
def round_blank_pdf(
    round_id: int, session: SessionDep, user: Viewer, malform: Literal["nb", "nn"] = "nb"
) -> Response:
    """The round's questionnaire, blank, in bokmål or nynorsk (``?malform=nn``)."""
    round_ = round_or_404(session, round_id)
    version = session.get(QuestionnaireVersion, round_.questionnaire_version_id)
    if version is None:  # a round always pins a version; only a broken database gets here
        raise LookupError(f"round {round_id} has no questionnaire version")
    return _pdf(session, definition=definition_of(version), round_=round_, lang=malform, municipality=None)
