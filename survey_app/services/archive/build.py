"""The archive packages of Innspill's case documents, read from the database.

- a submitted response (survey or consultation): an incoming journal entry (``I``) from the municipality,
  screened where the municipality wrote in its own words (``SKJERMING``);
- a round: the packages of all its submitted responses;
- the final settlement recommendation: its saksframlegg as a notat (``N``, the default) or as an outgoing entry
  (``U``) to IMDi with the letter as attachment, as the county chooses.

Each goes into the round's case folder (``case_folder``). Titles that the public journal shows
(``offentligTittel``) are made of fixed words, the municipality's name and the questionnaire's title only:
never of anything a person typed, so they cannot carry a personal name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlmodel import Session, col, select

from survey_app.dates import local
from survey_app.documents.response_document import response_document, response_html
from survey_app.models import Municipality, Response, ResponseStatus, Round, Scenario, utcnow
from survey_app.services import catalog, recommendation, responses
from survey_app.services.archive import arkivmelding as am
from survey_app.services.archive import pdfa
from survey_app.services.archive.package import ArchiveFile, ArchivePackage, ascii_name, round_zip

# Free text may tell about people (a refugee's situation, a named employee): the document is screened until
# the archive's own review, on the ground the journal commonly uses for personal matters. The journal entry
# itself stays public: its public title holds no personal data (see the module docstring).
SKJERMING = am.Skjerming(
    am.Kode("13", "Taushetsplikt: unntatt etter offentleglova § 13"),
    "Offl. § 13 jf. fvl. § 13 første ledd nr. 1",
)
IMDI = "Integrerings- og mangfoldsdirektoratet (IMDi)"
RecordType = Literal["N", "U"]
RECORD_TYPES: dict[str, str] = {"N": "Notat (organinternt dokument)", "U": "Utgående dokument til IMDi"}


class NotArchivable(Exception):
    """The document cannot be archived (yet); the message says why, in Norwegian."""


# --- the case folder ---------------------------------------------------------------------------------


def case_folder(round_: Round) -> am.Saksnummer | am.NySaksmappe:
    """Where the round's documents go: the case the county named, or a new case Innspill's key identifies."""
    if round_.archive_case_year is not None and round_.archive_case_number is not None:
        return am.Saksnummer(round_.archive_case_year, round_.archive_case_number)
    return am.NySaksmappe(round_.archive_case_title or round_.title, f"innspill-runde-{round_.id}")


def describe_case_folder(round_: Round) -> str:
    """The case folder in words, for the pages and the command line."""
    folder = case_folder(round_)
    if isinstance(folder, am.Saksnummer):
        return f"sak {folder.saksaar}/{folder.sakssekvensnummer}"
    return f"en ny sak med tittelen «{folder.tittel}»"


@dataclass
class CaseFolderForm:
    """What was typed into the case folder form, kept as typed so nothing is lost on an error."""

    year: str = ""
    number: str = ""
    title: str = ""

    @classmethod
    def of(cls, round_: Round) -> CaseFolderForm:
        return cls(
            "" if round_.archive_case_year is None else str(round_.archive_case_year),
            "" if round_.archive_case_number is None else str(round_.archive_case_number),
            round_.archive_case_title,
        )


def _whole(text: str, low: int, high: int) -> int | None:
    text = text.strip()
    return int(text) if text.isdecimal() and low <= int(text) <= high else None


def set_case_folder(session: Session, *, round_: Round, form: CaseFolderForm, actor: str) -> dict[str, str]:
    """Save the round's case folder, or return the problems by field (Norwegian) and save nothing."""
    from survey_app import audit
    from survey_app.db import begin_write

    errors: dict[str, str] = {}
    year = number = None
    if form.year.strip() or form.number.strip():
        year = _whole(form.year, 1900, 2200)
        number = _whole(form.number, 1, 10_000_000)
        if year is None:
            errors["saksaar"] = "Saksåret må være et årstall med fire sifre, for eksempel 2026."
        if number is None:
            errors["sekvensnummer"] = (
                "Sekvensnummeret må være et helt tall større enn null, for eksempel 1234."
            )
    title = " ".join(form.title.split())
    if len(title) > 300:
        errors["tittel"] = "Sakstittelen kan være høyst 300 tegn."
    if errors:
        return errors
    begin_write(session)
    round_.archive_case_year, round_.archive_case_number, round_.archive_case_title = year, number, title
    session.add(round_)
    audit.record(
        session,
        actor=actor,
        action="archive.case_folder",
        object_type="round",
        object_id=round_.id,
        details={"saksaar": year, "sakssekvensnummer": number, "tittel": title},
    )
    session.commit()
    return {}


