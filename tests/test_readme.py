"""The README's runnable examples work as written.

A code block preceded by the line ``<!-- runnable -->`` is run with bash (``set -euo pipefail``), each in a
fresh folder with its own data dir, the venv's bin first on PATH (so ``survey-app`` and ``python -m
analysis`` resolve as they do for a reader with the venv active) and ``questionnaires/`` beside it, as in a
checkout. A block fails the test when any line exits non-zero or prints a traceback. ``make`` targets and
commands that start a server are never marked: they would not end.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
README = REPO_ROOT / "README.md"
MARKER = "<!-- runnable -->"
_BLOCK = re.compile(r"^" + re.escape(MARKER) + r"\n```(?:sh|bash)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def runnable_blocks() -> list[tuple[int, str]]:
    """(line number, code) of each marked block, in README order."""
    text = README.read_text(encoding="utf-8")
    return [(text[: m.start()].count("\n") + 1, m.group(1)) for m in _BLOCK.finditer(text)]


BLOCKS = runnable_blocks()


def test_every_marker_is_before_a_shell_block() -> None:
    markers = README.read_text(encoding="utf-8").count(MARKER) - 1  # one mention in the prose
    assert len(BLOCKS) == markers >= 4, f"{markers} markers, {len(BLOCKS)} blocks found"
    for line, code in BLOCKS:
        assert not re.search(r"^\s*(make|survey-app (serve|demo))\b", code, re.MULTILINE), (
            f"README.md:{line}: a block that serves or runs make is not runnable"
        )


@pytest.mark.parametrize(("line", "code"), BLOCKS, ids=[f"README.md:{line}" for line, _ in BLOCKS])
def test_the_readme_block_runs(line: int, code: str, tmp_path: Path) -> None:
    (tmp_path / "questionnaires").symlink_to(REPO_ROOT / "questionnaires")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SURVEY_APP_") and k not in ("DATABASE_URL", "PYTHONPATH", "VIRTUAL_ENV")
    }
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["SURVEY_APP_DATA_DIR"] = str(tmp_path / "data")
    done = subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=600,  # a guard against a block that would serve, not a measurement
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"README.md:{line}: exit {done.returncode}\n{code}\n---\n{output}"
    assert "Traceback" not in output, f"README.md:{line}\n{output}"
