"""A submitted response as a document for the archive, in the municipality's målform.

``response_document`` words a response for print from its ``Draft`` (whose questionnaire is already in the
municipality's målform: ``load_draft`` without ``read_in``): who answered, when and who approved it, then every
shown question with its answer as the municipality chose it. The frame texts come from ``survey_app.i18n`` where
the receipt has them, the few others from ``FRAME`` below. ``templates/documents/response.html`` lays it out;
``survey_app.services.archive`` renders it as PDF/A.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from survey_app.dates import local
from survey_app.documents import formatting as fmt
from survey_app.documents.model import printable
from survey_app.i18n import Lang, t
from survey_app.question_types import kind_of

if TYPE_CHECKING:  # the documents package renders values; it does not read the database
    from survey_app.services.responses import Draft

# Frame texts the respondent's catalogue does not have: (bokmål, nynorsk).
FRAME: dict[str, tuple[str, str]] = {
    "kind": ("Svar til fylkeskommunen", "Svar til fylkeskommunen"),
    "version": ("Versjon av svaret", "Versjon av svaret"),
    "form_version": ("Skjemaversjon", "Skjemaversjon"),
    "archived": ("Arkivversjon laget {date}", "Arkivversjon laga {date}"),
    "not_signed": ("Ikke oppgitt", "Ikkje oppgitt"),
}


def frame(key: str, lang: Lang, **fields: str) -> str:
    bokmal, nynorsk = FRAME[key]
    return (nynorsk if lang == "nn" else bokmal).format(**fields)


@dataclass(frozen=True)
class AnswerLine:
    label: str  # the matrix row or «Annet»; "" for the question's own answer
    text: str


@dataclass(frozen=True)
class AnsweredQuestion:
    number: int
    text: str
    answers: tuple[AnswerLine, ...]
    free_text: bool  # written by the municipality in its own words (may hold personal data)


@dataclass(frozen=True)
class AnsweredSection:
    title: str
    questions: tuple[AnsweredQuestion, ...]


@dataclass(frozen=True)
class ResponseDocument:
    language: str  # BCP 47: nb-NO or nn-NO
    county: str
    kind: str
    title: str  # «Svar frå Askvoll kommune»
    survey: str  # the questionnaire's title and year, as the municipality read it
    facts: tuple[tuple[str, str], ...]  # (label, value)
    sections: tuple[AnsweredSection, ...]
    header: str
    footer: str

    @property
    def has_free_text(self) -> bool:
        """Whether the municipality wrote anything in its own words: the archive screens such a document."""
        return any(q.free_text for s in self.sections for q in s.questions)


def _lang(draft: Draft) -> Lang:
    return "nn" if draft.lang == "nn" else "nb"


def _moment(draft: Draft, lang: Lang) -> str:
    submitted = draft.response.submitted_at
    if submitted is None:
        return "–"
    when = local(submitted)
    return f"{fmt.long_date(when.date(), lang)} kl. {when:%H:%M}"


def response_document(draft: Draft, *, shown: Set[str], county: str, made_on: date) -> ResponseDocument:
    """The response of ``draft`` worded for the archive, in the municipality's målform; ``shown`` are the
    questions its answers showed (``responses.visible_ids``)."""
    lang = _lang(draft)
    definition = draft.definition
    signed = (
        f"{draft.response.signed_by_name}, {draft.response.signed_by_role}"
        if draft.response.signed_by_name
        else frame("not_signed", lang)
    )
    municipality = (
        f"{t('municipality', lang, name=draft.municipality.name)} ({draft.municipality.kommunenummer})"
    )
    facts = (
        (t("receipt_municipality", lang), municipality),
        (t("receipt_survey", lang), draft.round_name),
        (t("receipt_submitted", lang), _moment(draft, lang)),
        (t("receipt_signed", lang), signed),
        (frame("version", lang), str(draft.response.version)),
        (frame("form_version", lang), definition.version or "–"),
    )
    number = 0
    sections = []
    for section in definition.sections:
        questions = []
        for q in section.questions:
            number += 1
            if q.id not in shown:
                continue
            kind = kind_of(q)
            lines: list[AnswerLine] = []
            free = False
            for key in kind.keys(q):
                value = draft.value(key)
                is_other = key != q.id and not q.items
                if is_other and not value:
                    continue  # no «Annet» text: nothing to print under the answer
                label = kind.key_label(q, key, lang) if (q.items or is_other) else ""
                shown_value = (
                    t("not_answered", lang)
                    if value is None
                    else kind.display(definition, q, key, value, lang)
                )
                lines.append(AnswerLine(label, shown_value))
                # Text the municipality typed itself: a long answer, or the words after «Annet».
                free = free or (bool(value) and isinstance(value, str) and (kind.layout == "box" or is_other))
            questions.append(AnsweredQuestion(number, str(q.text), tuple(lines), free))
        if questions:
            sections.append(AnsweredSection(str(section.title), tuple(questions)))
    title = t("answer_title", lang, name=draft.municipality.name)
    document = ResponseDocument(
        language="nn-NO" if lang == "nn" else "nb-NO",
        county=county,
        kind=frame("kind", lang),
        title=title,
        survey=draft.round_name,
        facts=facts,
        sections=tuple(sections),
        header=f"{county} · {draft.round_name}",
        footer=f"{title} · {frame('archived', lang, date=fmt.long_date(made_on, lang))}",
    )
    return printable(document)


def response_html(document: ResponseDocument) -> str:
    """The document's HTML, from ``templates/documents/response.html``."""
    from survey_app.documents.pdf import render_html

    return render_html("documents/response.html", doc=document)