# --- a response --------------------------------------------------------------------------------------


def response_package(
    session: Session, *, response_id: int, county: str, now: datetime | None = None
) -> ArchivePackage:
    """The package of one submitted response: its PDF/A in the municipality's målform and its arkivmelding."""
    response = session.get(Response, response_id)
    if response is None or response.status != ResponseStatus.submitted or response.submitted_at is None:
        raise NotArchivable("Bare svar som er sendt inn, kan arkiveres.")
    now = now or utcnow()
    # Without read_in: the questionnaire in the municipality's own målform, as it answered.
    draft = responses.load_draft(session, response_id=response_id)
    shown = responses.visible_ids(draft.definition, draft.values())
    document = response_document(draft, shown=shown, county=county, made_on=local(now).date())
    pdf = pdfa.html_to_pdfa(response_html(document))
    muni = draft.municipality
    stem = f"svar-{muni.kommunenummer}-{ascii_name(muni.name)}"
    file = ArchiveFile(f"{stem}.pdf", pdf)
    # The public title in fixed bokmål words: the county's journal is in bokmål whatever the municipality wrote.
    survey = responses.round_name(
        catalog.round_definition(session, draft.round).in_language("nb"), draft.round
    )
    title = f"Svar fra {muni.name} kommune – {survey}"
    entry = am.Journalpost(
        tittel=title,
        offentlig_tittel=title,
        journalposttype="I",
        mappe=case_folder(draft.round),
        noekkel=f"innspill-svar-{response.id}-v{response.version}",
        dokumentets_dato=local(response.submitted_at).date(),
        mottatt=local(response.submitted_at),
        korrespondanseparter=[am.Korrespondansepart("EA", f"{muni.name} kommune")],
        dokumenter=[
            am.Dokumentfil(
                tittel=document.title,
                tilknyttet="H",
                dokumenttype=am.Kode("DOKUMENT", "Dokument"),
                filnavn=f"{document.title}.pdf",
                referanse=file.name,
                sjekksum=file.sha256,
                stoerrelse=len(pdf),
                skjerming=SKJERMING if document.has_free_text else None,
                format_detaljer=pdfa.FORMAT_DETAILS,
            )
        ],
    )
    notes = (
        (
            "Dokumentet er merket skjermet (offl. § 13): kommunen har skrevet fritekst som kan inneholde "
            "personopplysninger. Arkivet gjør den endelige vurderingen.",
        )
        if document.has_free_text
        else ()
    )
    return ArchivePackage(f"{stem}-runde-{draft.round.id}", title, am.build(entry), (file,), now, notes)


def submitted_ids(session: Session, round_: Round) -> list[int]:
    """The round's submitted responses, by kommunenummer."""
    found = session.exec(
        select(Response.id)
        .join(Municipality, col(Municipality.id) == col(Response.municipality_id))
        .where(Response.round_id == round_.id, Response.status == ResponseStatus.submitted)
        .order_by(col(Municipality.kommunenummer))
    ).all()
    return [i for i in found if i is not None]


def round_packages(session: Session, *, round_: Round, county: str) -> list[ArchivePackage]:
    """One package per submitted response of the round."""
    now = utcnow()
    return [
        response_package(session, response_id=i, county=county, now=now)
        for i in submitted_ids(session, round_)
    ]


