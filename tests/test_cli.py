"""The ``survey-app`` command, run in-process with Typer's CliRunner on a real database.

Every command gets ``--data-dir <tmp_path>``. The database is SQLite in that folder, or, when
SURVEY_APP_TEST_DATABASE_URL is set (as in CI), the shared PostgreSQL test database: those tests request
the ``engine`` fixture, so conftest empties the tables after each of them.
"""

from __future__ import annotations

import csv
import io
import os
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select
from typer.testing import CliRunner, Result

from survey_app.cli import app
from survey_app.config import Settings
from survey_app.db import make_engine
from survey_app.main import create_app
from survey_app.models import (
    Answer,
    County,
    Municipality,
    Questionnaire,
    QuestionnaireVersion,
    Region,
    Response,
    ResponseStatus,
    Round,
    StaffUser,
)
from survey_app.questionnaires import shipped_files
from survey_app.security import verify_password

# The test database is chosen at run time (getfixturevalue): it runs again on PostgreSQL.
pytestmark = pytest.mark.database

REPO_ROOT = Path(__file__).resolve().parent.parent
SHIPPED = shipped_files(REPO_ROOT / "questionnaires")  # the codebook is not a questionnaire
SURVEY_ROUND = "Kommuneundersøkelsen 2026"
DEMO_MUNICIPALITIES = 51

runner = CliRunner()


@dataclass
class Cli:
    """Runs ``survey-app --data-dir <tmp> …`` against this test's database, and looks into that database."""

    data_dir: Path
    database_url: str | None  # None: SQLite in data_dir
    engine: sa.Engine

    @property
    def settings(self) -> Settings:
        return Settings(data_dir=self.data_dir, database_url=self.database_url)

    def __call__(self, *args: str, input: str | None = None) -> Result:
        # A DATABASE_URL in the developer's shell must not send the SQLite run elsewhere.
        env = {"DATABASE_URL": self.database_url, "SURVEY_APP_DATABASE_URL": None}
        return runner.invoke(app, ["--data-dir", str(self.data_dir), *args], input=input, env=env)

    def count(self, model: Any, *where: Any) -> int:
        with Session(self.engine) as session:
            return session.exec(select(func.count()).select_from(model).where(*where)).one()


@pytest.fixture
def cli(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Cli]:
    if os.environ.get("SURVEY_APP_TEST_DATABASE_URL"):
        # The shared PostgreSQL database; requesting `engine` makes conftest empty it after the test.
        shared: sa.Engine = request.getfixturevalue("engine")
        yield Cli(tmp_path, request.getfixturevalue("database_url"), shared)
        return
    engine = make_engine(Settings(data_dir=tmp_path, database_url=None).sqlalchemy_url)
    yield Cli(tmp_path, None, engine)
    engine.dispose()


def ok(result: Result) -> Result:
    assert result.exit_code == 0, f"exit {result.exit_code}\n{result.output}\n{result.exception!r}"
    return result


def rows_of(csv_text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(csv_text)))


# --- questionnaires check ---------------------------------------------------------------------------


def test_check_passes_the_shipped_questionnaires(cli: Cli) -> None:
    assert len(SHIPPED) == 2, SHIPPED
    result = ok(cli("questionnaires", "check", *map(str, SHIPPED)))
    for path in SHIPPED:
        assert f"{path}: OK" in result.stderr, result.stderr
    assert result.stdout == "", "a clean check prints no problems"


def test_check_takes_the_folder_and_checks_the_codebook_as_a_codebook(cli: Cli) -> None:
    folder = REPO_ROOT / "questionnaires"
    codebook = folder / "codebook.yaml"
    for args in ([str(folder)], sorted(map(str, folder.glob("*.yaml")))):
        result = ok(cli("questionnaires", "check", *args))
        for path in SHIPPED:
            assert f"{path}: OK" in result.stderr, result.stderr
        assert f"{codebook}: OK (kodebok, 7 temaer)" in result.stderr, result.stderr
        assert "tidligere" not in result.stderr, "a folder's subfolders are not checked"


