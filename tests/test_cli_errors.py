"""No command shows a traceback: every ``survey-app`` and ``python -m analysis`` command with bad input.

Each case runs the real entry point in a subprocess, as a county's IT person would: ``python -m
survey_app.cli`` (the console script's ``survey_app.cli:main``) and ``python -m analysis``, from a fresh
working folder with the venv's bin first on PATH. A case fails on «Traceback» anywhere in the output, on
a wrong exit code (docs/cli.md: 0 ok, 1 bad input or failure, 2 bad arguments, 3 the rules cannot hold,
130 interrupted) or on a message that does not say what it should.

The database is SQLite in a temporary data dir also when the suite runs on PostgreSQL: these are the
paths that fail before or outside the database (one case points at a PostgreSQL that is not there).
"""

from __future__ import annotations

import os
import platform
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from survey_app.cli import errors

REPO_ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
CLI = [sys.executable, "-m", "survey_app.cli"]
ANALYSIS = [sys.executable, "-m", "analysis"]
FIGURES = (
    "kommunenummer;kommune;region;forrige_anmodning;vedtak\n"
    "3001;Halden;Søndre Viken;20;25\n"
    "3002;Moss;Mosseregionen;15;\n"
)
# Saved by a Windows editor: «Ø» and «å» are the single bytes 0xd8 and 0xe5.
RULES_CP1252 = "# Regler for Østfold og Ålesund\nminstetall: 0\nfjoraret_er_gulv: false\n".encode("cp1252")
REGISTER_CP1252 = "kommunenummer;name;region\n3043;Ål;Hallingdal\n3020;Nordre Follo;Follo\n".encode("cp1252")


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a fresh shell: no settings of the developer's, the venv's bin first."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SURVEY_APP_") and k not in ("DATABASE_URL", "PYTHONPATH")
    }
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(REPO_ROOT)
    env.update(extra)
    return env


