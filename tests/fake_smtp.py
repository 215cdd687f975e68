"""A real SMTP server on a free local port (aiosmtpd, in its own thread) that keeps what it is sent, can be
made slow or made to refuse; and the app's mail sender for tests that mail."""

from __future__ import annotations

import asyncio
import email
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from email.policy import default as default_policy

from aiosmtpd.controller import Controller
from fastapi import FastAPI

from survey_app.config import Settings
from survey_app.services import outbox

SENDER = "integrering@fylke.test"


class Inbox:
    """What the server was sent. ``delay`` seconds pass before it answers a message's data; ``refuse``
    (an SMTP reply such as ``"451 4.3.0 Prøv igjen senere"``) is given instead of accepting it."""

    def __init__(self, *, delay: float = 0.0, refuse: str | None = None) -> None:
        self.messages: list[EmailMessage] = []
        self.delay = delay
        self.refuse = refuse
        self.receiving = threading.Event()  # set when the data of a message has arrived

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.receiving.set()
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.refuse:
            return self.refuse
        raw = envelope.content  # type: ignore[attr-defined]
        message = email.message_from_bytes(raw, policy=default_policy)
        assert isinstance(message, EmailMessage)  # what the default policy makes
        self.messages.append(message)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@contextmanager
def smtp_server(inbox: Inbox) -> Iterator[int]:
    """Serve ``inbox`` on a free local port, yielding the port."""
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def mail_settings(settings: Settings, port: int) -> Settings:
    return settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_security": "none", "smtp_sender": SENDER}
    )


@contextmanager
def app_sender(app: FastAPI) -> Iterator[outbox.Sender]:
    """The mail sender of a started app (inside ``with TestClient(app)``): its lifespan starts one."""
    sender: outbox.Sender = app.state.mail_sender
    yield sender


def wait_until(condition: Callable[[], object], *, timeout: float = 15.0, what: str = "") -> None:
    """Wait for something the mail sender does after the response; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s in vain{': ' + what if what else ''}")
        time.sleep(0.02)
