"""``survey-app archive export``: a round's archive packages, for the county's archive (docs/archive.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from survey_app.cli.common import app, cli_settings, ready_session

archive_app = typer.Typer(help="Arkivpakker for fylkeskommunens arkiv (KS Fiks Arkiv).", no_args_is_help=True)
app.add_typer(archive_app, name="archive")


@archive_app.command(
    "export",
    help=(
        "Skriv arkivpakkene til en runde: én ZIP per svar som er sendt inn (arkivmelding.xml og svaret som "
        "PDF/A), og én ZIP med alle. Hver arkivmelding kontrolleres mot KS' skjema før den skrives."
    ),
)
def export(
    round_id: Annotated[int, typer.Option("--round", help="Rundens id (se survey-app rounds list).")],
    output: Annotated[
        Path, typer.Option("--output", help="Mappen pakkene skrives til (lages om den mangler).")
    ],
) -> None:
    """Write one ZIP per submitted response and one for the whole round into ``output``; audited."""
    from survey_app import audit
    from survey_app.documents.formatting import decimal
    from survey_app.models import Round
    from survey_app.services import archive
    from survey_app.services.audit_log import record_read

    settings = cli_settings()
    with ready_session(settings) as session:
        round_ = session.get(Round, round_id)
        if round_ is None:
            typer.echo(f"Feil: runde {round_id} finnes ikke.", err=True)
            raise typer.Exit(1)
        packages = archive.round_packages(session, round_=round_, county=settings.county_name)
        if not packages:
            typer.echo(f"Ingen svar er sendt inn i «{round_.title}» ennå; ingenting skrevet.")
            return
        output.mkdir(parents=True, exist_ok=True)
        total = 0
        for package in packages:
            content = package.zip()
            (output / f"{package.name}.zip").write_bytes(content)
            total += len(content)
        whole = archive.round_zip_of(round_, packages)
        (output / f"arkivpakker-runde-{round_id}.zip").write_bytes(whole)
        record_read(
            session,
            actor=audit.SYSTEM,
            action="archive.export",
            object_type="round",
            object_id=round_id,
            details={"scope": "round", "documents": len(packages), "bytes": len(whole), "via": "cli"},
        )
        typer.echo(
            f"Skrev {len(packages)} arkivpakker ({decimal(total / 1_000_000)} MB) og arkivpakker-runde-{round_id}.zip "
            f"({decimal(len(whole) / 1_000_000)} MB) til {output}. Saksmappe: {archive.describe_case_folder(round_)}."
        )
