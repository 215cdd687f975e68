"""Case documents as PDF/A-2b for the archive, through the same WeasyPrint set-up as the other documents.

PDF/A-2 because the Norwegian archive regulations (riksarkivarens forskrift § 5-17) accept PDF/A-1 and PDF/A-2
as archive formats, while PDF/A-3 may carry embedded files of any kind. Level b (the look of the page is kept)
is the level WeasyPrint can claim honestly; the PDF is tagged all the same, for screen readers. Fonts are the
system's (Liberation Sans, DejaVu Sans) and are embedded as subsets, as PDF/A requires. What is and is not
verified about the result is written in docs/archive.md.
"""

from __future__ import annotations

import gc
import warnings

from survey_app.documents import blocks
from survey_app.documents.case import case_text
from survey_app.documents.letter_text import letter_text
from survey_app.documents.model import CaseDocument

VARIANT = "pdf/a-2b"
FORMAT_DETAILS = "PDF/A-2b"


def html_to_pdfa(html: str) -> bytes:
    """``html`` as PDF/A-2b: nothing fetched (``pdf.RefusingFetcher``), title and language from the page."""
    # Imported here: WeasyPrint takes a while to load, and only the export needs it.
    # pdf.py first: it imports WeasyPrint with its import-time warning silenced.
    from survey_app.documents.pdf import RefusingFetcher

    # isort: split
    from weasyprint import HTML

    document = HTML(string=html, url_fetcher=RefusingFetcher())
    with warnings.catch_warnings():
        # For a PDF/A output intent WeasyPrint (70) opens its sRGB profile and leaves the file to the garbage
        # collector, which warns. Nothing of ours is left open: collected here, while the warning is ignored.
        warnings.simplefilter("ignore", ResourceWarning)
        pdf: bytes = document.write_pdf(pdf_variant=VARIANT, pdf_tags=True)
        gc.collect()
    return pdf


def saksframlegg_pdfa(document: CaseDocument) -> bytes:
    """The saksframlegg of ``saksframlegg_pdf``, as PDF/A."""
    from survey_app.documents.pdf import render_html

    case = case_text(document)
    return html_to_pdfa(
        render_html("documents/saksframlegg.html", case=case, runs=blocks.runs(case.sections))
    )


def letter_pdfa(document: CaseDocument) -> bytes:
    """The letter to IMDi of ``letter_pdf``, as PDF/A, in the document's målform."""
    from survey_app.documents.pdf import render_html

    return html_to_pdfa(render_html("documents/letter.html", letter=letter_text(document)))
