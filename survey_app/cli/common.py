"""What every ``survey-app`` command shares: the command groups, ``--data-dir``, settings and a session.

Help texts are for the county's IT staff, so they are Norwegian: each command's ``help=`` (the docstrings
stay English, for the code), and Typer's panel titles below.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer
import typer.rich_utils
from sqlmodel import Session
from typer._click import Context
from typer._click import exceptions as click_exceptions
from typer.core import TyperGroup

from survey_app.cli import errors
from survey_app.cli.errors import check_database_url
from survey_app.config import Settings, use_private_file_modes
from survey_app.db import make_engine, upgrade

typer.rich_utils.ARGUMENTS_PANEL_TITLE = "Argumenter"
typer.rich_utils.OPTIONS_PANEL_TITLE = "Valg"
typer.rich_utils.COMMANDS_PANEL_TITLE = "Kommandoer"
typer.rich_utils.ERRORS_PANEL_TITLE = "Feil"
typer.rich_utils.REQUIRED_LONG_STRING = "[påkrevd]"
typer.rich_utils.DEFAULT_STRING = "[standard: {}]"
typer.rich_utils.ENVVAR_STRING = "[miljøvariabel: {}]"


class State:
    data_dir: Path | None = None
    debug: bool = False


class HandledGroup(TyperGroup):
    """The app's top group: an error in any command ends as a message and an exit code (errors.handle),
    whether the app runs as the console script or under a test's CliRunner."""

    def invoke(self, ctx: Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click_exceptions.ClickException, typer.Exit, typer.Abort):
            raise
        except Exception as error:
            data_dir = State.data_dir or Path(os.environ.get("SURVEY_APP_DATA_DIR") or "var")
            code = errors.handle(error, data_dir=data_dir, debug=State.debug or errors.debug_requested())
            raise typer.Exit(code) from None


app = typer.Typer(
    cls=HandledGroup,
    help=(
        "Innspill: kommuneundersøkelse, konsultasjon og anbefaling om bosetting. --data-dir kan stå før eller "
        "etter kommandoen. Avslutningskoder: 0 ferdig, 1 feil i inndata eller annen feil, 2 feil i "
        "argumentene, 3 reglene kan ikke oppfylles (recommend), 130 avbrutt (se docs/cli.md)."
    ),
    no_args_is_help=True,
    add_completion=False,
)
rounds_app = typer.Typer(help="Rundene: undersøkelser og konsultasjoner.", no_args_is_help=True)
register_app = typer.Typer(help="Kommuneregisteret.", no_args_is_help=True)
users_app = typer.Typer(help="Ansattbrukere.", no_args_is_help=True)
invitations_app = typer.Typer(help="Invitasjonslenker.", no_args_is_help=True)
questionnaires_app = typer.Typer(help="Spørreskjemaer.", no_args_is_help=True)
app.add_typer(register_app, name="register")
app.add_typer(users_app, name="users")
app.add_typer(invitations_app, name="invitations")
app.add_typer(questionnaires_app, name="questionnaires")
app.add_typer(rounds_app, name="rounds")


@app.callback()
def main(
    data_dir: Annotated[
        Path | None,
        typer.Option(
            envvar="SURVEY_APP_DATA_DIR",
            help="Mappen for databasen og nøkkelen (standard ./var). Kan stå før eller etter kommandoen.",
        ),
    ] = None,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            envvar="SURVEY_APP_DEBUG",
            help="Vis hele feilmeldingen (traceback) ved en uventet feil, for den som drifter Innspill.",
        ),
    ] = False,
) -> None:
    # Before any command writes: the database, the key and exported links are for this account only.
    use_private_file_modes()
    State.data_dir = data_dir
    State.debug = debug


def cli_settings(**overrides: object) -> Settings:
    """The settings from the environment and ``--data-dir``; a DATABASE_URL Innspill cannot use is refused
    here, before anything tries to connect with it."""
    if State.data_dir is not None:
        overrides.setdefault("data_dir", State.data_dir)
    settings = Settings(**overrides)  # type: ignore[arg-type]
    check_database_url(settings.database_url)
    return settings


@contextmanager
def ready_session(settings: Settings) -> Iterator[Session]:
    """A session on an up-to-date schema; the engine is closed afterwards."""
    data_dir_if_sqlite(settings)
    engine = make_engine(settings.sqlalchemy_url)
    try:
        upgrade(engine)
        with Session(engine, expire_on_commit=False) as session:
            yield session
    finally:
        engine.dispose()


def data_dir_if_sqlite(settings: Settings) -> None:
    # With PostgreSQL a command that only uses the database need not create the folder.
    if not settings.database_url:
        settings.ensure_data_dir()


def write_csv(target: Path, rows: list[dict[str, str]]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    # The links are credentials: private, also when an older, readable file is written over.
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with open(fd, "w", newline="", encoding="utf-8") as fh:
        write_rows(fh, rows)


def write_rows(fh: TextIO, rows: list[dict[str, str]]) -> None:
    from survey_app.services import invitations

    invitations.write_csv(fh, rows)
