"""Browser tests: the app served by uvicorn on a free local port, driven in Debian's Chromium.

Playwright is given Debian's browser (``executable_path``); it never downloads one. Without
/usr/bin/chromium these tests are skipped, and the reason is printed.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI

CHROMIUM = Path("/usr/bin/chromium")
LOCAL = ("http://127.0.0.1:", "data:", "about:")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.path):
            item.add_marker(pytest.mark.browser)
            if not CHROMIUM.exists():
                item.add_marker(
                    pytest.mark.skip(reason=f"{CHROMIUM} is not installed (apt-get install chromium)")
                )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """The app served by uvicorn in a thread on a free local port, for as long as the block runs."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def live_server(app: FastAPI) -> Iterator[str]:
    with serving(app) as url:
        yield url


# A save on a busy CI machine can take longer than Playwright's 5 s default; waiting longer costs a passing
# test nothing, and a flaky red run costs a landing.
EXPECT_TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import expect

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    yield from _launch()


def _launch() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(locale="nb-NO")  # type: ignore[attr-defined]
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # The app makes no third-party request at all: every request the browser makes stays on 127.0.0.1.
    elsewhere: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(LOCAL) else elsewhere.append(r.url))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
    assert not elsewhere, f"requests that left the app: {elsewhere}"
