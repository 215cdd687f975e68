"""Backup and restore of the whole database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import sqlalchemy as sa
import typer

from survey_app import audit
from survey_app.cli.common import (
    app,
    cli_settings,
    data_dir_if_sqlite,
)
from survey_app.db import make_engine


@contextmanager
def _backup_engine() -> Iterator[sa.Engine]:
    """The database's engine for backup and restore; a ``BackupError`` ends the command with its message."""
    from survey_app.services import backup

    settings = cli_settings()
    data_dir_if_sqlite(settings)
    engine = make_engine(settings.sqlalchemy_url)
    try:
        yield engine
    except backup.BackupError as exc:
        typer.echo(f"Feil: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()


@app.command("backup")
def backup_command(
    file: Annotated[Path, typer.Argument(help="Filen sikkerhetskopien skrives til.")],
    yes: Annotated[bool, typer.Option("--ja", help="Overskriv filen om den finnes.")] = False,
) -> None:
    """Back up the whole database to FILE; safe while Innspill runs (SQLite: a database file; PostgreSQL: pg_dump)."""
    from survey_app.services import backup

    with _backup_engine() as engine:
        made = backup.backup(engine=engine, target=file, actor=audit.SYSTEM, overwrite=yes)
    typer.echo(
        f"Sikkerhetskopi skrevet til {file} ({made.size / 1e6:.1f} MB, databaseversjon {made.revision})."
    )


@app.command("restore")
def restore_command(
    file: Annotated[Path, typer.Argument(help="Sikkerhetskopien (fra survey-app backup).")],
    yes: Annotated[
        bool, typer.Option("--ja", help="Ja, erstatt alt i databasen med sikkerhetskopien.")
    ] = False,
) -> None:
    """Replace the database with a backup from ``survey-app backup`` and bring it up to date (asks for --ja)."""
    from survey_app.services import backup

    with _backup_engine() as engine:
        restored = backup.restore(engine=engine, source=file, actor=audit.SYSTEM, confirmed=yes)
    upgraded = (
        f", oppgradert fra databaseversjon {restored.source.revision}"
        if restored.revision != restored.source.revision
        else ""
    )
    typer.echo(f"Databasen er gjenopprettet fra {file} (databaseversjon {restored.revision}{upgraded}).")
