"""Start the test identity provider (``provider.mjs``) and serve the app on the port its client names.

The provider registers one client whose redirect URI is fixed when it starts, so the app's port is chosen
first and the app is served on exactly that port (``serve_on``), test after test.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2 as httpx  # the maintained fork starlette 1.x tests with (pyproject: httpx2)
import uvicorn
from fastapi import FastAPI

from survey_app.config import Settings

HERE = Path(__file__).resolve().parent
CLIENT_ID = "innspill"
CLIENT_SECRET = "test-hemmelighet-for-innspill-0123456789"
CALLBACK_PATH = "/ansatt/logg-inn/fylket/tilbake"
LOGIN_PATH = "/ansatt/logg-inn"
ROLE_MAP = {"innspill-admin": "admin", "innspill-radgiver": "radgiver", "innspill-leser": "leser"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Provider:
    """A running provider and the address the app must be served at for its client."""

    issuer: str
    app_port: int
    log: Path

    @property
    def app_url(self) -> str:
        return f"http://127.0.0.1:{self.app_port}"

    def settings(self, base: Settings, **changes: Any) -> Settings:
        """``base`` (the suite's test settings) signing in through this provider, with ``changes``."""
        values = base.model_dump() | {
            "base_url": self.app_url,
            "oidc_issuer": self.issuer,
            "oidc_client_id": CLIENT_ID,
            "oidc_client_secret": CLIENT_SECRET,
            "oidc_scopes": "openid email profile groups",
        }
        return Settings(**(values | changes))


def _installed() -> None:
    if (HERE / "node_modules" / "oidc-provider").is_dir():
        return
    # `make test` installs it (npm ci); a bare pytest run does it once here.
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("the OIDC tests need Node.js and npm (apt-get install nodejs npm)")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=HERE, check=True)


@contextmanager
def running_provider(log_dir: Path) -> Iterator[Provider]:
    """``node provider.mjs`` on a free port, its client pointing at a free port for the app."""
    _installed()
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("the OIDC tests need Node.js (apt-get install nodejs)")
    port, app_port = free_port(), free_port()
    app_url = f"http://127.0.0.1:{app_port}"
    env = {
        "PATH": "/usr/bin:/bin",
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_REDIRECT_URI": app_url + CALLBACK_PATH,
        "OIDC_POST_LOGOUT_REDIRECT_URI": app_url + LOGIN_PATH,
    }
    log = log_dir / "oidc-provider.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [node, "provider.mjs", str(port)], cwd=HERE, env=env, stdout=out, stderr=out
        )
    issuer = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(issuer + "/.well-known/openid-configuration", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the test identity provider did not start:\n{log.read_text()}")
            time.sleep(0.1)
        yield Provider(issuer=issuer, app_port=app_port, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def serve_on(app: FastAPI, port: int) -> Iterator[str]:
    """The app served by uvicorn in a thread on ``port`` (the one the provider's client names)."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"the test server did not start on port {port}")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