def test_check_reports_a_broken_codebook_with_its_own_validator(cli: Cli, tmp_path: Path) -> None:
    codebook = tmp_path / "codebook.yaml"
    codebook.write_text(
        (REPO_ROOT / "questionnaires" / "codebook.yaml")
        .read_text(encoding="utf-8")
        .replace("code: mangfold", "code: inkludering"),
        encoding="utf-8",
    )
    result = cli("questionnaires", "check", str(tmp_path))
    assert result.exit_code == 1, result.output
    assert f"{codebook}:" in result.stdout and "inkludering" in result.stdout, result.stdout
    assert f"{codebook}: FEIL (kodebok)" in result.stderr, result.stderr


def test_check_of_a_folder_without_questionnaires_exits_1(cli: Cli, tmp_path: Path) -> None:
    result = cli("questionnaires", "check", str(tmp_path))
    assert result.exit_code == 1, result.output
    assert f"Feil: {tmp_path}: mappen har ingen .yaml-filer." in result.stderr, result.stderr


def test_check_prints_file_line_message_and_exits_1(cli: Cli, tmp_path: Path) -> None:
    broken = tmp_path / "skjema.yaml"
    broken.write_text(
        textwrap.dedent("""\
        id: test
        title: Test
        sections:
          - id: del1
            title: Del 1
            questions:
              - id: plan
                type: jadelvisnei
                text: Har kommunen en plan?
                requred: true
              - id: aar
                type: integer
                text: Hvilket år ble planen vedtatt?
                min: 2030
                max: 1990
        """),
        encoding="utf-8",
    )
    result = cli("questionnaires", "check", str(SHIPPED[0]), str(broken))
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines() == [
        f"{broken}:10: ukjent felt «requred» (skrivefeil? se questionnaires/README.md for tillatte felt)",
        f"{broken}:11: «min» er større enn «max»",
    ], result.stdout
    assert f"{SHIPPED[0]}: OK" in result.stderr, "the good file is still checked and reported"


def test_check_of_a_missing_file_exits_1(cli: Cli, tmp_path: Path) -> None:
    missing = tmp_path / "finnes-ikke.yaml"
    result = cli("questionnaires", "check", str(missing))
    assert result.exit_code == 1, result.output
    assert result.stdout.startswith(f"{missing}:1: kan ikke lese filen"), result.stdout


def test_check_lists_each_missing_nynorsk_text_unless_it_is_a_draft(cli: Cli, tmp_path: Path) -> None:
    draft = tmp_path / "utkast.yaml"
    draft.write_text(
        textwrap.dedent("""\
        id: utkast
        title: {nb: Utkast, nn: Utkast}
        sections:
          - id: del1
            title: Del 1
            questions:
              - id: plan
                type: jadelvisnei
                text: {nb: "Har kommunen en plan?", nn: "Har kommunen ein plan?"}
                help: Regn med planer som er felles med nabokommunene.
        """),
        encoding="utf-8",
    )
    result = cli("questionnaires", "check", str(draft))
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines() == [
        f"{draft}:5: «title» mangler nynorsk (skriv {{nb: …, nn: …}})",
        f"{draft}:10: «help» mangler nynorsk (skriv {{nb: …, nn: …}})",
    ]
    assert f"{draft}: FEIL (1 spørsmål, 2 tekster mangler nynorsk" in result.stderr
    result = ok(cli("questionnaires", "check", "--utkast", str(draft)))
    assert len(result.stdout.splitlines()) == 2 and f"{draft}: OK" in result.stderr


# --- init -------------------------------------------------------------------------------------------


def test_init_creates_the_database_and_imports_the_questionnaires(cli: Cli) -> None:
    result = ok(cli("init"))
    assert "2 skjemaer importert" in result.stdout, result.stdout
    if cli.database_url is None:
        assert (cli.data_dir / "innspill.sqlite3").is_file()
    with Session(cli.engine) as session:
        slugs = set(session.exec(select(Questionnaire.slug)))
    assert slugs == {"kommuneundersokelse-sivilsamfunn", "konsultasjon-samarbeid"}

    ok(cli("init"))  # again: the same content is the same version, not a new one
    assert cli.count(QuestionnaireVersion) == 2


# --- register load ----------------------------------------------------------------------------------