@dataclass
class Case:
    args: list[str]
    code: int
    says: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    stdin: bytes = b""
    program: list[str] = field(default_factory=lambda: CLI)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working folder with an initialised data dir and the files the cases read."""
    root = tmp_path_factory.mktemp("cli-errors")
    (root / "tall.csv").write_text(FIGURES, encoding="utf-8")
    (root / "regler-cp1252.yaml").write_bytes(RULES_CP1252)
    # 0x81 is undefined in Windows-1252 and impossible in UTF-8: not a text file we can read right.
    (root / "regler-ukjent.yaml").write_bytes(b"minstetall: 0\n# \x81\x8d\n")
    (root / "kommuner-cp1252.csv").write_bytes(REGISTER_CP1252)
    (root / "en-fil").write_text("ikke en mappe\n", encoding="utf-8")
    (root / "en-mappe").mkdir()
    big = "".join(f'{{"id": {i}, "text": "Vi mangler boliger."}}\n' for i in range(3000))
    (root / "svar.jsonl").write_text(big, encoding="utf-8")
    for setup in (["init"], ["register", "load", "kommuner-cp1252.csv"]):
        done = run(Case(["--data-dir", "data", *setup], 0), root)
        assert done.returncode == 0, done.stderr
    return root


def run(case: Case, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*case.program, *case.args],
        input=case.stdin.decode("utf-8"),
        capture_output=True,
        text=True,
        cwd=cwd,
        env=clean_env(**case.env),
        timeout=300,  # a guard against a command that starts serving, not a measurement
        check=False,
    )


PRODUCTION = {"SURVEY_APP_ENVIRONMENT": "production"}
NO_POSTGRES = {"DATABASE_URL": "postgresql://innspill@127.0.0.1:1/innspill"}
RECOMMEND = ["--data-dir", "data", "recommend", "--input", "tall.csv", "--total", "35", "--output", "ut.csv"]

CASES = {
    # Settings a production server refuses, and databases that cannot be used.
    "init-production-without-key": Case(["init"], 1, ["SURVEY_APP_SECRET_KEY", "32 tegn"], PRODUCTION),
    "rounds-list-production-without-key": Case(["rounds", "list"], 1, ["SURVEY_APP_SECRET_KEY"], PRODUCTION),
    "production-without-database-url": Case(
        ["init"], 1, ["DATABASE_URL", "PostgreSQL"], {**PRODUCTION, "SURVEY_APP_SECRET_KEY": "k" * 40}
    ),
    "bad-setting-value": Case(["init"], 1, ["SURVEY_APP_ENVIRONMENT"], {"SURVEY_APP_ENVIRONMENT": "prod"}),
    "init-postgres-unreachable": Case(
        ["init"], 1, ["får ikke kontakt med databasen", "PostgreSQL kjører"], NO_POSTGRES
    ),
    "rounds-list-postgres-unreachable": Case(["rounds", "list"], 1, ["får ikke kontakt"], NO_POSTGRES),
    "register-load-postgres-unreachable": Case(
        ["register", "load", "kommuner-cp1252.csv"], 1, ["får ikke kontakt"], NO_POSTGRES
    ),
    "init-mysql": Case(
        ["init"], 1, ["«mysql://…» støttes ikke"], {"DATABASE_URL": "mysql://x:y@localhost/x"}
    ),
    "backup-unknown-scheme": Case(["backup", "b.tar"], 1, ["støttes ikke"], {"DATABASE_URL": "foo://x"}),
    "init-data-dir-is-a-file": Case(
        ["--data-dir", "en-fil", "init"], 1, ["en-fil finnes allerede som en fil"]
    ),
    "init-data-dir-below-a-file": Case(["--data-dir", "en-fil/data", "init"], 1, ["en-fil"]),
    # Files as Excel and Windows editors save them, and files that are not there or not files.
    "recommend-rules-windows-1252": Case(
        [*RECOMMEND, "--rules", "regler-cp1252.yaml"], 0, ["Skrev anbefalingen"]
    ),
    "recommend-rules-neither-encoding": Case(
        [*RECOMMEND, "--rules", "regler-ukjent.yaml"], 1, ["regler-ukjent.yaml er verken UTF-8"]
    ),
    "recommend-rules-missing": Case(
        [*RECOMMEND, "--rules", "finnes-ikke.yaml"], 1, ["finnes-ikke.yaml finnes ikke"]
    ),
    "recommend-input-is-a-directory": Case(
        ["recommend", "--input", "en-mappe", "--total", "5", "--output", "ut.csv"],
        1,
        ["en-mappe er en mappe"],
    ),
    "recommend-output-in-missing-folder": Case(
        ["recommend", "--input", "tall.csv", "--total", "35", "--output", "nei/ut.csv"], 1, ["finnes ikke"]
    ),
    "recommend-rules-cannot-hold": Case(
        ["recommend", "--input", "tall.csv", "--total", "10", "--output", "ut.csv"],
        3,
        ["Reglene kan ikke oppfylles"],
    ),
    "register-load-windows-1252": Case(
        ["--data-dir", "data", "register", "load", "kommuner-cp1252.csv"], 0, ["Lastet 2 kommuner."]
    ),
    "register-load-missing-file": Case(
        ["--data-dir", "data", "register", "load", "nei.csv"], 1, ["nei.csv finnes ikke"]
    ),
    "register-load-a-directory": Case(
        ["--data-dir", "data", "register", "load", "en-mappe"], 1, ["en mappe"]
    ),
    "register-load-second-county": Case(
        ["--data-dir", "data", "register", "load", "kommuner-cp1252.csv", "--county", "Et annet fylke"],
        1,
        ["--ny-fylkeskommune"],
    ),
    "backup-onto-a-directory": Case(
        ["--data-dir", "data", "backup", "en-mappe", "--ja"], 1, ["en-mappe er en mappe"]
    ),
    "restore-missing-file": Case(["--data-dir", "data", "restore", "nei.tar", "--ja"], 1, ["nei.tar"]),
    "questionnaires-check-missing": Case(
        ["questionnaires", "check", "nei.yaml"], 1, ["nei.yaml:1: kan ikke lese"]
    ),
    "historikk-a-directory": Case(
        ["--data-dir", "data", "historikk", "importer", "en-mappe"], 1, ["en-mappe"]
    ),
    "registertall-missing": Case(
        ["--data-dir", "data", "registertall", "importer", "nei.csv"], 1, ["nei.csv"]
    ),
    "invitations-export-unknown-round": Case(
        ["invitations", "export", "--round", "999", "--data-dir", "data"], 1, ["runde 999 finnes ikke"]
    ),
    "analyze-unknown-round": Case(
        ["analyze", "--round", "999", "--data-dir", "data"], 1, ["runde 999 finnes ikke"]
    ),
    # --data-dir after the command.
    "data-dir-after-the-command": Case(["rounds", "list", "--data-dir", "data"], 0, ["Ingen runder"]),
    "data-dir-after-the-command-with-equals": Case(
        ["rounds", "list", "--data-dir=data"], 0, ["Ingen runder"]
    ),
    # Bad arguments: 2, with the help to read.
    "unknown-command": Case(["finnes-ikke"], 2, ["ukjent kommando «finnes-ikke»", "survey-app --help"]),
    "unknown-option": Case(["init", "--hurtig"], 2, ["ukjent valg --hurtig"]),
    "missing-option": Case(["invitations", "export"], 2, ["mangler --round"]),
    "not-a-number": Case(["invitations", "export", "--round", "to"], 2, ["--round: må være et helt tall"]),
    "negative-total": Case(
        ["recommend", "--input", "tall.csv", "--total", "-1", "--output", "ut.csv"],
        2,
        ["--total: må være minst 0"],
    ),
    "unknown-role": Case(
        ["users", "create", "--email", "a@b.no", "--role", "sjef", "--password-stdin"], 2, ["--role"]
    ),
    "purge-not-a-date": Case(["--data-dir", "data", "purge", "--before", "i fjor"], 2, ["ikke en dato"]),
    "serve-port-out-of-range": Case(["--data-dir", "data", "serve", "--port", "99999"], 2, ["--port"]),
    # python -m analysis
    "analysis-evaluate-missing-answers": Case(
        ["evaluate", "--answers", "nei.jsonl", "--output", "-"],
        1,
        ["nei.jsonl finnes ikke"],
        program=ANALYSIS,
    ),
    "analysis-evaluate-missing-codebook": Case(
        ["evaluate", "--codebook", "nei.yaml", "--output", "-"], 1, ["nei.yaml"], program=ANALYSIS
    ),
    "analysis-unknown-task": Case(["finnes-ikke"], 2, ["finnes-ikke"], program=ANALYSIS),
    "analysis-themes-data-dir-before": Case(
        ["--data-dir", "data", "themes"],
        0,
        stdin=b'{"id": 1, "text": "Vi mangler boliger."}\n',
        program=ANALYSIS,
    ),
    "analysis-themes-data-dir-after": Case(
        ["themes", "--data-dir", "data"],
        0,
        stdin=b'{"id": 1, "text": "Vi mangler boliger."}\n',
        program=ANALYSIS,
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_no_traceback_and_the_documented_exit_code(name: str, workdir: Path) -> None:
    case = CASES[name]
    done = run(case, workdir)
    output = done.stdout + done.stderr
    assert "Traceback" not in output, output
    assert done.returncode == case.code, f"exit {done.returncode}, expected {case.code}\n{output}"
    for words in case.says:
        assert words in output, f"expected «{words}» in:\n{output}"
    if case.code:
        lines = [line for line in output.splitlines() if line.strip()]
        assert 1 <= len(lines) <= 6, f"a few lines that say what to do, not {len(lines)}:\n{output}"


def test_themes_piped_into_head_ends_quietly(workdir: Path) -> None:
    # 3000 answers: more output than a pipe holds, so the writer meets the closed pipe.
    done = subprocess.run(
        'python -m analysis themes < svar.jsonl | head -1; echo "python-exit=${PIPESTATUS[0]}" >&2',
        shell=True,
        executable="/bin/bash",
        capture_output=True,
        text=True,
        cwd=workdir,
        env=clean_env(),
        timeout=300,
        check=False,
    )
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr
    assert done.stdout.startswith('{"id": 0, "themes": ['), done.stdout[:200]
    assert len(done.stdout.splitlines()) == 1
    assert done.stderr.strip() == "python-exit=1", done.stderr


def test_an_unexpected_error_is_a_short_message_and_a_log_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        raise RuntimeError("noe gikk galt")
    except RuntimeError as error:
        code = errors.handle(error, data_dir=tmp_path)
    err = capsys.readouterr().err
    assert code == errors.FAILURE
    log = tmp_path / "logs" / errors.LOG_NAME
    assert err.splitlines()[0] == "Uventet feil: RuntimeError: noe gikk galt"
    assert f"Hele feilmeldingen er skrevet til {log}." in err and "--debug" in err
    assert "Traceback" not in err
    written = log.read_text(encoding="utf-8")
    assert "Traceback" in written and "RuntimeError: noe gikk galt" in written
    assert log.stat().st_mode & 0o077 == 0, "the log may hold data: for this account only"

    try:
        raise RuntimeError("igjen")
    except RuntimeError as error:
        errors.handle(error, data_dir=tmp_path, debug=True)
    assert "Traceback" in capsys.readouterr().err, "--debug shows it"


def test_an_interruption_is_130_and_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert errors.handle(KeyboardInterrupt()) == errors.INTERRUPTED
    assert capsys.readouterr().err == "Avbrutt.\n"


def test_data_dir_moves_before_the_command_wherever_it_stands() -> None:
    from survey_app.cli import hoist_global_options

    assert hoist_global_options(["demo", "--no-serve", "--data-dir", "D"]) == [
        "--data-dir",
        "D",
        "demo",
        "--no-serve",
    ]
    assert hoist_global_options(["register", "load", "--data-dir=D", "f.csv", "--debug"]) == [
        "--data-dir=D",
        "--debug",
        "register",
        "load",
        "f.csv",
    ]
    assert hoist_global_options(["check", "--", "--data-dir"]) == ["check", "--", "--data-dir"]


def test_the_exit_codes_are_documented() -> None:
    cli_doc = (REPO_ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    for code in (errors.OK, errors.FAILURE, errors.USAGE, errors.INFEASIBLE, errors.INTERRUPTED):
        assert f"| {code} |" in cli_doc, f"exit code {code} is not in docs/cli.md's table"
        assert f"`{code}`" in readme, f"exit code {code} is not in README"


def test_a_file_in_neither_encoding_names_the_file() -> None:
    from survey_app import textfiles

    assert textfiles.decode("Ål;Hallingdal".encode("cp1252"), source="k.csv") == "Ål;Hallingdal"
    assert textfiles.decode("\ufeffÅl".encode(), source="k.csv") == "Ål"
    assert textfiles.decode("Ål".encode("utf-16"), source="k.csv") == "Ål"
    with pytest.raises(textfiles.TextFileError) as refused:
        textfiles.decode(b"\x81", source="k.csv")
    assert refused.value.problems[0].startswith("k.csv er verken UTF-8- eller Windows-1252-tekst")


# The read(2) system call's number, to see when a process waits for its standard input.
READ_SYSCALL = {"x86_64": "0", "aarch64": "63"}.get(platform.machine())


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def wait_until_reading_stdin(process: subprocess.Popen[str]) -> None:
    """Block until ``process`` waits in read(0, …): Ctrl-C then reaches a running command, not start-up."""
    syscall = Path(f"/proc/{process.pid}/syscall")
    while process.poll() is None:
        fields = syscall.read_text().split()
        if fields[:2] == [READ_SYSCALL, "0x0"]:
            return
        time.sleep(0.05)
    raise AssertionError(f"ended before it read its input: {process.communicate()}")


@pytest.mark.skipif(READ_SYSCALL is None or not Path("/proc/self/syscall").exists(), reason="Linux only")
@pytest.mark.parametrize(
    "command",
    [
        [
            *CLI,
            "--data-dir",
            "data",
            "users",
            "create",
            "--email",
            "a@b.no",
            "--role",
            "leser",
            "--password-stdin",
        ],
        [*ANALYSIS, "themes"],
    ],
    ids=["survey-app users create", "python -m analysis themes"],
)
def test_ctrl_c_is_130_and_one_line(command: list[str], workdir: Path) -> None:
    process = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=workdir,
        env=clean_env(),
        # As a terminal's foreground command: a shell that starts a job in the background (CI's, say) sets
        # SIGINT to «ignore», which children inherit, and Python then never turns Ctrl-C into
        # KeyboardInterrupt.
        preexec_fn=_default_sigint,
    )
    try:
        wait_until_reading_stdin(process)
        process.send_signal(signal.SIGINT)
        # Standard input stays open until the command has ended: closing it (as communicate() does at once)
        # would race the signal, and on a busy machine the command would read the end of its input first.
        process.wait(timeout=120)
        assert process.stdout is not None and process.stderr is not None
        out, err = process.stdout.read(), process.stderr.read()
    finally:
        process.kill()
        process.wait(timeout=60)
        for stream in (process.stdin, process.stdout, process.stderr):
            if stream is not None:
                stream.close()
    assert "Traceback" not in out + err, err
    assert process.returncode == errors.INTERRUPTED, (process.returncode, err)
    assert err.strip().splitlines()[-1] == "Avbrutt.", err
