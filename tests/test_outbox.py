"""The mail outbox over HTTP on the real app: queued with the request, sent by the app's sender thread, retried
with backoff when the mail server fails, never sent twice, and shown per municipality on the follow-up page."""

from __future__ import annotations

from datetime import timedelta

import httpx2 as httpx
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from survey_app.config import Settings
from survey_app.db import begin_write
from survey_app.main import create_app
from survey_app.models import MailKind, MailOutbox, MailStatus, Municipality, Role, utcnow
from survey_app.services import outbox
from tests.conftest import csrf_of, fresh
from tests.factories import World, make_staff, make_world
from tests.fake_smtp import Inbox, app_sender, free_port, mail_settings, smtp_server, wait_until
from tests.test_rounds import add_contacts
from tests.test_staff import login, table_rows


def outbox_rows(session: Session) -> list[MailOutbox]:
    fresh(session)
    return list(session.exec(select(MailOutbox).order_by(col(MailOutbox.id))))


def drammen(session: Session) -> Municipality:
    return session.exec(select(Municipality).where(Municipality.kommunenummer == "3005")).one()


def remind(client: TestClient, world: World, municipality: Municipality) -> httpx.Response:
    token = csrf_of(client, "/ansatt")
    return client.post(
        f"/ansatt/runder/{world.round.id}/paminnelser",
        data={"csrf_token": token, "municipality": str(municipality.id)},
    )


def test_a_failing_mail_server_leaves_the_message_failed_with_a_retry(
    settings: Settings, engine: sa.Engine, session: Session
) -> None:
    world = make_world(session, settings)
    add_contacts(session)
    make_staff(session, Role.radgiver)
    inbox = Inbox(refuse="451 4.3.0 Midlertidig feil, prov igjen")
    with smtp_server(inbox) as port:
        app = create_app(mail_settings(settings, port), engine=engine)
        with TestClient(app, follow_redirects=False) as client, app_sender(app) as sender:
            login(client, "radgiver@fylke.test")
            assert remind(client, world, drammen(session)).status_code == 303
            wait_until(lambda: [m.status for m in outbox_rows(session)] == [MailStatus.failed], what="failed")
            [failed] = outbox_rows(session)
            assert failed.attempts == 1 and failed.next_attempt_at is not None
            assert failed.next_attempt_at > utcnow() + timedelta(seconds=30)  # backs off, does not hammer
            assert "451" in failed.last_error and not inbox.messages
            page = client.get(f"/ansatt/runder/{world.round.id}")
            rows = table_rows(page.text, "#oppfolging table")
            assert rows["Drammen"]["E-post"].startswith("Påminnelse ikke sendt E-postserveren svarte 451")
            assert "Prøver igjen" in rows["Drammen"]["E-post"]
            assert "1 ble ikke sendt" in page.text
            assert world.response(session, "3005").last_reminded_at is None  # not reminded yet

            # The server recovers; when the retry falls due (brought forward here), the reminder goes out.
            inbox.refuse = None
            begin_write(session)
            failed.next_attempt_at = utcnow()
            session.add(failed)
            session.commit()
            sender.wake()
            wait_until(lambda: [m.status for m in outbox_rows(session)] == [MailStatus.sent], what="retried")
            assert outbox_rows(session)[0].attempts == 2 and len(inbox.messages) == 1
            assert world.response(session, "3005").last_reminded_at is not None


