"""Commands on the county's data: register, users, links, analysis, recommendation, purge, imports."""

from __future__ import annotations

import sys
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import select

from survey_app import audit, textfiles
from survey_app.cli.common import (
    app,
    cli_settings,
    invitations_app,
    ready_session,
    register_app,
    users_app,
    write_csv,
    write_rows,
)
from survey_app.cli.errors import INFEASIBLE, CommandError
from survey_app.models import Role, Round
from survey_app.services import register, users


@register_app.command(
    "load",
    help=(
        "Laster inn (eller oppdaterer) kommuneregisteret fra en CSV-fil, slik Excel lagrer den (UTF-8 eller "
        "Windows-1252, komma eller semikolon). Finnes det allerede en annen fylkeskommune i databasen, "
        "avvises filen med mindre --ny-fylkeskommune er gitt."
    ),
)
def register_load(
    file: Annotated[
        Path, typer.Argument(help="CSV med kolonnene kommunenummer,name,region[,malform][,epost].")
    ],
    county: Annotated[
        str | None, typer.Option(help="Fylkeskommunens navn (standard: SURVEY_APP_COUNTY_NAME).")
    ] = None,
    new_county: Annotated[
        bool,
        typer.Option(
            "--ny-fylkeskommune", help="Opprett fylkeskommunen selv om databasen har en annen fra før."
        ),
    ] = False,
) -> None:
    """Load (or update) the municipality register from a CSV file."""
    settings = cli_settings()
    rows = register.parse_register(textfiles.read_text(file), source=str(file))
    name = county or settings.county_name
    with ready_session(settings) as session:
        try:
            register.load_register(
                session, rows=rows, county_name=name, actor=audit.SYSTEM, allow_new_county=new_county
            )
        except register.OtherCountyError as error:
            existing = error.existing[0]
            raise CommandError(
                f"databasen har allerede fylkeskommunen «{', '.join(error.existing)}», ikke «{name}».",
                f'Last inn registeret for den med --county "{existing}" (eller sett SURVEY_APP_COUNTY_NAME), '
                "eller legg til --ny-fylkeskommune for å opprette «" + name + "» ved siden av.",
                "Ingenting er endret.",
            ) from None
    typer.echo(f"Lastet {len(rows)} kommuner.")


@users_app.command(
    "create", help="Oppretter en ansattbruker. Passordet leses fra standard input (--password-stdin)."
)
def users_create(
    email: Annotated[str, typer.Option(help="E-postadressen (brukernavnet).")],
    role: Annotated[Role, typer.Option(help="admin, radgiver eller leser.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Les passordet fra standard input.")
    ] = False,
    name: Annotated[str, typer.Option(help="Fullt navn.")] = "",
) -> None:
    """Create a staff user."""
    if not password_stdin:
        typer.echo("Oppgi passordet på standard input med --password-stdin.", err=True)
        raise typer.Exit(2)
    password = sys.stdin.readline().rstrip("\r\n")
    settings = cli_settings()
    with ready_session(settings) as session:
        try:
            user = users.create_user(
                session, email=email, password=password, role=role, full_name=name, actor=audit.SYSTEM
            )
        except users.UserError as exc:
            typer.echo(f"Feil: {exc}", err=True)
            raise typer.Exit(1) from None
    typer.echo(f"Opprettet {user.email} med rollen {user.role.value}.")


@invitations_app.command(
    "export", help="Skriver rundens invitasjonslenker som CSV: kommunenummer,kommune,url."
)
def invitations_export(
    round_id: Annotated[int, typer.Option("--round", help="Rundens id (se survey-app rounds list).")],
    output: Annotated[Path | None, typer.Option(help="Fil å skrive til (standard: skjermen).")] = None,
) -> None:
    """Write the round's invitation links as CSV: kommunenummer,kommune,url."""
    from survey_app.services import invitations

    settings = cli_settings()
    with ready_session(settings) as session:
        if session.exec(select(Round).where(Round.id == round_id)).first() is None:
            typer.echo(f"Feil: runde {round_id} finnes ikke.", err=True)
            raise typer.Exit(1)
        rows = invitations.export_rows(
            session, round_id=round_id, secret_key=settings.resolved_secret_key(), base_url=settings.base_url
        )
        audit.record(
            session,
            actor=audit.SYSTEM,
            action="invitations.export",
            object_type="round",
            object_id=round_id,
            details={"rows": len(rows)},
        )
        session.commit()
    if output:
        write_csv(output, rows)
        typer.echo(f"Skrev {len(rows)} lenker til {output}.")
    else:
        write_rows(sys.stdout, rows)


