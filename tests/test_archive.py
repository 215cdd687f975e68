"""Archive packages: every arkivmelding validates against KS's official Fiks Arkiv V1 schema (the copy under
tests/standards/, with xmlschema as the app does and with lxml's libxml2, a second, independent validator), and
every PDF is opened and checked for its text in the municipality's målform, its embedded fonts and its PDF/A and
language metadata."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from xml.etree import ElementTree

import pikepdf
import pytest
import sqlalchemy as sa
import xmlschema
from lxml import etree
from pypdf import PdfReader
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from survey_app import audit
from survey_app.cli import app as cli_app
from survey_app.cli import archive as _archive_command  # noqa: F401  (registers «archive» until cli/__init__ does)
from survey_app.config import Settings
from survey_app.db import make_engine, upgrade
from survey_app.models import AuditEvent, Municipality, Response, ResponseStatus, Round
from survey_app.services import archive, demo, recommendation, responses
from survey_app.services.archive import arkivmelding as am
from survey_app.services.archive.build import SKJERMING
from tests.factories import World, make_scenario, make_world

# The test database is chosen at run time (getfixturevalue): it runs again on PostgreSQL.
pytestmark = pytest.mark.database

STANDARD = Path(__file__).parent / "standards" / "fiks-arkiv-v1"
SCHEMA = xmlschema.XMLSchema(str(STANDARD / "no.ks.fiks.arkiv.v1.arkivering.arkivmelding.opprett.xsd"))
LIBXML2 = etree.XMLSchema(
    etree.parse(str(STANDARD / "no.ks.fiks.arkiv.v1.arkivering.arkivmelding.opprett.xsd"))
)
NS = {"a": am.NS, "m": am.MDK}
SIGNER = "Kari Nordmann"

ANSWERS = {
    "politikk": "ja",
    "vedtaksar": 2020,
    "enighet": 3,
    "tiltak": ["sprakkafe"],
    "moteplasser.bibliotek": 4,
    "moteplasser.idrett": 2,
    "enhet": "kultur",
}


def submit(session: Session, world: World, kommunenummer: str, extra: dict[str, object] | None = None) -> int:
    response = world.response(session, kommunenummer)
    assert response.id is not None
    draft = responses.load_draft(session, response_id=response.id)
    changes = {k: (v, 0) for k, v in {**ANSWERS, **(extra or {})}.items()}
    responses.save(session, draft=draft, changes=changes, editor="test")  # type: ignore[arg-type]
    draft = responses.load_draft(session, response_id=response.id)
    assert responses.submit(session, draft=draft, signer_name=SIGNER, signer_role="Kommunedirektør") == []
    return response.id


@dataclass(frozen=True)
class Opened:
    """A package's ZIP, unpacked and checked against the schema."""

    files: dict[str, bytes]
    xml: ElementTree.Element

    def text(self, path: str) -> list[str]:
        return [e.text or "" for e in self.xml.findall(path, NS)]


def opened(content: bytes) -> Opened:
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        files = {name: z.read(name) for name in z.namelist()}
    message = files["arkivmelding.xml"]
    SCHEMA.validate(message)  # raises with the schema's reason
    LIBXML2.assertValid(etree.fromstring(message))
    xml = ElementTree.fromstring(message)
    # Every file the message names is in the ZIP, with the stated checksum and size, and nothing else is.
    objects = xml.findall(".//a:dokumentobjekt", NS)
    named = {o.findtext("a:referanseDokumentfil", namespaces=NS): o for o in objects}
    assert set(named) == set(files) - {"arkivmelding.xml", "LESMEG.txt"}
    assert xml.findtext("a:antallFiler", namespaces=NS) == str(len(named))
    for name, o in named.items():
        assert o.findtext("a:sjekksum", namespaces=NS) == hashlib.sha256(files[str(name)]).hexdigest()
        assert o.findtext("a:filstoerrelse", namespaces=NS) == str(len(files[str(name)]))
    return Opened(files, xml)


