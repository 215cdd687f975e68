"""A blank questionnaire as PDF, for a municipality to pass round internally before it answers.

``blank_form`` words every question of a ``QuestionnaireDef`` for print: its number, text and help, what kind
of answer it takes (boxes to tick, a scale, a matrix, room to write, a number with its limits and unit),
whether it is required, and when it applies (its ``show_if`` in words, naming the earlier question by its
number). The frame texts come from ``survey_app.i18n`` in the municipality's målform; the questionnaire's own
texts are read through ``text_of``. ``blank_form_pdf`` renders the result with ``templates/documents/
blank_form.html``, through the same WeasyPrint set-up as the case documents (``pdf.py``: nothing fetched).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from survey_app.documents import formatting as fmt
from survey_app.documents.formatting import paragraphs
from survey_app.documents.model import printable
from survey_app.i18n import Lang, t
from survey_app.question_types import kind_of
from survey_app.question_types._options import in_lang
from survey_app.question_types.base import Layout
from survey_app.questionnaires import Question, QuestionnaireDef, ShowIf

# Room to write a long text: about one line per 250 characters allowed, between 4 and 10 lines.
CHARS_PER_LINE = 250
BOX_LINES = (4, 10)
BOX_LINES_UNLIMITED = 8


def text_of(value: str | None, lang: str) -> str:
    """A questionnaire text in ``lang`` (bokmål where it has no ``lang`` form); ``None`` (an absent help or
    intro) gives ``""``."""
    return "" if value is None else in_lang(value, lang)


@dataclass(frozen=True)
class BlankQuestion:
    number: int
    text: str
    required: str  # «(må besvares)», or "" for an optional question
    condition: str  # when to answer it, in words; "" when it always applies
    help: tuple[str, ...]  # paragraphs
    hint: str  # how to answer: «Kryss av for eitt svar.», the limits of a number, …
    as_of: str  # «Svar ut frå situasjonen per 1. oktober 2026.» for a dated question, or ""
    layout: Layout
    choices: tuple[str, ...]  # option labels; for a scale or matrix, the scale's labels (and «Vet ikkje»)
    rows: tuple[str, ...]  # a matrix's rows
    other: str  # the prompt to describe «Annet», or ""
    unit: str  # beside a number's box
    lines: int  # room to write, in lines


@dataclass(frozen=True)
class BlankSection:
    number: int
    title: str
    intro: tuple[str, ...]
    questions: tuple[BlankQuestion, ...]


@dataclass(frozen=True)
class BlankForm:
    language: str  # BCP 47, for the PDF
    county: str
    kind: str
    title: str
    facts: tuple[str, ...]  # municipality, round, deadline
    instructions: tuple[str, ...]
    intro: tuple[str, ...]
    sections: tuple[BlankSection, ...]
    header: str
    footer: str


def blank_form(
    definition: QuestionnaireDef,
    *,
    lang: Lang,
    county: str,
    round_title: str,
    closes_on: date,
    printed_on: date,
    municipality: str | None = None,
) -> BlankForm:
    """The questionnaire worded for print in ``lang``; ``municipality`` when it is printed for one."""
    numbers = {q.id: n for n, q in enumerate(definition.questions(), start=1)}
    title = text_of(definition.title, lang)
    facts = [f"{round_title}. {t('deadline', lang, date=fmt.long_date(closes_on, lang))}"]
    if municipality is not None:
        facts.insert(0, t("municipality", lang, name=municipality))
    sections = tuple(
        BlankSection(
            number=i,
            title=text_of(section.title, lang),
            intro=tuple(paragraphs(text_of(section.intro, lang))),
            questions=tuple(_question(definition, q, numbers, lang) for q in section.questions),
        )
        for i, section in enumerate(definition.sections, start=1)
    )
    printed = t("blank_printed", lang, date=fmt.long_date(printed_on, lang))
    form = BlankForm(
        language="nn-NO" if lang == "nn" else "nb-NO",
        county=county,
        kind=t("blank_kind", lang),
        title=title,
        facts=tuple(facts),
        instructions=tuple(
            t(key, lang) for key in ("blank_purpose", "blank_submit_online", "blank_required")
        ),
        intro=tuple(paragraphs(text_of(definition.intro, lang))),
        sections=sections,
        header=f"{county} · {title}",
        footer=f"{t('blank_kind', lang)} · {printed}",
    )
    return printable(form)


def blank_form_pdf(form: BlankForm) -> bytes:
    """The blank questionnaire as a tagged A4 PDF, from ``templates/documents/blank_form.html``."""
    # Imported here, as in letter.py: WeasyPrint takes a while to load.
    from survey_app.documents.pdf import html_to_pdf, render_html

    return html_to_pdf(render_html("documents/blank_form.html", form=form))


# --- one question ----------------------------------------------------------------------------------


def _question(
    definition: QuestionnaireDef, q: Question, numbers: dict[str, int], lang: Lang
) -> BlankQuestion:
    kind = kind_of(q)
    as_of = ""
    if q.dated and definition.reference_date is not None:
        as_of = t("as_of", lang, date=fmt.long_date(definition.reference_date, lang))
    return BlankQuestion(
        number=numbers[q.id],
        text=text_of(q.text, lang),
        required=t("required_mark", lang) if q.required else "",
        condition=t("blank_condition", lang, condition=_condition(definition, q.show_if, numbers, lang))
        if q.show_if is not None
        else "",
        help=tuple(paragraphs(text_of(q.help, lang))),
        hint=kind.hint(q, lang),
        as_of=as_of,
        layout=kind.layout,
        choices=tuple(kind.print_choices(definition, q, lang)),
        rows=tuple(text_of(item.text, lang) for item in q.items or []),
        other=t("other_describe", lang) if q.has_other else "",
        unit=text_of(q.unit, lang),
        lines=_lines(q),
    )


def _lines(q: Question) -> int:
    if kind_of(q).layout != "box":
        return 1
    if q.max_length is None:
        return BOX_LINES_UNLIMITED
    low, high = BOX_LINES
    return max(low, min(high, -(-q.max_length // CHARS_PER_LINE)))


# --- conditions in words ---------------------------------------------------------------------------


def _condition(definition: QuestionnaireDef, cond: ShowIf, numbers: dict[str, int], lang: Lang) -> str:
    """``cond`` as the clause after «Svar bare hvis»: «du svarte «Ja» eller «Delvis» på spørsmål 2»."""
    if cond.question is not None:
        target = definition.question(cond.question)
        labels = dict(kind_of(target).choices(definition, target, lang))
        # The author's order of the answers, each by the label the respondent ticks.
        values = (
            [cond.equals] if cond.equals is not None else [v for v in cond.any_of or [] if isinstance(v, str)]
        )
        answers = _listed([f"«{labels.get(v, v)}»" for v in values], t("blank_or", lang))
        key = "blank_ticked" if kind_of(target).many else "blank_answered"
        return t(key, lang, answers=answers, number=numbers[target.id])
    parts = [
        f"({clause})" if part.question is None else clause
        for part in cond.parts
        if (clause := _condition(definition, part, numbers, lang))
    ]
    joiner = t("blank_and", lang) if cond.all_of is not None else t("blank_or", lang)
    return f", {joiner} ".join(parts)


def _listed(items: list[str], last: str) -> str:
    """«A», «B» eller «C»."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"
