"""What every ``survey-app`` command shares: the command groups, ``--data-dir``, settings and a session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, TextIO

import typer
from sqlmodel import Session

from survey_app.config import Settings, use_private_file_modes
from survey_app.db import make_engine, upgrade

app = typer.Typer(
    help="Innspill: kommuneundersøkelse, konsultasjon og anbefaling om bosetting.", no_args_is_help=True
)
register_app = typer.Typer(help="Kommuneregisteret.", no_args_is_help=True)
users_app = typer.Typer(help="Ansattbrukere.", no_args_is_help=True)
invitations_app = typer.Typer(help="Invitasjonslenker.", no_args_is_help=True)
questionnaires_app = typer.Typer(help="Spørreskjemaer.", no_args_is_help=True)
app.add_typer(register_app, name="register")
app.add_typer(users_app, name="users")
app.add_typer(invitations_app, name="invitations")
app.add_typer(questionnaires_app, name="questionnaires")


class State:
    data_dir: Path | None = None


@app.callback()
def main(
    data_dir: Annotated[
        Path | None,
        typer.Option(envvar="SURVEY_APP_DATA_DIR", help="Mappen for databasen og nøkkelen (standard ./var)."),
    ] = None,
) -> None:
    # Before any command writes: the database, the key and exported links are for this account only.
    use_private_file_modes()
    State.data_dir = data_dir


def cli_settings(**overrides: object) -> Settings:
    if State.data_dir is not None:
        overrides.setdefault("data_dir", State.data_dir)
    return Settings(**overrides)  # type: ignore[arg-type]


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