REGISTER = (
    "kommunenummer,name,region\n"
    "3005,Drammen,Drammensregionen\n"
    "3043,Ål,Hallingdal\n"
    "3049,Lier,Drammensregionen\n"
)
# As Norwegian Excel saves it: semicolons and a byte order mark.
REGISTER_EXCEL = "\ufeffkommunenummer;name;region\n3005;Drammen;Drammensregionen\n3043;Ål;Hallingdal\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(REGISTER, {"3005": "Drammen", "3043": "Ål", "3049": "Lier"}, id="comma"),
        pytest.param(REGISTER_EXCEL, {"3005": "Drammen", "3043": "Ål"}, id="semicolon-bom"),
    ],
)
def test_register_load_is_idempotent(cli: Cli, tmp_path: Path, text: str, expected: dict[str, str]) -> None:
    path = tmp_path / "kommuner.csv"
    path.write_text(text, encoding="utf-8")

    result = ok(cli("register", "load", str(path)))
    assert f"Lastet {len(expected)} kommuner." in result.stdout, result.stdout
    ok(cli("register", "load", str(path)))

    with Session(cli.engine) as session:
        names = {m.kommunenummer: m.name for m in session.exec(select(Municipality))}
        regions = sorted(session.exec(select(Region.name)))
    assert names == expected
    assert regions == sorted(set(regions)), "loading twice must not duplicate regions"