def round_readme(round_: Round, packages: list[ArchivePackage]) -> str:
    return "\n".join(
        [
            f"Arkivpakker for {round_.title}",
            "",
            f"{len(packages)} svar som er sendt inn, ett per mappe. Hver mappe er én arkivmelding (KS Fiks Arkiv "
            "V1) med dokumentet som PDF/A-2b, og kan sendes til arkivet for seg.",
            f"Saksmappe: {describe_case_folder(round_)}.",
            "",
            *(f"{p.name}/  {p.title}" for p in packages),
            "",
        ]
    )


def round_zip_of(round_: Round, packages: list[ArchivePackage]) -> bytes:
    return round_zip(packages, readme=round_readme(round_, packages))


# --- the recommendation -----------------------------------------------------------------------------


def recommendation_package(
    session: Session,
    *,
    scenario: Scenario,
    county: str,
    prepared_by: str,
    record_type: RecordType = "N",
    now: datetime | None = None,
) -> ArchivePackage:
    """The package of the final recommendation: its saksframlegg (and, sent to IMDi, the letter)."""
    if not scenario.is_final:
        raise NotArchivable(
            "Bare den endelige anbefalingen kan arkiveres. Merk scenarioet som endelig først."
        )
    outcome = recommendation.result_of(scenario)
    if outcome.result is None:
        raise NotArchivable("Reglene kan ikke oppfylles: " + " ".join(outcome.conflicts))
    now = now or utcnow()
    document = recommendation.scenario_document(
        session, scenario=scenario, result=outcome.result, county=county, prepared_by=prepared_by
    )
    year = document.year
    files = [ArchiveFile(f"saksframlegg-bosetting-{year}.pdf", pdfa.saksframlegg_pdfa(document))]
    described = [("Saksframlegg: anbefaling om bosetting av flyktninger", "SAKSFRAMLEGG", "Saksframlegg")]
    if record_type == "U":
        files.append(ArchiveFile(f"brev-til-imdi-bosetting-{year}.pdf", pdfa.letter_pdfa(document)))
        described.append(("Brev til IMDi: anbefaling om bosetting", "KORR", "Korrespondanse"))
    round_ = session.get(Round, scenario.round_id) if scenario.round_id is not None else None
    folder = (
        case_folder(round_)
        if round_ is not None
        else am.NySaksmappe(f"Bosetting av flyktninger {year}", f"innspill-bosetting-{year}")
    )
    public = f"Anbefaling om bosetting av flyktninger i {year}"
    entry = am.Journalpost(
        # The scenario's name is the staff's own words: in the title, never in the public one.
        tittel=f"{public} – {scenario.name}",
        offentlig_tittel=public,
        journalposttype=record_type,
        mappe=folder,
        noekkel=f"innspill-anbefaling-{scenario.id}-{scenario.updated_at:%Y%m%d%H%M%S}-{record_type}",
        dokumentets_dato=document.date,
        sendt=local(now) if record_type == "U" else None,
        korrespondanseparter=[am.Korrespondansepart("EM", IMDI)] if record_type == "U" else [],
        dokumenter=[
            am.Dokumentfil(
                tittel=f"{title} {year}",
                tilknyttet="H" if i == 0 else "V",
                dokumenttype=am.Kode(code, label),
                filnavn=f.name,
                referanse=f.name,
                sjekksum=f.sha256,
                stoerrelse=len(f.content),
                format_detaljer=pdfa.FORMAT_DETAILS,
            )
            for i, (f, (title, code, label)) in enumerate(zip(files, described, strict=True))
        ],
    )
    return ArchivePackage(
        f"anbefaling-bosetting-{year}-{record_type.lower()}",
        f"{public} ({RECORD_TYPES[record_type]})",
        am.build(entry),
        tuple(files),
        now,
    )
