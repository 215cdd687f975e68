"""The ``survey-app`` command: set-up, demo, serving and the county's housekeeping.

One Typer app (``common.app``); each module adds its commands to it when imported here, in the order
``--help`` lists them: first setting up and serving, then the questionnaires and rounds, the data, backups
and the archive. ``main`` is the console
script: it runs the app so that no error reaches the user as a traceback (``survey_app.cli.errors``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import typer

# Typer carries its own copy of Click; its exceptions are only reachable here.
from typer._click import exceptions as click_exceptions

# isort: off
from survey_app.cli import serving, catalog, data, backup, archive
from survey_app.cli.common import State, app

# isort: on
from survey_app.cli import errors

__all__ = ["app", "archive", "backup", "catalog", "data", "main", "serving"]
# Options of the whole app that may stand anywhere on the line; main moves them before the command.
GLOBAL_OPTIONS = ("--data-dir",)
GLOBAL_FLAGS = ("--debug",)


def hoist_global_options(args: Sequence[str]) -> list[str]:
    """``survey-app demo --data-dir D`` as ``survey-app --data-dir D demo``: Click reads an option of the
    app only before the command's name, but people write it where they think of it."""
    front: list[str] = []
    rest: list[str] = []
    items = list(args)
    i = 0
    while i < len(items):
        item = items[i]
        if item == "--":
            rest += items[i:]
            break
        if item in GLOBAL_OPTIONS and i + 1 < len(items):
            front += items[i : i + 2]
            i += 2
            continue
        if item in GLOBAL_FLAGS or any(item.startswith(f"{o}=") for o in GLOBAL_OPTIONS):
            front.append(item)
        else:
            rest.append(item)
        i += 1
    return front + rest


def run(args: Sequence[str]) -> int:
    """Run ``survey-app ARGS``; the exit code (docs/cli.md). Every error ends as a message on stderr."""
    args = hoist_global_options(args)
    debug = errors.debug_requested(args)
    command = typer.main.get_command(app)
    try:
        code = command.main(args=args, prog_name="survey-app", standalone_mode=False)
    except click_exceptions.UsageError as error:
        if error.ctx is not None:
            typer.echo(error.ctx.get_usage().replace("Usage:", "Bruk:", 1), err=True)
        try:
            lines = errors.usage_lines(error)
        except Exception:  # the message in Click's words is better than none
            lines = [error.format_message()]
        for number, line in enumerate(lines):
            typer.echo(("Feil: " if number == 0 else "") + line, err=True)
        return errors.USAGE
    except click_exceptions.ClickException as error:
        typer.echo(f"Feil: {error.format_message()}", err=True)
        return error.exit_code
    except typer.Abort:
        return errors.handle(KeyboardInterrupt(), debug=debug)
    except Exception as error:
        data_dir = State.data_dir or Path(os.environ.get("SURVEY_APP_DATA_DIR") or "var")
        return errors.handle(error, data_dir=data_dir, debug=debug)
    if code == errors.INTERRUPTED:
        # Typer turns Ctrl-C into a bare Exit(130); say what happened.
        return errors.handle(KeyboardInterrupt(), debug=debug)
    return code if isinstance(code, int) else errors.OK


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """The ``survey-app`` console script."""
    try:
        code = run(sys.argv[1:] if argv is None else argv)
    except KeyboardInterrupt as error:
        code = errors.handle(error)
    sys.exit(code)
