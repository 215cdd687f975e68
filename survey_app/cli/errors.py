"""How a command ends, for ``survey-app`` and ``python -m analysis`` alike: a few Norwegian lines, no traceback.

Exit codes (docs/cli.md):

    0    done
    1    bad input or a failure; the message says what to do (also when whoever reads the output stops
         early, as ``| head -1`` does, which ends the command quietly)
    2    bad arguments: an unknown command or option, a missing or malformed value
    3    the recommendation's rules cannot all hold (``survey-app recommend``; no file is written)
    130  interrupted (Ctrl-C)

Exceptions become messages in one place, ``explain``:

    CommandError, and any error class of our own     -> its message (or its ``problems``), as written
    pydantic ValidationError of the Settings         -> the setting to fix, and how
    sqlalchemy OperationalError                      -> the database cannot be reached or opened
    a DATABASE_URL SQLAlchemy cannot use             -> the forms Innspill takes
    OSError (missing file, a folder, no access, …)   -> the path and what to do
    UnicodeDecodeError                               -> save the file as UTF-8
    anything else                                    -> «Uventet feil», the type and message, and the log
                                                        file the traceback was written to

``--debug`` (or ``SURVEY_APP_DEBUG=1``) prints the traceback too, for whoever maintains Innspill.
"""

from __future__ import annotations

import errno
import os
import re
import sys
import tempfile
import traceback
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

OK = 0
FAILURE = 1
USAGE = 2
INFEASIBLE = 3
INTERRUPTED = 130
LOG_NAME = "survey-app-feil.log"
DEBUG_ENV = "SURVEY_APP_DEBUG"


class CommandError(Exception):
    """An expected failure, told in the command's own words: each line is printed as «Feil: …»."""

    def __init__(self, *lines: str, code: int = FAILURE) -> None:
        super().__init__("\n".join(lines))
        self.lines = list(lines)
        self.code = code


def debug_requested(args: Sequence[str] = ()) -> bool:
    return "--debug" in args or os.environ.get(DEBUG_ENV, "").strip().lower() in ("1", "true", "ja", "yes")


def handle(error: BaseException, *, data_dir: Path | None = None, debug: bool = False) -> int:
    """Print what went wrong and what to do on stderr; the exit code."""
    if isinstance(error, KeyboardInterrupt):
        _say(["Avbrutt."], prefix="")
        return INTERRUPTED
    if isinstance(error, BrokenPipeError):
        quiet_broken_pipe()
        return FAILURE
    if isinstance(error, CommandError):
        _say(error.lines)
        return error.code
    lines = explain(error)
    if lines is not None:
        _say(lines)
        if debug:
            traceback.print_exception(error, file=sys.stderr)
        return FAILURE
    log = write_log(error, data_dir=data_dir)
    where = f"Hele feilmeldingen er skrevet til {log}." if log else "Feilmeldingen kunne ikke lagres."
    _say(
        [
            f"Uventet feil: {type(error).__name__}: {_first_line(str(error)) or '(ingen melding)'}",
            "Dette er en feil i Innspill, ikke i det du skrev. " + where,
            "Send den til den som drifter Innspill"
            + ("." if debug else ", eller kjør kommandoen igjen med --debug for å se den her."),
        ],
        prefix="",
    )
    if debug:
        traceback.print_exception(error, file=sys.stderr)
    return FAILURE


def explain(error: BaseException) -> list[str] | None:
    """Norwegian lines for an expected error; None for one nobody expected (a bug)."""
    import pydantic
    import sqlalchemy.exc

    if isinstance(error, pydantic.ValidationError) and error.title == "Settings":
        return settings_lines(error)
    if isinstance(error, sqlalchemy.exc.OperationalError):
        return database_lines(error)
    if isinstance(error, sqlalchemy.exc.NoSuchModuleError) or (
        isinstance(error, sqlalchemy.exc.ArgumentError) and "SQLAlchemy URL" in str(error)
    ):
        return [
            "DATABASE_URL kan ikke brukes. Innspill bruker PostgreSQL "
            "(DATABASE_URL=postgresql://bruker:passord@vert/database) eller SQLite (la DATABASE_URL være tom).",
        ]
    if isinstance(error, UnicodeDecodeError):
        return [
            f"en fil er verken UTF-8 eller Windows-1252 (byte 0x{error.object[error.start]:02x} "
            f"i posisjon {error.start}).",
            "Lagre filen som «CSV UTF-8» (Excel) eller UTF-8 (tekstredigerer) og prøv igjen.",
        ]
    if isinstance(error, OSError):
        return file_lines(error)
    if _is_ours(error):
        problems = getattr(error, "problems", None)
        if isinstance(problems, list) and problems:
            return [str(p) for p in problems]
        return str(error).splitlines() or [type(error).__name__]
    return None