def test_after_the_last_attempt_the_outbox_gives_up_and_says_so(
    settings: Settings, engine: sa.Engine, session: Session
) -> None:
    world = make_world(session, settings)
    add_contacts(session)
    make_staff(session, Role.radgiver)
    inbox = Inbox(refuse="550 5.1.1 Ukjent mottaker")
    with smtp_server(inbox) as port:
        app = create_app(mail_settings(settings, port), engine=engine)
        with TestClient(app, follow_redirects=False) as client, app_sender(app) as sender:
            login(client, "radgiver@fylke.test")
            remind(client, world, drammen(session))
            wait_until(lambda: [m.status for m in outbox_rows(session)] == [MailStatus.failed], what="failed")
            [row] = outbox_rows(session)
            begin_write(session)
            row.attempts, row.next_attempt_at = outbox.MAX_ATTEMPTS - 1, utcnow()  # the last one is due
            session.add(row)
            session.commit()
            sender.wake()
            wait_until(lambda: outbox_rows(session)[0].attempts == outbox.MAX_ATTEMPTS, what="last attempt")
            wait_until(lambda: outbox_rows(session)[0].status == MailStatus.failed, what="recorded")
            assert outbox_rows(session)[0].next_attempt_at is None
            rows = table_rows(client.get(f"/ansatt/runder/{world.round.id}").text, "#oppfolging table")
            assert rows["Drammen"]["E-post"] == (
                "Påminnelse ikke sendt E-postserveren svarte 550: 5.1.1 Ukjent mottaker "
                f"Ga opp etter {outbox.MAX_ATTEMPTS} forsøk; send på nytt."
            )

            # Given up, it is no longer on its way: a new click queues a new reminder.
            inbox.refuse = None
            remind(client, world, drammen(session))
            wait_until(lambda: len(inbox.messages) == 1, what="the new reminder sent")