@app.command(
    help=(
        "Regner ut rundens integreringsparametere, temaer, behov og nye temaer på nytt og lagrer dem "
        "(reproduserbart)."
    )
)
def analyze(
    round_id: Annotated[int, typer.Option("--round", help="Rundens id (se survey-app rounds list).")],
) -> None:
    """Recompute the round's parameters, themes, needs and topics, and store them (reproducibly)."""
    from survey_app.services import analysis

    settings = cli_settings()
    with ready_session(settings) as session:
        round_ = session.get(Round, round_id)
        if round_ is None:
            typer.echo(f"Feil: runde {round_id} finnes ikke.", err=True)
            raise typer.Exit(1)
        run = analysis.analyze(session, round_=round_, actor=audit.SYSTEM, data_dir=settings.data_dir)
        results = run.results
    typer.echo(
        f"Analyse {run.id} av «{round_.title}»: {len(results.units)} kommuner, {results.texts} fritekstsvar, "
        f"{len(results.needs)} uttrykte behov, {len(results.unexpressed)} mulige uuttalte behov, "
        f"{len(results.topics)} nye temaer."
    )
    typer.echo(f"  Data per {run.snapshot_at}, {run.code_version}, modell {run.model_version}.")


class CsvFormat(StrEnum):
    excel = "excel"
    csv = "csv"


@app.command(
    help=(
        "Anbefalingen om bosetting fra en CSV med tall per kommune, et totalantall og reglene: tall og "
        "begrunnelse per kommune. Filen er for norsk Excel: semikolon, UTF-8 med BOM og desimalkomma "
        "(--format csv gir komma og desimalpunktum). Avslutter med kode 3, uten å skrive noen fil, når "
        "reglene ikke kan oppfylles samtidig."
    )
)
def recommend(
    input_file: Annotated[
        Path, typer.Option("--input", help="Tallene per kommune (CSV, UTF-8 eller Windows-1252).")
    ],
    total: Annotated[int, typer.Option("--total", min=0, help="Antallet fylket skal fordele.")],
    output: Annotated[Path, typer.Option("--output", help="Hvor anbefalingen skrives (CSV).")],
    rules_file: Annotated[
        Path | None, typer.Option("--rules", help="Regelfil (YAML); uten den brukes standardreglene.")
    ] = None,
    minors: Annotated[
        int | None,
        typer.Option(
            "--ema",
            min=0,
            help="Herav enslige mindreårige: fordeles på kommuner med vedtak om det (kolonnen vedtak_ema).",
        ),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option("--report", help="Skriv også saksframlegget (DOCX) for politisk behandling hit."),
    ] = None,
    file_format: Annotated[
        CsvFormat,
        typer.Option(
            "--format",
            help=(
                "excel: semikolon, BOM og desimalkomma, for norsk Excel (standard); "
                "csv: komma og desimalpunktum, for andre programmer."
            ),
        ),
    ] = CsvFormat.excel,
) -> None:
    """The settlement recommendation from a figures CSV, a total and the rules: numbers and begrunnelse."""
    from analysis.settlement import INDEX, Infeasible, RulesError
    from analysis.settlement_rules import load_rules, parse_rules
    from survey_app.documents import saksframlegg_docx
    from survey_app.services import recommendation

    rules = (
        parse_rules(textfiles.read_text(rules_file), name=str(rules_file))
        if rules_file is not None
        else load_rules()
    )
    figures = recommendation.read_figures(textfiles.read_text(input_file), source=str(input_file))
    try:
        result = recommendation.compute(
            figures.rows, figures.criteria_columns, total=total, rules=rules, minors=minors
        )
    except RulesError as error:
        raise CommandError(str(error)) from None
    except Infeasible as error:
        hint = (
            ["Sett «fjoraret_er_gulv: false» i regelfilen for å se anbefalingen uten den regelen."]
            if error.floor_rule
            else []
        )
        for line in ["Reglene kan ikke oppfylles samtidig. Ingen fil er skrevet.", *error.conflicts, *hint]:
            typer.echo(f"Feil: {line}", err=True)
        raise typer.Exit(INFEASIBLE) from None
    for warning in recommendation.survey_warnings(rules, [INDEX]):
        typer.echo(f"Advarsel: {warning}", err=True)
    document = None
    if report is not None:
        document = saksframlegg_docx(
            recommendation.case_document(
                result,
                county=cli_settings().county_name,
                title=f"Anbefaling fra {input_file.name}",
                year=date.today().year + 1,
                overrides={},
                sources=[("Tall per kommune", input_file.name, date.today())],
                settled={},
                survey_columns=[INDEX],
                prepared_by="",
            )
        )
    output.write_text(
        recommendation.to_csv(result, rules, excel=file_format is CsvFormat.excel), encoding="utf-8"
    )
    if report is not None and document is not None:
        report.write_bytes(document)
    changed = sum(1 for a in result.allocations if a.change)
    typer.echo(
        f"Skrev anbefalingen for {len(result.allocations)} kommuner ({total} til sammen, "
        f"{changed} endret fra i fjor) til {output}"
        + (f", og saksframlegget til {report}." if report else ".")
    )