def check_pdf(content: bytes, *, lang: str, title_part: str) -> str:
    """The PDF's text, after checking its PDF/A-2b claim, language, title and that every font is embedded."""
    with pikepdf.open(io.BytesIO(content)) as pdf:
        with pdf.open_metadata() as meta:
            assert meta.get("pdfaid:part") == "2"
            assert meta.get("pdfaid:conformance") == "B"
            assert title_part in str(meta.get("dc:title"))
        assert str(pdf.Root.Lang) == lang
        assert "/OutputIntents" in pdf.Root
        assert title_part in str(pdf.docinfo.Title)
        fonts = 0
        for page in pdf.pages:
            for font in page.Resources.get("/Font", {}).values():
                descriptor = font.get("/FontDescriptor") or font.DescendantFonts[0].FontDescriptor
                assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), font.BaseFont
                fonts += 1
        assert fonts > 0
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def world(session: Session, settings: Settings) -> World:
    return make_world(session, settings)


def test_response_package_in_nynorsk(session: Session, world: World) -> None:
    response_id = submit(session, world, "3043")  # Ål: nynorsk
    package = archive.response_package(session, response_id=response_id, county="Testfylket")
    got = opened(package.zip())
    assert got.text("a:registrering/a:journalposttype/m:kode") == ["I"]
    assert got.text("a:registrering/a:korrespondansepart/a:korrespondansepartNavn") == ["Ål kommune"]
    assert got.text("a:registrering/a:korrespondansepart/a:korrespondanseparttype/m:kode") == ["EA"]
    assert got.text("a:registrering/a:dokumentbeskrivelse/a:tilknyttetRegistreringSom/m:kode") == ["H"]
    # No case number yet: a new case folder in the same message, tied to the entry by Innspill's key.
    assert got.text("a:mappe/a:tittel") == ["Testrunden 2026"]
    key = f"innspill-runde-{world.round.id}"
    assert got.text("a:mappe/a:referanseEksternNoekkel/m:noekkel") == [key]
    assert got.text("a:registrering/a:referanseForelderMappe/m:referanseEksternNoekkel/m:noekkel") == [key]
    text = check_pdf(got.files["svar-3043-al.pdf"], lang="nn-NO", title_part="Svaret frå Ål kommune")
    assert "Ål kommune (3043)" in text
    assert "Har kommunen ein frivilligheitspolitikk?" in text  # the question as Ål read it
    assert "frivillighetspolitikk" not in text  # not the bokmål wording
    assert "Godkjend av" in text and SIGNER in text
    assert "Heilt samd" in text  # the scale's label in nynorsk
    # Closed answers only: nothing the municipality wrote itself, so the document is not screened.
    assert got.xml.find(".//a:skjerming", NS) is None


def test_response_package_in_bokmal(session: Session, world: World) -> None:
    response_id = submit(session, world, "3005")
    got = opened(archive.response_package(session, response_id=response_id, county="Testfylket").zip())
    text = check_pdf(
        got.files["svar-3005-drammen.pdf"], lang="nb-NO", title_part="Svaret fra Drammen kommune"
    )
    assert "Har kommunen en frivillighetspolitikk?" in text
    assert "Godkjent av" in text


def test_free_text_screens_the_document_and_no_name_reaches_the_public_title(
    session: Session, world: World
) -> None:
    response_id = submit(session, world, "3005", {"kommentar": "Spør Ola Hansen i flyktningtjenesten."})
    got = opened(archive.response_package(session, response_id=response_id, county="Testfylket").zip())
    screening = "a:registrering/a:dokumentbeskrivelse/a:skjerming/"
    assert got.text(screening + "a:tilgangsrestriksjon/m:kode") == [SKJERMING.tilgangsrestriksjon.kode]
    assert got.text(screening + "a:skjermingshjemmel") == ["Offl. § 13 jf. fvl. § 13 første ledd nr. 1"]
    public = got.text("a:registrering/a:offentligTittel")
    assert public == ["Svar fra Drammen kommune – Liten testundersøkelse 2026"]
    text = check_pdf(got.files["svar-3005-drammen.pdf"], lang="nb-NO", title_part="Drammen")
    assert "Spør Ola Hansen i flyktningtjenesten." in text  # in the screened document, as written
    assert all(name not in " ".join(public + got.text("a:registrering/a:tittel")) for name in (SIGNER, "Ola"))
    assert "skjermet" in got.files["LESMEG.txt"].decode()


