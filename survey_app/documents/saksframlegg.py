"""The saksframlegg for the county's political committee, as DOCX (python-docx) and as PDF (WeasyPrint)."""

from __future__ import annotations

from typing import Any

from docx.shared import Pt

from survey_app.documents import docx_tools as dx
from survey_app.documents.blocks import runs
from survey_app.documents.case import CaseText, case_text
from survey_app.documents.model import CaseDocument


def _front(doc: Any, case: CaseText, width: int) -> None:
    county = doc.add_paragraph()
    county.add_run(case.county).bold = True
    kind = doc.add_paragraph()
    run = kind.add_run(case.kind.upper())
    run.font.size = Pt(9)
    run.font.color.rgb = dx.MUTED
    meta = doc.add_table(rows=0, cols=2)
    for label, value in case.meta:
        cells = meta.add_row().cells
        cells[0].paragraphs[0].style = dx.CELL
        cells[0].paragraphs[0].add_run(label).font.color.rgb = dx.MUTED
        cells[1].paragraphs[0].style = dx.CELL
        cells[1].paragraphs[0].add_run(value)
    dx.set_widths(meta, [1, 4], width)
    doc.add_paragraph(style=dx.NOTE)
    if case.draft:
        dx.add_alert(doc, case.draft, width)
    doc.add_paragraph(case.title, style="Title")


def saksframlegg_docx(document: CaseDocument) -> bytes:
    """The case document as a Word file: real headings, bordered tables whose header row repeats on every
    page, the wide table on landscape pages, page numbers, and metadata in Norwegian (nb-NO)."""
    case = case_text(document)
    doc = dx.document(
        title=case.title,
        subject=f"{case.kind}: {case.title}",
        author=case.author,
        language=case.language,
        category=case.kind,
        day=document.date,
    )
    dx.running(
        doc.sections[0],
        header=case.header,
        draft=case.draft.heading if case.draft else None,
        footer=case.footer,
    )
    for index, (landscape, sections) in enumerate(runs(case.sections)):
        if index == 0:
            section = doc.sections[0]
            dx.page(section, landscape=landscape)
        else:
            section = dx.new_section(doc, landscape=landscape)
        width = dx.text_width(section)
        if index == 0:
            _front(doc, case, width)
        for s in sections:
            doc.add_heading(s.heading, level=s.level)
            for block in s.blocks:
                dx.add_block(doc, block, width)
    return dx.to_bytes(doc)


def saksframlegg_pdf(document: CaseDocument) -> bytes:
    """The same case document as PDF, from ``templates/documents/saksframlegg.html``."""
    # Imported here: WeasyPrint takes a while to load, and the DOCX and the command line do not need it.
    from survey_app.documents.pdf import html_to_pdf, render_html

    case = case_text(document)
    return html_to_pdf(render_html("documents/saksframlegg.html", case=case, runs=runs(case.sections)))
