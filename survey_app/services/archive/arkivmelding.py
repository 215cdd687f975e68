"""The ``arkivmelding`` XML of KS Fiks Arkiv V1 (message type ``no.ks.fiks.arkiv.v1.arkivering.arkivmelding.opprett``).

One message holds one journal entry (``registrering`` of type ``journalpost``) with its documents, placed in the
county's case folder: an existing one by its saksnummer, or a new ``saksmappe`` sent in the same message and
tied to the entry by Innspill's external key. Every message is checked against KS's schema (``schema/``, copied
unchanged) before it leaves this module: an invalid one is never written.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

import xmlschema

NS = "https://ks-no.github.io/standarder/fiks-protokoll/fiks-arkiv/arkivmelding/opprett/v1"
# The metadata catalogue's own namespace: the children of its types (a code's «kode», a key's «noekkel», a
# case number's «saksaar» …) are qualified with it, the message's elements with ``NS``.
MDK = "https://ks-no.github.io/standarder/fiks-protokoll/fiks-arkiv/metadatakatalog/v1"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_DIR = Path(__file__).with_name("schema")
SCHEMA_FILE = SCHEMA_DIR / "no.ks.fiks.arkiv.v1.arkivering.arkivmelding.opprett.xsd"
FILENAME = "arkivmelding.xml"
# The prefixes written for the catalogue's and the schema instance's namespaces (the message's is the default).
ET.register_namespace("n5mdk", MDK)
ET.register_namespace("xsi", XSI)
SYSTEM = "Innspill"

# KS's code lists (Schema/V1/kodelister in ks-no/fiks-arkiv-specification), with their descriptions.
JOURNALPOSTTYPER = {
    "I": "Inngående dokument",
    "U": "Utgående dokument",
    "N": "Organinternt dokument for oppfølging",
    "X": "Organinternt dokument uten oppfølging",
}
KORRESPONDANSEPARTTYPER = {"EA": "Avsender", "EM": "Mottaker"}
TILKNYTTET = {"H": "Hoveddokument", "V": "Vedlegg"}


class InvalidArkivmelding(Exception):
    """The message does not validate against KS's schema; the first problems, in the schema's words."""


@dataclass(frozen=True)
class Kode:
    kode: str
    beskrivelse: str = ""


@dataclass(frozen=True)
class Saksnummer:
    """An existing case in the county's archive: saksår and sekvensnummer, e.g. 2026/1234."""

    saksaar: int
    sakssekvensnummer: int


@dataclass(frozen=True)
class NySaksmappe:
    """A case folder created by the message itself, known to the archive by Innspill's key."""

    tittel: str
    noekkel: str


@dataclass(frozen=True)
class Skjerming:
    """Screening of a document: its access code and the legal basis, as the archive records it."""

    tilgangsrestriksjon: Kode
    skjermingshjemmel: str


@dataclass(frozen=True)
class Korrespondansepart:
    type: str  # a KORRESPONDANSEPARTTYPER key
    navn: str
    organisasjonid: str | None = None


@dataclass(frozen=True)
class Dokumentfil:
    """One file in the package and how the archive should describe it."""

    tittel: str
    tilknyttet: str  # "H" or "V"
    dokumenttype: Kode
    filnavn: str  # as the archive shows it, Norwegian letters allowed
    referanse: str  # the file's name in the ZIP: ASCII only
    sjekksum: str  # SHA-256, hex
    stoerrelse: int
    skjerming: Skjerming | None = None
    format_detaljer: str = "PDF/A-2b"


@dataclass(frozen=True)
class Journalpost:
    tittel: str
    offentlig_tittel: str
    journalposttype: str  # a JOURNALPOSTTYPER key
    mappe: Saksnummer | NySaksmappe
    noekkel: str  # Innspill's external key for the entry: a repeated send is recognisable
    dokumentets_dato: date
    dokumenter: list[Dokumentfil]
    korrespondanseparter: list[Korrespondansepart] = field(default_factory=list)
    mottatt: datetime | None = None
    sendt: datetime | None = None
    skjerming: Skjerming | None = None


def _add(parent: ET.Element, name: str, text: str | None = None, *, ns: str = NS) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ns}}}{name}")
    if text is not None:
        element.text = text
    return element


def _kode(parent: ET.Element, name: str, kode: Kode) -> None:
    element = _add(parent, name)
    _add(element, "kode", kode.kode, ns=MDK)
    if kode.beskrivelse:
        _add(element, "beskrivelse", kode.beskrivelse, ns=MDK)


def _key(parent: ET.Element, noekkel: str, *, ns: str = NS) -> None:
    element = _add(parent, "referanseEksternNoekkel", ns=ns)
    _add(element, "fagsystem", SYSTEM, ns=MDK)
    _add(element, "noekkel", noekkel, ns=MDK)