def test_retries_back_off_from_a_minute_to_an_hour() -> None:
    minutes = [outbox.retry_delay(n) // timedelta(minutes=1) for n in range(1, outbox.MAX_ATTEMPTS + 1)]
    assert minutes == [1, 2, 4, 8, 16, 32, 60, 60]


def test_a_refused_connection_is_failed_with_a_norwegian_reason(
    settings: Settings, engine: sa.Engine, session: Session
) -> None:
    world = make_world(session, settings)
    add_contacts(session)
    make_staff(session, Role.radgiver)
    app = create_app(mail_settings(settings, free_port()), engine=engine)  # nothing listens there
    with TestClient(app, follow_redirects=False) as client, app_sender(app):
        login(client, "radgiver@fylke.test")
        assert remind(client, world, drammen(session)).status_code == 303
        wait_until(lambda: [m.status for m in outbox_rows(session)] == [MailStatus.failed], what="failed")
        [failed] = outbox_rows(session)
        assert failed.last_error == "Fikk ikke kontakt med e-postserveren: tilkoblingen ble avvist."
        assert failed.next_attempt_at is not None


def test_two_senders_never_send_one_message_twice(
    settings: Settings, engine: sa.Engine, session: Session
) -> None:
    """Each worker process runs a sender; a claimed message belongs to one of them (SKIP LOCKED on
    PostgreSQL, the single writer on SQLite)."""
    world = make_world(session, settings)
    add_contacts(session)
    make_staff(session, Role.admin)
    inbox = Inbox(delay=0.05)
    with smtp_server(inbox) as port:
        with_mail = mail_settings(settings, port)
        app = create_app(with_mail, engine=engine)
        others = [outbox.start_sender(engine, with_mail) for _ in range(3)]
        try:
            with TestClient(app, follow_redirects=False) as client, app_sender(app):
                login(client, "admin@fylke.test")
                token = csrf_of(client, "/ansatt")
                for _ in range(3):  # invitations and reminders, queued again as soon as they are out
                    client.post(
                        f"/ansatt/runder/{world.round.id}/invitasjoner/send", data={"csrf_token": token}
                    )
                    client.post(
                        f"/ansatt/runder/{world.round.id}/paminnelser",
                        data={"csrf_token": token, "alle": "1"},
                    )
                    wait_until(
                        lambda: all(m.status == MailStatus.sent for m in outbox_rows(session)),
                        what="all sent",
                    )
        finally:
            for other in others:
                other.stop()
    rows = outbox_rows(session)
    assert len(rows) == 12 and {m.attempts for m in rows} == {1}
    assert len(inbox.messages) == 12


def test_a_second_click_does_not_queue_the_same_reminders_again(
    settings: Settings, engine: sa.Engine, session: Session
) -> None:
    world = make_world(session, settings)
    add_contacts(session)
    make_staff(session, Role.radgiver)
    slow = Inbox(delay=0.5)  # the first click's reminders are still on their way at the second
    with smtp_server(slow) as port:
        app = create_app(mail_settings(settings, port), engine=engine)
        with TestClient(app, follow_redirects=False) as client, app_sender(app):
            login(client, "radgiver@fylke.test")
            token = csrf_of(client, "/ansatt")
            for _ in range(2):
                r = client.post(
                    f"/ansatt/runder/{world.round.id}/paminnelser", data={"csrf_token": token, "alle": "1"}
                )
                assert r.status_code == 303
            page = client.get(f"/ansatt/runder/{world.round.id}").text
            assert "Til Drammen, Ål venter det allerede en påminnelse på å bli sendt." in page
            assert "2 venter på å bli sendt" in page
            wait_until(lambda: len(slow.messages) == 2, what="both sent")
            wait_until(
                lambda: all(m.status == MailStatus.sent for m in outbox_rows(session)), what="recorded"
            )
    assert [m.kind for m in outbox_rows(session)] == [MailKind.reminder] * 2


def test_a_queued_message_holds_no_link_and_goes_out_with_the_link_of_the_moment(
    settings: Settings, engine: sa.Engine, session: Session
) -> None:
    """The link is the municipality's credential: the outbox keeps none; a link renewed while the message
    waited goes out renewed, and a withdrawn one not at all."""
    world = make_world(session, settings)
    add_contacts(session)
    make_staff(session, Role.admin)
    inbox = Inbox(refuse="451 4.3.0 Midlertidig feil")
    with smtp_server(inbox) as port:
        app = create_app(mail_settings(settings, port), engine=engine)
        with TestClient(app, follow_redirects=False) as client, app_sender(app) as sender:
            login(client, "admin@fylke.test")
            token = csrf_of(client, "/ansatt")
            client.post(f"/ansatt/runder/{world.round.id}/invitasjoner/send", data={"csrf_token": token})
            wait_until(lambda: {m.status for m in outbox_rows(session)} == {MailStatus.failed}, what="failed")
            with engine.connect() as conn:
                stored = " ".join(
                    str(v) for row in conn.execute(sa.text("SELECT * FROM mail_outbox")) for v in row
                )
            assert "/i/" not in stored and world.link("3005").split("/i/")[-1] not in stored

            drammen, al = (_invitation_id(world, k) for k in ("3005", "3043"))
            base = f"/ansatt/runder/{world.round.id}/invitasjoner"
            client.post(f"{base}/{drammen}/ny-lenke", data={"csrf_token": token})
            client.post(f"{base}/{al}/trekk-tilbake", data={"csrf_token": token})
            inbox.refuse = None
            begin_write(session)
            for row in outbox_rows(session):
                row.next_attempt_at = utcnow()
                session.add(row)
            session.commit()
            sender.wake()
            wait_until(
                lambda: {m.status for m in outbox_rows(session)} == {MailStatus.sent, MailStatus.cancelled},
                what="retried",
            )
            [message] = inbox.messages
            assert message["To"] == "post@drammen.kommune.test"
            link = next(w for w in message.get_content().split() if "/i/" in w).removeprefix(
                "http://testserver"
            )
            assert link != world.link("3005")
            with TestClient(app, follow_redirects=False) as municipality:
                assert municipality.get(link).status_code == 303
            rows = table_rows(client.get(f"/ansatt/runder/{world.round.id}").text, "#oppfolging table")
            assert rows["Ål"]["E-post"] == (
                "Invitasjon ikke sendt Lenken ble trukket tilbake før e-posten ble sendt."
            )


def _invitation_id(world: World, kommunenummer: str) -> int:
    return int(world.link(kommunenummer).split("/i/")[-1].split("-")[0])