@app.command(
    "purge",
    help=(
        "Sletter personopplysninger (navn, e-postadresser) i runder som ble avsluttet før en dato; svarene "
        "og resultatene beholdes. Uten --ja vises bare hva som ville blitt slettet."
    ),
)
def purge_command(
    before: Annotated[
        str, typer.Option("--before", help="Dato (ÅÅÅÅ-MM-DD): runder avsluttet før denne datoen tømmes.")
    ],
    yes: Annotated[
        bool, typer.Option("--ja", help="Slett; uten --ja vises bare hva som ville blitt slettet.")
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--torrkjoring",
            "--dry-run",
            help="Vis hva som ville blitt slettet, uten å slette (også med --ja).",
        ),
    ] = False,
) -> None:
    """Delete personal data (names, e-mail addresses) of closed rounds that closed before a date; results stay.

    Nothing is deleted without --ja: without it, the command shows what it would delete."""
    from datetime import date

    from survey_app.dates import format_date
    from survey_app.services import purge

    try:
        cutoff = date.fromisoformat(before)
    except ValueError:
        typer.echo(
            f"Feil: «{before}» er ikke en dato. Skriv den som ÅÅÅÅ-MM-DD, for eksempel 2026-01-01.", err=True
        )
        raise typer.Exit(2) from None
    dry_run = dry_run or not yes
    with ready_session(cli_settings()) as session:
        done = purge.purge(session, before=cutoff, actor=audit.SYSTEM, dry_run=dry_run)
    if not done.rounds:
        typer.echo(f"Ingen avsluttede runder har sluttdato før {format_date(cutoff)}. Ingenting er slettet.")
        return
    typer.echo(
        (
            "Tørrkjøring, ingenting er endret. Dette ville blitt slettet"
            if dry_run
            else "Slettet personopplysninger"
        )
        + f" fra {len(done.rounds)} {'avsluttet runde' if len(done.rounds) == 1 else 'avsluttede runder'}"
        + f" med sluttdato før {format_date(cutoff)}:"
    )
    for r in done.rounds:
        typer.echo(f"  {r.title} (runde {r.id}, sluttdato {format_date(r.closes_on)})")
    typer.echo(f"  Navn og rolle på den som godkjente og sendte inn: {done.signers} svar")
    typer.echo(f"  Navn på den som sist endret et svar: {done.editors} svar")
    typer.echo(f"  Navn i revisjonsloggen: {done.audit_actors} hendelser")
    typer.echo(f"  Kontaktadresser til kommuner som ikke er med i en nyere eller åpen runde: {done.contacts}")
    typer.echo("Svarene, statusene og analysene er beholdt.")
    if dry_run and not yes:
        typer.echo(f"Kjør igjen med --ja for å slette: survey-app purge --before {cutoff.isoformat()} --ja")
    if done.contacts and not dry_run:
        typer.echo(
            "Last inn kommuneregisteret med e-postadresser igjen før invitasjonene til neste runde sendes."
        )


history_app = typer.Typer(help="Bosettingshistorikken i kunnskapsgrunnlaget.", no_args_is_help=True)
figures_app = typer.Typer(
    help="Registertall fra SSBs statistikkbank i kunnskapsgrunnlaget.", no_args_is_help=True
)
app.add_typer(history_app, name="historikk")
app.add_typer(figures_app, name="registertall")
PREVIEW_LINES = 30