def _is_ours(error: BaseException) -> bool:
    """Our own error classes carry Norwegian messages written for the user (the house rule)."""
    return any(
        cls.__module__.split(".")[0] in ("survey_app", "analysis") for cls in type(error).__mro__[:-1]
    ) and not isinstance(error, AssertionError)


# --- settings -------------------------------------------------------------------------------------------

# The production refusals of survey_app/config.py, with what to do.
_SETTINGS_HINTS = (
    (
        "SURVEY_APP_SECRET_KEY",
        "I produksjon (SURVEY_APP_ENVIRONMENT=production) må SURVEY_APP_SECRET_KEY være satt til minst 32 tegn. "
        "Lag en med: python3 -c 'import secrets; print(secrets.token_urlsafe(48))', og ta vare på den sammen "
        "med sikkerhetskopiene: invitasjonslenkene er laget av den.",
    ),
    (
        "DATABASE_URL must",
        "I produksjon må DATABASE_URL peke på PostgreSQL, for eksempel "
        "DATABASE_URL=postgresql://innspill:passord@localhost/innspill.",
    ),
    (
        "SURVEY_APP_BENCH_ROUTES",
        "SURVEY_APP_BENCH_ROUTES er bare for ytelsesmålinger og må være av i produksjon.",
    ),
)
_ENV_NAMES = {"database_url": "DATABASE_URL"}
_PYDANTIC_TEXT = {
    "bool_parsing": "må være true eller false",
    "int_parsing": "må være et helt tall",
    "float_parsing": "må være et tall",
    "missing": "mangler",
}


def settings_lines(error: Any) -> list[str]:
    """The settings that cannot be used, one line each, and where to fix them."""
    lines: list[str] = []
    for item in error.errors():
        message = str(item.get("msg", "")).removeprefix("Value error, ")
        hint = next((text for key, text in _SETTINGS_HINTS if key in message), None)
        if hint:
            lines.append(hint)
            continue
        loc = [str(part) for part in item.get("loc", ())]
        name = _ENV_NAMES.get(loc[0], f"SURVEY_APP_{loc[0].upper()}") if loc else "innstillingene"
        kind = item.get("type", "")
        if kind == "literal_error":
            expected = str(item.get("ctx", {}).get("expected", "")).replace(" or ", " eller ")
            text = f"må være {expected}"
        elif kind == "greater_than_equal":
            text = f"må være minst {item.get('ctx', {}).get('ge')}"
        else:
            text = _PYDANTIC_TEXT.get(kind, message)
        lines.append(f"innstillingen {name} kan ikke brukes: {text}.")
    lines.append("Rett innstillingen i miljøet (eller i tjenestens miljøfil) og prøv igjen.")
    return lines


def check_database_url(url: str | None) -> None:
    """Refuse a DATABASE_URL Innspill cannot use before anything tries to connect with it."""
    if not url:
        return
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme in ("postgres", "postgresql", "postgresql+psycopg", "sqlite"):
        return
    shown = f"«{scheme}://…»" if scheme else "uten skjema (som postgresql://)"
    raise CommandError(
        f"DATABASE_URL {shown} støttes ikke. Innspill bruker PostgreSQL "
        "(DATABASE_URL=postgresql://bruker:passord@vert/database) eller SQLite (la DATABASE_URL være tom).",
    )


def database_lines(error: Any) -> list[str]:
    detail = _first_line(str(getattr(error, "orig", None) or error))
    if "sqlite" in type(getattr(error, "orig", None)).__module__:
        return [
            f"SQLite-databasen kan ikke åpnes eller skrives ({detail}).",
            "Sjekk at datamappen (--data-dir) finnes, er din og har ledig plass.",
        ]
    return [
        f"får ikke kontakt med databasen ({detail}).",
        "Sjekk at PostgreSQL kjører og tar imot tilkoblinger, og at DATABASE_URL har riktig vert, port, "
        "bruker, passord og database.",
    ]


# --- files ----------------------------------------------------------------------------------------------

_ERRNO_TEXT = {
    errno.ENOSPC: "disken er full",
    errno.EROFS: "filsystemet kan bare leses",
    errno.ENAMETOOLONG: "navnet er for langt",
    errno.ELOOP: "for mange symbolske lenker",
}


def file_lines(error: OSError) -> list[str]:
    name = error.filename if error.filename is not None else "filen"
    if isinstance(error, FileNotFoundError):
        return [f"{name} finnes ikke. Sjekk navnet og mappen."]
    if isinstance(error, IsADirectoryError):
        return [f"{name} er en mappe. Oppgi en fil."]
    if isinstance(error, NotADirectoryError):
        return [f"{name}: en del av stien er en fil, ikke en mappe."]
    if isinstance(error, FileExistsError):
        return [f"{name} finnes allerede som en fil. Oppgi en mappe, eller et navn som ikke er i bruk."]
    if isinstance(error, PermissionError):
        return [f"ingen tilgang til {name}. Sjekk eier og rettigheter (ls -l), eller kjør som riktig bruker."]
    text = _ERRNO_TEXT.get(error.errno or 0, error.strerror or str(error))
    return [f"{name}: {text}."]