def test_case_folder_by_saksnummer(session: Session, world: World) -> None:
    response_id = submit(session, world, "3049")
    round_ = world.round
    bad = archive.CaseFolderForm("26", "null", "")
    assert set(archive.set_case_folder(session, round_=round_, form=bad, actor=audit.SYSTEM)) == {
        "saksaar",
        "sekvensnummer",
    }
    session.refresh(round_)
    assert round_.archive_case_year is None  # nothing saved on an error
    good = archive.CaseFolderForm("2026", "1234", "")
    assert archive.set_case_folder(session, round_=round_, form=good, actor=audit.SYSTEM) == {}
    got = opened(archive.response_package(session, response_id=response_id, county="Testfylket").zip())
    number = "a:registrering/a:referanseForelderMappe/m:saksnummer/"
    assert got.text(number + "m:saksaar") == ["2026"]
    assert got.text(number + "m:sakssekvensnummer") == ["1234"]
    assert got.xml.find("a:mappe", NS) is None  # the case exists: no new one
    assert archive.describe_case_folder(round_) == "sak 2026/1234"
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "archive.case_folder")).one()
    assert event.details == {"saksaar": 2026, "sakssekvensnummer": 1234, "tittel": ""}


def test_only_a_submitted_response_is_archived(session: Session, world: World) -> None:
    response = world.response(session, "3005")
    assert response.status != ResponseStatus.submitted and response.id is not None
    with pytest.raises(archive.NotArchivable, match="sendt inn"):
        archive.response_package(session, response_id=response.id, county="Testfylket")


def test_an_invalid_message_is_refused_not_written() -> None:
    entry = am.Journalpost(
        tittel="",  # the schema requires a title of at least one character
        offentlig_tittel="Svar",
        journalposttype="I",
        mappe=am.Saksnummer(2026, 1),
        noekkel="k",
        dokumentets_dato=date(2026, 12, 1),
        dokumenter=[],
    )
    with pytest.raises(am.InvalidArkivmelding, match="KS' skjema"):
        am.build(entry)


def test_the_app_validates_against_an_unchanged_copy_of_the_official_schema() -> None:
    for name in ("metadatakatalog.xsd", "no.ks.fiks.arkiv.v1.arkivering.arkivmelding.opprett.xsd", "LICENSE"):
        assert (am.SCHEMA_DIR / name).read_bytes() == (STANDARD / name).read_bytes()


@pytest.mark.parametrize("record_type", ["N", "U"])
def test_final_recommendation_package(session: Session, world: World, record_type: str) -> None:
    scenario = make_scenario(session, name="Forslag fra Per Olsen")
    with pytest.raises(archive.NotArchivable, match="endelige"):
        archive.recommendation_package(
            session, scenario=scenario, county="Testfylket", prepared_by="Rådgiver"
        )
    result = recommendation.result_of(scenario).result
    assert result is not None
    recommendation.finalize(session, scenario=scenario, result=result, actor=audit.SYSTEM)
    package = archive.recommendation_package(
        session,
        scenario=scenario,
        county="Testfylket",
        prepared_by="Rådgiver",
        record_type=record_type,  # type: ignore[arg-type]
    )
    got = opened(package.zip())
    assert got.text("a:registrering/a:journalposttype/m:kode") == [record_type]
    roles = got.text("a:registrering/a:dokumentbeskrivelse/a:tilknyttetRegistreringSom/m:kode")
    assert roles == (["H"] if record_type == "N" else ["H", "V"])
    public = got.text("a:registrering/a:offentligTittel")[0]
    assert "Per Olsen" not in public and "Per Olsen" in got.text("a:registrering/a:tittel")[0]
    names = [f.name for f in package.files]
    assert names[0].startswith("saksframlegg-bosetting-")
    text = check_pdf(got.files[names[0]], lang="nb-NO", title_part="")
    assert "Testfylket" in text and "Drammen" in text
    if record_type == "U":
        assert got.text("a:registrering/a:korrespondansepart/a:korrespondansepartNavn") == [
            archive.build.IMDI
        ]
        assert names[1].startswith("brev-til-imdi-")
        check_pdf(got.files[names[1]], lang="nb-NO", title_part="")


