"""A slow mail server holds up no request: mail goes out from the outbox (tests/test_outbox.py), after
the response, and nothing waits for a lock on the event loop.

Through HTTP on the real app. TestClient runs the app on one event loop (in its portal thread) and serves
requests from several threads at once on it, so a route that blocks that loop holds up the others, as it
would under uvicorn: with the reminders sent from the route, /healthz took 3 s here.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session

from survey_app.config import Settings
from survey_app.db import begin_write, serving_here
from survey_app.main import create_app
from survey_app.models import MailStatus, Role
from survey_app.services import outbox
from tests.factories import make_staff, make_world
from tests.fake_smtp import Inbox, app_sender, mail_settings, smtp_server, wait_until
from tests.test_outbox import drammen, outbox_rows, remind
from tests.test_rounds import add_contacts
from tests.test_staff import login, table_rows


def test_a_slow_mail_server_does_not_hold_up_other_requests(
    settings: Settings, engine: sa.Engine, session: Session
) -> None:
    world = make_world(session, settings)
    add_contacts(session)
    make_staff(session, Role.radgiver)
    slow = Inbox(delay=3.0)
    with smtp_server(slow) as port:
        app = create_app(mail_settings(settings, port), engine=engine)
        with TestClient(app, follow_redirects=False) as client, app_sender(app):
            login(client, "radgiver@fylke.test")
            assert client.get("/healthz").status_code == 200  # the first request of an app does more
            with ThreadPoolExecutor(1) as pool:
                reminding = pool.submit(remind, client, world, drammen(session))
                assert slow.receiving.wait(10), "the reminder never reached the mail server"
                # The mail server is now taking its 3 s to answer.
                started = time.perf_counter()
                health = client.get("/healthz")
                took = time.perf_counter() - started
                assert reminding.result().status_code == 303
            assert health.status_code == 200, health.text
            assert took < 0.1, f"/healthz took {took:.2f} s while the mail server was answering"

            wait_until(lambda: [m.status for m in outbox_rows(session)] == [MailStatus.sent], what="sent")
            assert "Vi har ennå ikke fått svaret fra Drammen" in slow.messages[0].get_content()
            rows = table_rows(client.get(f"/ansatt/runder/{world.round.id}").text, "#oppfolging table")
            assert rows["Drammen"]["E-post"].startswith("Påminnelse sendt")
            assert rows["Drammen"]["Påminnet"] != "–" and rows["Lier"]["E-post"] == "–"


def test_the_app_runs_its_mail_sender_for_its_lifetime(settings: Settings, engine: sa.Engine) -> None:
    """create_app's lifespan starts the sender (app.state.mail_sender) and stops it."""
    app = create_app(mail_settings(settings, 1), engine=engine)
    with TestClient(app):
        sender = getattr(app.state, "mail_sender", None)
        assert isinstance(sender, outbox.Sender) and sender.running
    assert not sender.running


@pytest.mark.parametrize("where", ["event loop", "worker thread"])
def test_begin_write_warns_on_the_event_loop_and_not_in_a_thread(engine: sa.Engine, where: str) -> None:
    """begin_write() waits for the write lock with a blocking sleep: only ever in a worker thread."""

    def write() -> None:
        with Session(engine) as session:
            begin_write(session)
            session.rollback()

    async def on_the_loop() -> None:
        serving_here()  # as the app's lifespan does
        if where == "event loop":
            write()
        else:
            await asyncio.to_thread(write)

    def run() -> None:
        # In a thread of its own: a browser test earlier in the session may have a loop running in this one.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, on_the_loop()).result()

    if where == "event loop":
        with pytest.warns(RuntimeWarning, match="event loop"):
            run()
    else:
        run()