def _knowledge_import(file: Path, *, yes: bool, indicator: str | None = None, label: str = "") -> None:
    """Show what importing ``file`` would change or, with --ja, import it (history, or with ``indicator``
    register figures)."""
    from analysis.settlement_text import number
    from survey_app.services import knowledge_import as knowledge

    try:
        data = file.read_bytes()
    except OSError as exc:
        typer.echo(f"Feil: kan ikke lese {file} ({exc.strerror}).", err=True)
        raise typer.Exit(1) from None
    with ready_session(cli_settings()) as session:
        name = file.name
        try:
            if indicator is None and yes:
                preview = knowledge.import_history(session, data=data, filename=name, actor=audit.SYSTEM)
            elif indicator is None:
                preview = knowledge.preview_history(session, data=data, filename=name)
            elif yes:
                preview = knowledge.import_register(
                    session, data=data, filename=name, actor=audit.SYSTEM, indicator=indicator, label=label
                )
            else:
                preview = knowledge.preview_register(
                    session, data=data, filename=name, indicator=indicator, label=label
                )
        except knowledge.KnowledgeError as error:
            for problem in error.problems:
                typer.echo(f"Feil: {problem}", err=True)
            typer.echo("Ingenting er importert.", err=True)
            raise typer.Exit(1) from None

    def text(value: object) -> str:
        return "–" if value is None else value if isinstance(value, str) else number(float(str(value)), 2)

    what = "Historikk" if preview.kind == "history" else f"{preview.label} ({preview.indicator})"
    years = f", {preview.years[0]}–{preview.years[-1]}" if preview.years else ""
    typer.echo(
        f"{what} fra {preview.filename}{years}: {len(preview.added)} nye rader, "
        f"{len(preview.changed)} endrede, {preview.unchanged} uendret."
    )
    lines = [
        f"  {row.name} {row.year}: {c.label} {text(c.old)} → {text(c.new)}"
        for row in preview.changed
        for c in row.changes
    ]
    for line in lines[:PREVIEW_LINES]:
        typer.echo(line)
    if len(lines) > PREVIEW_LINES:
        typer.echo(f"  … og {len(lines) - PREVIEW_LINES} endringer til.")
    for note in preview.notes:
        typer.echo(f"  {note}")
    if preview.unknown:
        typer.echo(f"  Ikke i kommuneregisteret (importeres ikke): {', '.join(preview.unknown)}")
    if preview.mapped:
        typer.echo(
            f"  Ført over til registerets kommunenummer: {', '.join(f'{a} → {b}' for a, b in preview.mapped)}"
        )
    if yes:
        typer.echo(f"Importert fra {file.name}, og logget.")
    elif preview.rows:
        typer.echo("Ingenting er endret ennå. Kjør igjen med --ja for å importere.")
    else:
        typer.echo("Filen gir ingen endringer.")


@history_app.command(
    "importer",
    help=(
        "Importerer en fil med bosettingshistorikk (CSV eller XLSX, lang eller bred); uten --ja vises bare "
        "hva som ville blitt lagt til og endret."
    ),
)
def history_import(
    file: Annotated[Path, typer.Argument(help="Historikkfil (CSV eller XLSX), lang eller bred.")],
    yes: Annotated[bool, typer.Option("--ja", help="Importer; uten --ja vises bare hva som endres.")] = False,
) -> None:
    """Import a settlement history file; without --ja, only show what would be added and changed."""
    _knowledge_import(file, yes=yes)


@figures_app.command(
    "importer",
    help=(
        "Importerer registertall fra en fil fra SSBs statistikkbank (semikolon-CSV eller JSON-stat); uten "
        "--ja vises bare hva som ville blitt endret."
    ),
)
def figures_import(
    file: Annotated[Path, typer.Argument(help="Fil fra statistikkbanken: semikolon-CSV eller JSON-stat.")],
    indicator: Annotated[
        str, typer.Option("--indikator", help="Kort id for indikatoren (tom for befolkning, tabell 07459).")
    ] = "",
    label: Annotated[str, typer.Option("--navn", help="Indikatorens navn (standard: fra filen).")] = "",
    yes: Annotated[bool, typer.Option("--ja", help="Importer; uten --ja vises bare hva som endres.")] = False,
) -> None:
    """Import register figures from an SSB statbank file; without --ja, only show what would change."""
    _knowledge_import(file, yes=yes, indicator=indicator, label=label)
