"""Archive packages of the case documents: PDF/A and an arkivmelding (KS Fiks Arkiv V1) per document.

- ``arkivmelding``: the XML, validated against KS's schema (``schema/``) before it is written;
- ``pdfa``: PDF/A-2b through the documents' WeasyPrint set-up;
- ``package``: a package and its ZIP, one per document or one per round;
- ``build``: the packages of a response, a round and the final recommendation, from the database;
- ``sending``: the interface a county implements to send through Fiks IO (nothing is sent by Innspill).

See docs/archive.md.
"""

from survey_app.services.archive.arkivmelding import InvalidArkivmelding
from survey_app.services.archive.build import (
    RECORD_TYPES,
    CaseFolderForm,
    NotArchivable,
    describe_case_folder,
    recommendation_package,
    response_package,
    round_packages,
    round_zip_of,
    set_case_folder,
    submitted_ids,
)
from survey_app.services.archive.package import ArchivePackage
from survey_app.services.archive.sending import ArchiveSender, Receipt

__all__ = [
    "RECORD_TYPES",
    "ArchivePackage",
    "ArchiveSender",
    "CaseFolderForm",
    "InvalidArkivmelding",
    "NotArchivable",
    "Receipt",
    "describe_case_folder",
    "recommendation_package",
    "response_package",
    "round_packages",
    "round_zip_of",
    "set_case_folder",
    "submitted_ids",
]