# --- the log and the terminal ---------------------------------------------------------------------------


def write_log(error: BaseException, *, data_dir: Path | None) -> Path | None:
    """Append the traceback to the data dir's log (or the temporary folder's); the file, or None."""
    entry = f"--- {datetime.now(UTC).isoformat(timespec='seconds')} {' '.join(sys.argv)}\n" + "".join(
        traceback.format_exception(error)
    )
    candidates = []
    if data_dir is not None and data_dir.is_dir():
        candidates.append(data_dir / "logs" / LOG_NAME)
    candidates.append(Path(tempfile.gettempdir()) / f"innspill-{os.getuid()}-{LOG_NAME}")
    for path in candidates:
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            # The traceback may hold paths and values from the data: for this account only.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            with open(fd, "a", encoding="utf-8") as fh:
                fh.write(entry)
            return path
        except OSError:
            continue
    return None


def quiet_broken_pipe() -> None:
    """Whoever read the output has stopped (``| head``): write the rest nowhere, say nothing."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def usage_lines(error: Any) -> list[str]:
    """Click's message for bad arguments, in Norwegian, with where to read the help."""
    from typer._click.exceptions import BadParameter, MissingParameter, NoSuchOption

    message = error.format_message()
    if isinstance(error, NoSuchOption):
        text = f"ukjent valg {error.option_name}"
        if error.possibilities:
            text += f" (mente du {', '.join(sorted(error.possibilities))}?)"
    elif isinstance(error, MissingParameter):
        hint = _param_name(error)
        text = f"mangler {hint}" if hint else "mangler en verdi"
    elif isinstance(error, BadParameter):
        hint = _param_name(error)
        text = f"ugyldig verdi for {hint}: {_translate(error.message)}"
    else:
        text = _translate(message)
    command = error.ctx.command_path if error.ctx is not None else ""
    lines = [text]
    if command:
        lines.append(f"Se «{command} --help».")
    return lines


def _param_name(error: Any) -> str:
    if isinstance(error.param_hint, str):
        return error.param_hint
    param = error.param
    if param is None:
        return ""
    opts = [o for o in getattr(param, "opts", []) if o.startswith("--")]
    return opts[0] if opts and getattr(param, "param_type_name", "") == "option" else str(param.name).upper()


_CLICK_TEXT: tuple[tuple[str, Any], ...] = (
    (r"Input should be a valid integer.*", "må være et helt tall"),
    (r"Input should be a valid number.*", "må være et tall"),
    (r"Input should be a valid boolean.*", "må være true eller false"),
    (r"Input should be greater than or equal to (\S+)", r"må være minst \1"),
    (r"Input should be greater than (\S+)", r"må være større enn \1"),
    (r"Input should be less than or equal to (\S+)", r"kan være høyst \1"),
    (r"Input should be less than (\S+)", r"må være mindre enn \1"),
    (r"Input should be (.+)", lambda m: "må være " + m.group(1).replace(" or ", " eller ")),
    (r"Value (.+) is not a valid (.+)\.", r"\1 er ikke gyldig (\2)"),
    (r"No such command '(.+)'\.", r"ukjent kommando «\1»"),
    (r"Got unexpected extra arguments? \((.+)\)", r"uventet argument: \1"),
    (r"'(.+)' is not a valid integer(?: range)?\.", r"«\1» er ikke et helt tall"),
    (r"'(.+)' is not a valid float(?: range)?\.", r"«\1» er ikke et tall"),
    (r"(.+) is not in the range (.+)\.", r"\1 er utenfor det tillatte området (\2)"),
    (r"(.+) is not one of (.+)\.", r"\1 er ikke en av \2"),
    (r"'(.+)' is not one of (.+)\.", r"«\1» er ikke en av \2"),
    (r"(?:File|Directory|Path) '(.+)' does not exist\.", r"\1 finnes ikke"),
    (r"(?:File|Directory|Path) '(.+)' is a directory\.", r"\1 er en mappe"),
    (r"Option '(.+)' requires an argument\.", r"valget \1 trenger en verdi"),
    (r"Option '(.+)' requires (\d+) arguments\.", r"valget \1 trenger \2 verdier"),
    (r"Missing command\.", "mangler kommando"),
)


def _translate(message: str) -> str:
    message = message.removeprefix("Value error, ")
    for pattern, replacement in _CLICK_TEXT:
        translated, count = re.subn(pattern, replacement, message, count=1)
        if count:
            return translated
    return message


def _say(lines: Sequence[str], *, prefix: str = "Feil: ") -> None:
    for number, line in enumerate(lines):
        print(f"{prefix if number == 0 else ''}{line}", file=sys.stderr)


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")
