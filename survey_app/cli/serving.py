"""Setting up and serving: ``init``, ``serve`` and ``demo``."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from survey_app import audit, logfilter
from survey_app.cli.common import (
    app,
    cli_settings,
    ready_session,
    write_csv,
)
from survey_app.config import Settings
from survey_app.services import catalog


def _serve(settings: Settings, host: str, port: int, workers: int) -> None:
    # Workers build their own app from the environment, so hand them the same settings that way.
    os.environ["SURVEY_APP_DATA_DIR"] = str(settings.data_dir)
    os.environ["SURVEY_APP_BASE_URL"] = settings.base_url
    if settings.database_url:
        os.environ["DATABASE_URL"] = settings.database_url
    settings.resolved_secret_key()  # create the shared key before several workers race to
    _warn_if_others_can_read(settings.data_dir)
    trusted = settings.trusted_proxies
    uvicorn.run(
        "survey_app.main:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # X-Forwarded-For and -Proto are believed only from the proxies named in the settings; uvicorn's
        # own default (any process on this machine) would let one claim any address to the login throttle.
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted,
        log_config=logfilter.log_config(),
        log_level="info",
    )


def _warn_if_others_can_read(data_dir: Path) -> None:
    """Folders and files made before Innspill kept them private are left as they are, but named."""
    if not data_dir.is_dir():
        return
    paths = [data_dir, *(p for p in data_dir.iterdir() if p.is_file())]
    if open_ := [p for p in paths if stat.S_IMODE(p.stat().st_mode) & 0o077]:
        typer.echo(
            f"Advarsel: andre brukere på maskinen har tilgang til {', '.join(map(str, open_))}. "
            f"Gjør dem private med: chmod 700 {data_dir} && chmod 600 {data_dir}/*",
            err=True,
        )


@app.command()
def init() -> None:
    """Create or upgrade the database and import the questionnaires in ./questionnaires."""
    settings = cli_settings()
    with ready_session(settings) as session:
        versions = catalog.import_directory(
            session, directory=settings.questionnaires_dir, actor=audit.SYSTEM
        )
    typer.echo(
        f"Databasen er klar ({settings.sqlalchemy_url.split('@')[-1]}); {len(versions)} skjemaer importert."
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Adressen det lyttes på.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Porten.")] = 8000,
    workers: Annotated[int, typer.Option(help="Antall prosesser.")] = 1,
) -> None:
    """Serve Innspill (the schema is brought up to date first)."""
    settings = cli_settings()
    with ready_session(settings):
        pass
    _serve(settings, host, port, workers)


@app.command("demo")
def demo_command(
    port: Annotated[int, typer.Option(help="Porten.")] = 8000,
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Bare lag demodata, ikke start serveren.")
    ] = False,
) -> None:
    """Set up the demo county (Viken) with open rounds and synthetic answers, then serve it."""
    # Imported here: the demo's analysis loads scikit-learn and the invitations the mail and page templates,
    # which quick commands (recommend) need not wait for.
    from survey_app.services import demo, invitations

    settings = cli_settings(base_url=f"http://127.0.0.1:{port}")
    with ready_session(settings) as session:
        info = demo.setup_demo(session, settings=settings)
        rows = invitations.export_rows(
            session,
            round_id=info.round_ids[0],
            secret_key=settings.resolved_secret_key(),
            base_url=settings.base_url,
        )
    target = settings.data_dir / "invitations.csv"
    write_csv(target, rows)
    typer.echo("")
    typer.echo(f"Demoen er {'laget' if info.created else 'gjenbrukt'} i {settings.data_dir.resolve()}.")
    typer.echo(f"  Ansattinnlogging: {settings.base_url}/ansatt/logg-inn")
    typer.echo(f"  E-post: {info.admin_email}   Passord: {info.admin_password}")
    typer.echo(f"  Invitasjonslenker for kommunene: {target.resolve()}")
    if rows:
        typer.echo(f"  For eksempel {rows[0]['kommune']}: {rows[0]['url']}")
    typer.echo("")
    if not no_serve:
        _serve(settings, "127.0.0.1", port, 1)
