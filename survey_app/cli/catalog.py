"""The questionnaires and the rounds: ``questionnaires check`` and ``rounds list``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from survey_app.cli.common import cli_settings, questionnaires_app, ready_session, rounds_app
from survey_app.cli.errors import CommandError
from survey_app.questionnaires import QuestionnaireError, estimate_minutes, load_file, missing_nynorsk


@questionnaires_app.command(
    "check",
    help=(
        "Kontrollerer spørreskjemaer: filer, eller mapper (alle *.yaml rett i mappen, slik init importerer "
        "dem; undermapper som tidligere/ må nevnes for seg). Kodeboken (codebook*.yaml) kontrolleres som "
        "kodebok, og filer som begynner med _ hoppes over. Hvert problem skrives som FIL:LINJE: hva som er "
        "galt; avslutter med kode 1 om noe er galt. En tekst uten nynorsk er en feil, med mindre --utkast "
        "er gitt."
    ),
)
def questionnaires_check(
    paths: Annotated[list[Path], typer.Argument(help="Skjemafiler (YAML) eller mapper med skjemaer.")],
    draft: Annotated[
        bool,
        typer.Option(
            "--utkast",
            help="Godta tekster som bare er på bokmål (et utkast): de listes, men gir ikke feil.",
        ),
    ] = False,
) -> None:
    """Validate questionnaire files and folders; print FILE:LINE: problem for each error and exit 1 if any.

    Every respondent text without a nynorsk form is listed too: a round cannot open for a nynorsk
    municipality on such a questionnaire, so it is an error unless --utkast says the file is a draft. The
    codebook is checked by its own validator; it is not a questionnaire."""
    failed = False
    for path in _yaml_files(paths):
        if path.name.startswith("codebook"):
            failed = _check_codebook(path) or failed
        elif path.name.startswith("_"):
            typer.echo(f"{path}: hoppet over (filer som begynner med _ er ikke spørreskjemaer)", err=True)
        else:
            failed = _check_questionnaire(path, draft=draft) or failed
    raise typer.Exit(1 if failed else 0)


def _yaml_files(paths: list[Path]) -> list[Path]:
    """The files named, and the *.yaml files directly inside each folder named (not its subfolders)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.glob("*.yaml") if p.is_file())
            if not found:
                raise CommandError(f"{path}: mappen har ingen .yaml-filer.")
            files += found
        else:
            files.append(path)
    return files


def _check_questionnaire(path: Path, *, draft: bool) -> bool:
    """Check one questionnaire file; True when it has an error."""
    try:
        definition = load_file(path)
        gaps = missing_nynorsk(path.read_text(encoding="utf-8"), str(path))
    except QuestionnaireError as exc:
        for problem in exc.problems:
            typer.echo(str(problem))
        return True
    except OSError as exc:
        typer.echo(f"{path}:1: kan ikke lese filen ({exc.strerror})")
        return True
    for problem in gaps:
        typer.echo(str(problem))
    questions = sum(1 for _ in definition.questions())
    state = f"{len(gaps)} tekster mangler nynorsk" if gaps else "bokmål og nynorsk"
    minutes = estimate_minutes(definition)
    verdict = "OK" if draft or not gaps else "FEIL"
    typer.echo(f"{path}: {verdict} ({questions} spørsmål, {state}, om lag {minutes} minutter)", err=True)
    return bool(gaps) and not draft


def _check_codebook(path: Path) -> bool:
    """Check the codebook of themes with its own validator; True when it has an error."""
    from analysis.themes import CodebookError, load_codebook

    try:
        codebook = load_codebook(path)
    except CodebookError as exc:
        for problem in exc.problems:
            typer.echo(problem)
        typer.echo(f"{path}: FEIL (kodebok)", err=True)
        return True
    typer.echo(f"{path}: OK (kodebok, {len(codebook.codes)} temaer)", err=True)
    return False


@rounds_app.command(
    "list",
    help=(
        "Lister rundene, nyeste først: id, tittel, år, status, skjemaversjon, antall kommuner og antall "
        "innsendte svar. Id-en er den --round tar."
    ),
)
def rounds_list() -> None:
    """List the rounds (newest first) with the figures a county asks for before a command takes --round."""
    from survey_app.routes.staff import ROUND_STATUS_LABELS as labels
    from survey_app.services import catalog, rounds

    table: list[list[str]] = []
    with ready_session(cli_settings()) as session:
        for round_ in rounds.list_rounds(session):
            assert round_.id is not None
            # The questionnaire's own version label (2026.2), as the staff pages show it, not the
            # database's import counter.
            definition = catalog.round_definition(session, round_)
            counts = rounds.status_counts(session, round_.id)
            table.append(
                [
                    str(round_.id),
                    round_.title,
                    str(round_.year),
                    labels.get(round_.status.value, round_.status.value),
                    f"{definition.id} {definition.version}",
                    str(counts.total),
                    str(counts.submitted),
                ]
            )
    if not table:
        typer.echo("Ingen runder ennå. Rundene opprettes på ansattsidene (eller med survey-app demo).")
        return
    header = ["Id", "Tittel", "År", "Status", "Skjema (versjon)", "Kommuner", "Innsendt"]
    widths = [max(len(row[i]) for row in [header, *table]) for i in range(len(header))]
    numeric = {0, 2, 5, 6}
    for row in [header, *table]:
        typer.echo(
            "  ".join(
                cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i]) for i, cell in enumerate(row)
            ).rstrip()
        )
