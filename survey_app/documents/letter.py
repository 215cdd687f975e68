"""The letter to IMDi with the county's final recommendation, as DOCX and PDF, in bokmål or nynorsk."""

from __future__ import annotations

from docx.shared import Mm, Pt

from survey_app.documents import docx_tools as dx
from survey_app.documents.letter_text import letter_text
from survey_app.documents.model import CaseDocument


def letter_docx(document: CaseDocument) -> bytes:
    """The letter as a Word file, entirely in the county's målform (``document.malform``)."""
    letter = letter_text(document)
    doc = dx.document(
        title=letter.subject,
        subject=letter.subject,
        author=document.prepared_by,
        language=letter.language,
        category="Brev",
        day=document.date,
    )
    section = doc.sections[0]
    width = dx.text_width(section)
    dx.running(section, header="", draft=letter.draft.heading if letter.draft else None, footer=letter.footer)

    head = doc.add_paragraph()
    head.paragraph_format.space_after = Mm(10)
    run = head.add_run(letter.county)
    run.bold = True
    run.font.size = Pt(14)
    recipient = doc.add_paragraph(letter.recipient)
    recipient.paragraph_format.space_after = Mm(8)

    references = doc.add_table(rows=2, cols=len(letter.references))
    widths = dx.set_widths(references, [1.0] * len(letter.references), width)
    for i, (label, value) in enumerate(letter.references):
        top, bottom = references.rows[0].cells[i], references.rows[1].cells[i]
        top.width = bottom.width = widths[i]
        top.paragraphs[0].style = bottom.paragraphs[0].style = dx.CELL
        small = top.paragraphs[0].add_run(label)
        small.font.size = Pt(7.5)
        small.font.color.rgb = dx.MUTED
        bottom.paragraphs[0].add_run(value)
    doc.add_paragraph(style=dx.NOTE)

    if letter.draft:
        dx.add_alert(doc, letter.draft, width)
    doc.add_heading(letter.subject, level=1)
    for text in letter.paragraphs:
        doc.add_paragraph(text)
    dx.add_table(doc, letter.table, width)

    closing = doc.add_paragraph(letter.closing)
    closing.paragraph_format.space_before = Mm(4)
    closing.paragraph_format.space_after = Mm(8)
    closing.paragraph_format.keep_with_next = True
    for line in letter.signature:
        paragraph = doc.add_paragraph(line)
        paragraph.paragraph_format.space_after = Pt(0)
        paragraph.paragraph_format.keep_with_next = True
    return dx.to_bytes(doc)


def letter_pdf(document: CaseDocument) -> bytes:
    """The same letter as PDF, from ``templates/documents/letter.html``."""
    # Imported here: WeasyPrint takes a while to load, and the DOCX and the command line do not need it.
    from survey_app.documents.pdf import html_to_pdf, render_html

    return html_to_pdf(render_html("documents/letter.html", letter=letter_text(document)))
