"""Innspill installed as a county's server gets it: from a wheel, with no checkout beside it.

The wheel is built from this checkout (``pip wheel``, as ``pip install innspill`` would build it from a source
distribution) and installed into a folder of its own. From a folder that is not the checkout, the installed
package sets up a database with the shipped questionnaires, serves the login page with its styles, and
renders a page template — so the templates, questionnaires, static files and migrations are all inside it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.test_durability import free_port

ROOT = Path(__file__).resolve().parents[1]
STARTUP_SECONDS = 90
# The installed package's command, run by the test venv's Python (whose packages it depends on).
COMMAND = (sys.executable, "-c", "from survey_app.cli import app; app()")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # Build isolation takes setuptools from the package index, as any county's pip would.
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        cwd=out,
    )
    (found,) = out.glob("innspill-*.whl")
    return found


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel installed into a folder of its own (its dependencies are the test venv's)."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    return target


def run_installed(site: Path, cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *args],
        cwd=cwd,
        env=_env(site, **env),
        capture_output=True,
        text=True,
        timeout=300,
    )


def _env(site: Path, **extra: str) -> dict[str, str]:
    # The installed folder comes before the test venv's editable install of this checkout.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SURVEY_APP_", "DATABASE_URL"))}
    return {**env, "PYTHONPATH": str(site), "SURVEY_APP_ENVIRONMENT": "development", **extra}


def test_the_wheel_carries_templates_questionnaires_static_files_and_migrations(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    for shipped in (
        "survey_app/_shipped/templates/base.html",
        "survey_app/_shipped/templates/documents/print.css",
        "survey_app/_shipped/questionnaires/kommuneundersokelse-sivilsamfunn.yaml",
        "survey_app/_shipped/questionnaires/konsultasjon-samarbeid.yaml",
        "survey_app/_shipped/questionnaires/codebook.yaml",
        "survey_app/static/app.css",
        "survey_app/migrations/env.py",
        "survey_app/data/viken_2020_2023.csv",
        "survey_app/services/archive/schema/no.ks.fiks.arkiv.v1.arkivering.arkivmelding.opprett.xsd",
    ):
        assert shipped in names, shipped
    assert sum(name.startswith("survey_app/migrations/versions/") for name in names) >= 10
    assert not [name for name in names if name.startswith(("tests/", "templates/", "questionnaires/"))]


def test_the_installed_package_sets_up_and_serves_without_a_checkout(installed: Path, tmp_path: Path) -> None:
    where = subprocess.run(
        [sys.executable, "-c", "import survey_app; print(survey_app.__file__)"],
        cwd=tmp_path,
        env=_env(installed),
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.startswith(str(installed)), where.stdout  # not this checkout

    data = tmp_path / "data"
    setup = run_installed(installed, tmp_path, "--data-dir", str(data), "init")
    assert setup.returncode == 0, setup.stderr
    assert "2 skjemaer importert" in setup.stdout, setup.stdout

    port = free_port()
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [*COMMAND, "--data-dir", str(data), "serve", "--port", str(port)],
            cwd=tmp_path,
            env=_env(installed, SURVEY_APP_BASE_URL=f"http://127.0.0.1:{port}"),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        with _until_up(server, port, log) as client:
            login = client.get("/ansatt/logg-inn")
            assert login.status_code == 200, login.text[:500]
            assert "Logg inn" in login.text
            assert client.get("/static/app.css").status_code == 200
            privacy = client.get("/personvern")
            assert privacy.status_code == 200 and "<html" in privacy.text
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=30)
    assert "Traceback" not in log.read_text(errors="replace")


@contextlib.contextmanager
def _until_up(server: subprocess.Popen[bytes], port: int, log: Path) -> Iterator[httpx.Client]:
    deadline = time.monotonic() + STARTUP_SECONDS
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        while time.monotonic() < deadline:
            assert server.poll() is None, log.read_text(errors="replace")[-3000:]
            with contextlib.suppress(httpx.TransportError):
                if client.get("/healthz").status_code == 200:
                    yield client
                    return
            time.sleep(0.2)
    raise AssertionError(f"the installed server did not start:\n{log.read_text(errors='replace')[-3000:]}")
