"""Backup and restore of everything the data needs: the database, the secret key and the data dir's files."""

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
from survey_app.config import Settings
from survey_app.db import make_engine


@contextmanager
def _backup_engine() -> Iterator[tuple[Settings, sa.Engine]]:
    """The settings and the database's engine; a ``BackupError`` ends the command with its message."""
    from survey_app.services import backup

    settings = cli_settings()
    data_dir_if_sqlite(settings)
    engine = make_engine(settings.sqlalchemy_url)
    try:
        yield settings, engine
    except backup.BackupError as exc:
        typer.echo(f"Feil: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()


def _rows(rows: dict[str, int]) -> str:
    filled = [f"{table} {n}" for table, n in rows.items() if n]
    return f"{sum(rows.values())} rader i {len(rows)} tabeller" + (
        f" ({', '.join(filled)})" if filled else ""
    )


@app.command(
    "backup",
    help="Tar sikkerhetskopi av databasen, nøkkelen og filene i datamappen til FIL; trygt mens Innspill kjører.",
)
def backup_command(
    file: Annotated[Path, typer.Argument(help="Filen sikkerhetskopien skrives til (en tar-fil).")],
    yes: Annotated[bool, typer.Option("--ja", help="Overskriv filen om den finnes.")] = False,
) -> None:
    """Back up the database, the secret key and the data dir's files to FILE; safe while Innspill runs."""
    from survey_app.services import backup

    with _backup_engine() as (settings, engine):
        made = backup.backup(engine=engine, settings=settings, target=file, actor=audit.SYSTEM, overwrite=yes)
    manifest = made.manifest
    typer.echo(
        f"Sikkerhetskopi skrevet til {file} ({made.file.size / 1e6:.1f} MB, databaseversjon {made.file.revision})."
    )
    typer.echo(f"  Databasen: {_rows(manifest.rows)}.")
    if manifest.key.source == "data_dir":
        typer.echo(
            f"  Den hemmelige nøkkelen (fingeravtrykk {manifest.key.fingerprint}) er med: oppbevar filen like "
            "trygt som databasen."
        )
    elif manifest.key.source == "environment":
        typer.echo(
            "  Nøkkelen står i SURVEY_APP_SECRET_KEY og er ikke med, bare fingeravtrykket "
            f"({manifest.key.fingerprint}). Ta vare på nøkkelen sammen med sikkerhetskopiene."
        )
    if manifest.files:
        typer.echo(f"  Filer fra datamappen: {', '.join(manifest.files)}.")
    if made.links == backup.LinkCheck.broken:
        typer.echo(
            "Feil: nøkkelen denne kommandoen bruker, gir ikke invitasjonslenkene i databasen; med denne "
            "sikkerhetskopien alene vil lenkene ikke virke etter en gjenoppretting. Kjør backup med samme "
            "datamappe (--data-dir) og samme SURVEY_APP_SECRET_KEY som tjenesten.",
            err=True,
        )
        raise typer.Exit(1)


@app.command(
    "restore",
    help="Gjenoppretter databasen, nøkkelen og filene i datamappen fra en sikkerhetskopi og kontrollerer dem "
    "(krever --ja for å erstatte data).",
)
def restore_command(
    file: Annotated[Path, typer.Argument(help="Sikkerhetskopien (fra survey-app backup).")],
    yes: Annotated[
        bool,
        typer.Option(
            "--ja", help="Ja, erstatt alt i databasen, og en annen nøkkel i datamappen, med sikkerhetskopien."
        ),
    ] = False,
) -> None:
    """Restore the database, the secret key and the data dir's files from a backup, and check them."""
    from survey_app.services import backup

    with _backup_engine() as (settings, engine):
        restored = backup.restore(
            engine=engine, settings=settings, source=file, actor=audit.SYSTEM, confirmed=yes
        )
    upgraded = (
        f", oppgradert fra databaseversjon {restored.source.revision}"
        if restored.revision != restored.source.revision
        else ""
    )
    typer.echo(f"Databasen er gjenopprettet fra {file} (databaseversjon {restored.revision}{upgraded}).")
    typer.echo(f"  {restored.key_note}")
    if restored.files:
        typer.echo(f"  Filer i datamappen: {', '.join(restored.files)}.")
    if restored.source.manifest is None:
        typer.echo(f"  Databasen har {_rows(restored.rows)} (en eldre sikkerhetskopi uten opptelling).")
    elif not restored.row_mismatches:
        typer.echo(f"  Radene stemmer med sikkerhetskopien: {_rows(restored.rows)}.")
    failed = False
    if restored.row_mismatches:
        differ = ", ".join(f"{t} {found} (ventet {n})" for t, (n, found) in restored.row_mismatches.items())
        typer.echo(f"Feil: antall rader stemmer ikke med sikkerhetskopien: {differ}.", err=True)
        failed = True
    if restored.links == backup.LinkCheck.works:
        typer.echo("Invitasjonslenkene virker.")
    elif restored.links == backup.LinkCheck.no_invitations:
        typer.echo("Ingen invitasjonslenker å prøve.")
    else:
        typer.echo(
            "Feil: invitasjonslenkene virker ikke: nøkkelen Innspill nå bruker, er ikke den lenkene ble laget "
            "med. Gjenopprett med den riktige nøkkelen (i datamappen eller SURVEY_APP_SECRET_KEY), eller lag "
            "nye lenker til kommunene.",
            err=True,
        )
        failed = True
    if failed:
        raise typer.Exit(1)
    if restored.key_written:
        # The app reads the key once, when it starts.
        typer.echo("Kjører Innspill allerede, start den på nytt, så den bruker den gjenopprettede nøkkelen.")