def test_register_load_reads_a_windows_1252_file_as_excel_saves_it(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "kommuner.csv"
    path.write_bytes(
        "kommunenummer;name;region\n3043;Ål;Hallingdal\n3020;Nordre Follo;Follo\n".encode("cp1252")
    )
    assert b"\xc5l" in path.read_bytes(), "«Å» is one byte, 0xc5: not UTF-8"

    ok(cli("register", "load", str(path)))
    with Session(cli.engine) as session:
        assert set(session.exec(select(Municipality.name))) == {"Ål", "Nordre Follo"}


def test_register_load_refuses_a_file_that_is_not_text(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "kommuner.csv"
    path.write_bytes(b"PK\x03\x04 an xlsx workbook renamed to .csv")
    result = cli("register", "load", str(path))
    assert result.exit_code == 1, result.output
    assert f"Feil: {path} er en Excel-arbeidsbok (XLSX)" in result.stderr, result.stderr


def test_register_load_without_county_does_not_create_a_second_county(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "kommuner.csv"
    path.write_text(REGISTER, encoding="utf-8")
    ok(cli("register", "load", str(path), "--county", "Buskerud fylkeskommune"))

    result = cli("register", "load", str(path))  # the settings' default name: Viken fylkeskommune
    assert result.exit_code == 1, result.output
    assert "databasen har allerede fylkeskommunen «Buskerud fylkeskommune», ikke «Viken fylkeskommune»" in (
        result.stderr
    ), result.stderr
    assert '--county "Buskerud fylkeskommune"' in result.stderr and "--ny-fylkeskommune" in result.stderr
    with Session(cli.engine) as session:
        assert list(session.exec(select(County.name))) == ["Buskerud fylkeskommune"]

    ok(cli("register", "load", str(path), "--county", "Buskerud fylkeskommune"))
    ok(cli("register", "load", str(path), "--county", "Viken fylkeskommune", "--ny-fylkeskommune"))
    with Session(cli.engine) as session:
        counties = sorted(session.exec(select(County.name)))
        viken = session.exec(select(County.id).where(County.name == "Viken fylkeskommune")).one()
        moved = session.exec(
            select(func.count()).select_from(Municipality).where(Municipality.county_id == viken)
        ).one()
    assert counties == ["Buskerud fylkeskommune", "Viken fylkeskommune"]
    assert moved == 3, "asked for on purpose: the municipalities move to the new county"


def test_register_load_names_the_line_of_a_bad_kommunenummer(cli: Cli, tmp_path: Path) -> None:
    good = tmp_path / "kommuner.csv"
    good.write_text(REGISTER, encoding="utf-8")
    ok(cli("register", "load", str(good)))
    bad = tmp_path / "kommuner-ny.csv"
    bad.write_text(
        "kommunenummer,name,region\n3005,Drammen by,Drammensregionen\n305,Lier,Drammensregionen\n",
        encoding="utf-8",
    )

    result = cli("register", "load", str(bad))
    assert result.exit_code == 1, result.output
    assert f"Feil: {bad}:3: kommunenummer «305» må være fire sifre" in result.stderr, result.stderr
    assert cli.count(Municipality, Municipality.name == "Drammen") == 1, (
        "a file with an error changes nothing, not even its good lines"
    )


# --- users create -----------------------------------------------------------------------------------

CREATE_RADGIVER = ["users", "create", "--role", "radgiver", "--password-stdin"]


def test_users_create_stores_an_argon2_hash_of_the_password_from_stdin(cli: Cli) -> None:
    result = ok(cli(*CREATE_RADGIVER, "--email", "kari@fylke.no", input="et-langt-passord\n"))
    assert "Opprettet kari@fylke.no med rollen radgiver." in result.stdout, result.stdout
    with Session(cli.engine) as session:
        user = session.exec(select(StaffUser).where(StaffUser.email == "kari@fylke.no")).one()
    assert user.role.value == "radgiver"
    assert user.password_hash.startswith("$argon2"), user.password_hash
    assert verify_password("et-langt-passord", user.password_hash)
    assert not verify_password("et-langt-passord\n", user.password_hash), "the newline is not part of it"


def test_users_create_refuses_a_short_password(cli: Cli) -> None:
    result = cli(*CREATE_RADGIVER, "--email", "kari@fylke.no", input="kort\n")
    assert result.exit_code == 1, result.output
    assert "minst 12 tegn" in result.stderr, result.stderr
    assert cli.count(StaffUser) == 0


def test_users_create_refuses_an_email_that_exists(cli: Cli) -> None:
    ok(cli(*CREATE_RADGIVER, "--email", "kari@fylke.no", input="et-langt-passord\n"))
    result = cli(*CREATE_RADGIVER, "--email", "Kari@Fylke.no", input="et-annet-langt-passord\n")
    assert result.exit_code == 1, result.output
    assert "finnes allerede en bruker med e-post kari@fylke.no" in result.stderr, result.stderr
    assert cli.count(StaffUser) == 1


# --- demo and invitations ---------------------------------------------------------------------------


def demo_counts(cli: Cli) -> dict[str, int]:
    return {
        "municipalities": cli.count(Municipality),
        "rounds": cli.count(Round),
        "responses": cli.count(Response),
        "answers": cli.count(Answer),
        "staff users": cli.count(StaffUser),
        "questionnaire versions": cli.count(QuestionnaireVersion),
    }


def survey_round_id(cli: Cli) -> int:
    with Session(cli.engine) as session:
        round_id = session.exec(select(Round.id).where(Round.title == SURVEY_ROUND)).one()
    assert round_id is not None
    return round_id


def test_demo_creates_the_demo_once_and_reuses_it(cli: Cli) -> None:
    first = ok(cli("demo", "--no-serve"))
    assert "Demoen er laget" in first.stdout, first.stdout
    counts = demo_counts(cli)
    assert counts["municipalities"] == DEMO_MUNICIPALITIES
    assert counts["rounds"] == 3, "this year's survey and consultation, and last year's survey (closed)"
    assert counts["responses"] == 3 * DEMO_MUNICIPALITIES, "one response per municipality and round"
    assert counts["staff users"] == 1

    round_id = survey_round_id(cli)
    status = {
        s: cli.count(Response, Response.round_id == round_id, Response.status == s) for s in ResponseStatus
    }
    started = status[ResponseStatus.submitted] + status[ResponseStatus.in_progress]
    assert abs(started - DEMO_MUNICIPALITIES * 2 / 3) <= 1, status
    assert status[ResponseStatus.submitted] > 0 and status[ResponseStatus.in_progress] > 0, status
    assert status[ResponseStatus.not_started] == DEMO_MUNICIPALITIES - started, status
    assert counts["answers"] > 0

    invitations_csv = cli.data_dir / f"invitasjoner-runde-{round_id}.csv"
    links = invitations_csv.read_text(encoding="utf-8")
    assert links.splitlines()[0] == "kommunenummer,kommune,url"
    rows = rows_of(links)
    assert len(rows) == DEMO_MUNICIPALITIES
    assert len({r["url"] for r in rows}) == DEMO_MUNICIPALITIES, "every municipality has its own link"

    second = ok(cli("demo", "--no-serve"))
    assert "Demoen er gjenbrukt" in second.stdout, second.stdout
    assert demo_counts(cli) == counts, "running the demo again must not duplicate anything"
    assert invitations_csv.read_text(encoding="utf-8") == links, "the same links must keep working"


def test_rounds_list_shows_each_round_with_its_id_and_figures(cli: Cli) -> None:
    empty = ok(cli("rounds", "list"))
    assert empty.stdout.startswith("Ingen runder ennå."), empty.stdout

    ok(cli("demo", "--no-serve"))
    round_id = survey_round_id(cli)
    submitted = cli.count(
        Response, Response.round_id == round_id, Response.status == ResponseStatus.submitted
    )
    lines = ok(cli("rounds", "list")).stdout.splitlines()
    assert lines[0].split() == ["Id", "Tittel", "År", "Status", "Skjema", "(versjon)", "Kommuner", "Innsendt"]
    assert len(lines) == 1 + 3, lines
    survey = next(line for line in lines if SURVEY_ROUND in line)
    assert survey.split()[0] == str(round_id)
    assert "2026" in survey and "Åpen" in survey and "kommuneundersokelse-sivilsamfunn 2026.2" in survey
    assert survey.split()[-2:] == [str(DEMO_MUNICIPALITIES), str(submitted)], survey
    assert any("Avsluttet" in line for line in lines), "last year's round is closed"


def test_invitations_export_prints_the_demo_links(cli: Cli) -> None:
    ok(cli("demo", "--no-serve"))
    round_id = survey_round_id(cli)
    written = (cli.data_dir / f"invitasjoner-runde-{round_id}.csv").read_text(encoding="utf-8")

    result = ok(cli("invitations", "export", "--round", str(round_id)))
    assert result.stdout.splitlines() == written.splitlines()

    missing = cli("invitations", "export", "--round", "999999")
    assert missing.exit_code == 1, missing.output
    assert "runde 999999 finnes ikke" in missing.stderr, missing.stderr


def test_a_demo_invitation_link_opens_the_municipalitys_response(cli: Cli) -> None:
    ok(cli("demo", "--no-serve"))
    row = next(
        r
        for r in rows_of(
            (cli.data_dir / f"invitasjoner-runde-{survey_round_id(cli)}.csv").read_text(encoding="utf-8")
        )
        if r["kommune"] == "Drammen"
    )

    with TestClient(
        create_app(cli.settings), base_url=cli.settings.base_url, follow_redirects=False
    ) as client:
        opened = client.get(urlsplit(row["url"]).path)
        assert opened.status_code == 303, opened.text
        assert urlsplit(opened.headers["location"]).path == "/svar"

        page = client.get("/svar")
    assert page.status_code == 200, page.text
    assert page.template.name == "respondent/start.html"  # type: ignore[attr-defined]
    assert page.context["draft"].municipality.kommunenummer == row["kommunenummer"]  # type: ignore[attr-defined]
    lead = BeautifulSoup(page.text, "html.parser").select_one("p.lead")
    assert lead is not None, page.text[:500]
    assert lead.get_text().startswith("Drammen kommune"), lead.get_text()


# --- help ---------------------------------------------------------------------------------------------


def test_every_command_has_a_norwegian_help_text() -> None:
    """The docstrings are English, for the code; what --help shows the county's IT staff is Norwegian."""
    import typer

    def commands(group: Any, path: str) -> Iterator[tuple[str, Any]]:
        for name, command in group.commands.items():
            if hasattr(command, "commands"):
                yield from commands(command, f"{path} {name}")
            else:
                yield f"{path} {name}", command

    found = dict(commands(typer.main.get_command(app), "survey-app"))
    assert len(found) >= 15, sorted(found)
    english = [
        path
        for path, command in found.items()
        if not command.help or (command.callback.__doc__ or "").strip().startswith(command.help.strip()[:40])
    ]
    assert english == [], f"help= missing (the English docstring is shown): {english}"
