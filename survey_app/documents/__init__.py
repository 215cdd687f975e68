"""Case documents for the settlement recommendation: the saksframlegg and the letter to IMDi.

A pure rendering package: each function takes one ``CaseDocument`` and returns the file's bytes. No database,
no web framework; the caller builds the input from a recommendation. See docs/case-documents.md.
"""

from survey_app.documents.letter import letter_docx, letter_pdf
from survey_app.documents.model import (
    CaseDocument,
    MunicipalityLine,
    OverrideLine,
    RegionLine,
    SourceLine,
)
from survey_app.documents.saksframlegg import saksframlegg_docx, saksframlegg_pdf

__all__ = [
    "CaseDocument",
    "MunicipalityLine",
    "OverrideLine",
    "RegionLine",
    "SourceLine",
    "letter_docx",
    "letter_pdf",
    "saksframlegg_docx",
    "saksframlegg_pdf",
]