# --- the command line ---------------------------------------------------------------------------------


@pytest.fixture
def cli_db(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[str | None, sa.Engine]]:
    """The database ``survey-app --data-dir tmp_path`` uses: the shared PostgreSQL one in CI (emptied after
    the test, as it requests ``engine``), else SQLite in tmp_path."""
    if os.environ.get("SURVEY_APP_TEST_DATABASE_URL"):
        yield request.getfixturevalue("database_url"), request.getfixturevalue("engine")
        return
    engine = make_engine(Settings(data_dir=tmp_path, database_url=None).sqlalchemy_url)
    upgrade(engine)
    yield None, engine
    engine.dispose()


def test_cli_writes_one_zip_per_response_and_one_for_the_round(
    tmp_path: Path, cli_db: tuple[str | None, sa.Engine]
) -> None:
    url, engine = cli_db
    settings = Settings(environment="test", data_dir=tmp_path, database_url=url, secret_key="k" * 48)
    with Session(engine, expire_on_commit=False) as session:
        world = make_world(session, settings)
        for knr in ("3005", "3043"):
            submit(session, world, knr)
    out = tmp_path / "ut"
    env = {"DATABASE_URL": url, "SURVEY_APP_DATABASE_URL": None}
    result = CliRunner().invoke(
        cli_app,
        [
            "--data-dir",
            str(tmp_path),
            "archive",
            "export",
            "--round",
            str(world.round.id),
            "--output",
            str(out),
        ],
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert "Skrev 2 arkivpakker" in result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        f"arkivpakker-runde-{world.round.id}.zip",
        f"svar-3005-drammen-runde-{world.round.id}.zip",
        f"svar-3043-al-runde-{world.round.id}.zip",
    ]
    for name in names[1:]:
        opened((out / name).read_bytes())
    with zipfile.ZipFile(out / names[0]) as whole:
        folders = sorted({n.split("/")[0] for n in whole.namelist() if "/" in n})
        assert folders == [n.removesuffix(".zip") for n in names[1:]]
        for folder in folders:
            SCHEMA.validate(whole.read(f"{folder}/arkivmelding.xml"))
    with Session(engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "archive.export")).one()
        assert (event.actor, event.object_type, event.details["documents"]) == ("system", "round", 2)
    missing = CliRunner().invoke(
        cli_app,
        ["--data-dir", str(tmp_path), "archive", "export", "--round", "999", "--output", str(out)],
        env=env,
    )
    assert missing.exit_code == 1 and "finnes ikke" in missing.output


# --- the demo -----------------------------------------------------------------------------------------


# The packages are the same on any database engine; the other archive tests run again on PostgreSQL.
@pytest.mark.first_pass_only
def test_every_archive_package_of_the_demo_validates(session: Session, settings: Settings) -> None:
    """Slow (the demo takes about a minute): every submitted response of every demo round, packaged."""
    demo.setup_demo(session, settings=settings)
    rounds = session.exec(select(Round).order_by(col(Round.id))).all()
    nynorsk = {m.id for m in session.exec(select(Municipality).where(Municipality.malform == "nn"))}
    validated = 0
    seen_nn = False
    for round_ in rounds:
        packages = archive.round_packages(session, round_=round_, county=settings.county_name)
        ids = archive.submitted_ids(session, round_)
        assert len(packages) == len(ids)
        for package, response_id in zip(packages, ids, strict=True):
            got = opened(package.zip())
            validated += 1
            response = session.get(Response, response_id)
            assert response is not None
            lang = "nn-NO" if response.municipality_id in nynorsk else "nb-NO"
            text = check_pdf(package.files[0].content, lang=lang, title_part="kommune")
            muni = session.get(Municipality, response.municipality_id)
            assert muni is not None and f"{muni.name} kommune" in text
            seen_nn = seen_nn or lang == "nn-NO"
            assert got.text("a:registrering/a:journalposttype/m:kode") == ["I"]
    assert validated >= 20 and seen_nn, (validated, seen_nn)