def _skjerming(parent: ET.Element, skjerming: Skjerming) -> None:
    element = _add(parent, "skjerming")
    _kode(element, "tilgangsrestriksjon", skjerming.tilgangsrestriksjon)
    _add(element, "skjermingshjemmel", skjerming.skjermingshjemmel)


def _typed(parent: ET.Element, name: str, xsi_type: str) -> ET.Element:
    element = _add(parent, name)
    element.set(f"{{{XSI}}}type", xsi_type)
    return element


def build(entry: Journalpost) -> bytes:
    """The message for one journal entry, validated; raises ``InvalidArkivmelding`` rather than return a
    message the archive would refuse."""
    root = ET.Element(f"{{{NS}}}arkivmelding")
    _add(root, "system", SYSTEM)
    _add(root, "antallFiler", str(len(entry.dokumenter)))
    if isinstance(entry.mappe, NySaksmappe):
        folder = _typed(root, "mappe", "saksmappe")
        _add(folder, "tittel", entry.mappe.tittel)
        _key(folder, entry.mappe.noekkel)
    post = _typed(root, "registrering", "journalpost")
    parent = _add(post, "referanseForelderMappe")
    if isinstance(entry.mappe, Saksnummer):
        case_number = _add(parent, "saksnummer", ns=MDK)
        _add(case_number, "saksaar", str(entry.mappe.saksaar), ns=MDK)
        _add(case_number, "sakssekvensnummer", str(entry.mappe.sakssekvensnummer), ns=MDK)
    else:
        _key(parent, entry.mappe.noekkel, ns=MDK)
    if entry.skjerming is not None:
        _skjerming(post, entry.skjerming)
    for number, document in enumerate(entry.dokumenter, start=1):
        description = _add(post, "dokumentbeskrivelse")
        _kode(description, "dokumenttype", document.dokumenttype)
        _kode(description, "dokumentstatus", Kode("F", "Ferdigstilt"))
        _add(description, "tittel", document.tittel)
        _kode(
            description,
            "tilknyttetRegistreringSom",
            Kode(document.tilknyttet, TILKNYTTET[document.tilknyttet]),
        )
        # The schema asks for it where there are several documents: the receipt names each by it.
        _add(description, "dokumentnummer", str(number))
        if document.skjerming is not None:
            _skjerming(description, document.skjerming)
        obj = _add(description, "dokumentobjekt")
        _add(obj, "versjonsnummer", "1")
        _kode(obj, "variantformat", Kode("A", "Arkivformat"))
        _kode(obj, "format", Kode("RA-PDF", "PDF/A"))
        _add(obj, "formatDetaljer", document.format_detaljer)
        _add(obj, "mimeType", "application/pdf")
        _add(obj, "filnavn", document.filnavn)
        _add(obj, "referanseDokumentfil", document.referanse)
        _add(obj, "sjekksum", document.sjekksum)
        _add(obj, "sjekksumAlgoritme", "SHA256")
        _add(obj, "filstoerrelse", str(document.stoerrelse))
    _add(post, "tittel", entry.tittel)
    _add(post, "offentligTittel", entry.offentlig_tittel)
    for part in entry.korrespondanseparter:
        element = _add(post, "korrespondansepart")
        _kode(element, "korrespondanseparttype", Kode(part.type, KORRESPONDANSEPARTTYPER[part.type]))
        _add(element, "korrespondansepartNavn", part.navn)
        if part.organisasjonid:
            _add(element, "organisasjonid", part.organisasjonid)
    _key(post, entry.noekkel)
    _kode(post, "journalposttype", Kode(entry.journalposttype, JOURNALPOSTTYPER[entry.journalposttype]))
    _add(post, "dokumentetsDato", entry.dokumentets_dato.isoformat())
    if entry.mottatt is not None:
        _add(post, "mottattDato", entry.mottatt.isoformat(timespec="seconds"))
    if entry.sendt is not None:
        _add(post, "sendtDato", entry.sendt.isoformat(timespec="seconds"))
    _add(post, "antallVedlegg", str(sum(1 for d in entry.dokumenter if d.tilknyttet == "V")))
    ET.indent(root)
    xml: bytes = ET.tostring(root, encoding="UTF-8", xml_declaration=True, default_namespace=NS)
    validate(xml)
    return xml


@lru_cache(maxsize=1)
def schema() -> xmlschema.XMLSchema:
    """KS's schema, read once (it takes about half a second); it imports the metadata catalogue beside it."""
    return xmlschema.XMLSchema(str(SCHEMA_FILE))


def validate(xml: bytes) -> None:
    """Raise ``InvalidArkivmelding`` unless ``xml`` is a valid arkivmelding."""
    problems = [e.reason or str(e) for e in schema().iter_errors(xml.decode("utf-8"))][:3]
    if problems:
        raise InvalidArkivmelding(
            f"Arkivmeldingen følger ikke KS' skjema (Fiks Arkiv V1): {'; '.join(problems)}"
        )
