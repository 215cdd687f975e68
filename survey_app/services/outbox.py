"""The mail outbox: invitations and reminders are queued with the request and sent after it.

A request that asks for mail adds rows to ``mail_outbox`` in its own transaction (``queue_for``) and
answers at once. The app's sender (``start_sender``; the app's lifespan runs one in each worker process)
claims what is due, writes each message, sends the batch over one SMTP connection and records each
outcome, all in a thread of its own: a mail server that takes seconds to answer holds up no request.

    queued ──claim──▶ sending ──▶ sent
      ▲                  ├──▶ cancelled   the link was withdrawn, or the municipality submitted first
      └──── released ────┤                (the sender stopped, or its lease ran short, before this one)
                         └──▶ failed ──next_attempt_at──▶ claimed again; given up after MAX_ATTEMPTS

A claim is a lease: a row is ``sending`` for one named sender until ``claimed_until``, and only that sender
records its outcome. PostgreSQL's ``FOR UPDATE SKIP LOCKED`` lets the workers' senders claim different
rows at the same time; SQLite has one writer, so a claim is atomic there as well. A sender that dies
mid-lease leaves its rows to be claimed again when the lease ends: a message goes out at least once, and
twice only if its process dies between the mail server's acceptance and the write that records it.

The message is written when it is sent, not when it is queued: the table never holds a working link (the
link is the municipality's credential, see ``security.invitation_token``), and a link renewed in the
meantime goes out renewed.
"""

from __future__ import annotations

import logging
import os
import smtplib
import socket
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

import sqlalchemy as sa
from sqlmodel import Session, col, select

from survey_app import audit
from survey_app.config import Settings
from survey_app.db import begin_write
from survey_app.models import (
    Invitation,
    MailKind,
    MailOutbox,
    MailStatus,
    Municipality,
    Response,
    ResponseStatus,
    Round,
    utcnow,
)

# invitations imports this module too (send_all); each uses the other's names only when called.
from survey_app.services import catalog, invitations, mail, responses
from survey_app.services.register import contact_addresses

log = logging.getLogger(__name__)

BATCH = 20  # messages claimed at once and sent over one connection
LEASE = timedelta(minutes=15)
# What must be left of the lease to start one more message: more than one message can take (a handful of
# exchanges of mail.TIMEOUT each), so no message is still on its way when another sender may claim it.
MESSAGE_MARGIN = timedelta(minutes=5)
POLL_SECONDS = 10.0  # how soon mail queued by another process, or a retry that falls due, is seen
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)
MAX_ATTEMPTS = 8  # 1, 2, 4, … 32, 60 minutes apart: about two hours of trying
STOP_SECONDS = 5.0


@dataclass(frozen=True)
class Queued:
    """What ``queue_for`` did: how many messages it queued, and which municipalities it left out."""

    queued: int
    without_address: list[str]
    already_queued: list[str]  # a message of this kind is still on its way to them


def _unfinished() -> sa.ColumnElement[bool]:
    return sa.or_(
        col(MailOutbox.status).in_([MailStatus.queued, MailStatus.sending]),
        (col(MailOutbox.status) == MailStatus.failed) & col(MailOutbox.next_attempt_at).is_not(None),
    )


def queue_for(
    session: Session,
    *,
    kind: MailKind,
    round_: Round,
    targets: Sequence[tuple[Invitation, Municipality]],
    actor: str,
    action: str,
) -> Queued:
    """Queue a ``kind`` message to each target municipality's contact addresses and audit it; commits.

    A municipality without addresses, or with a message of this kind still on its way (a second click),
    is left out and named in the result and in the audit event. This process's sender is woken after the
    commit; the request does not wait for the mail server.
    """
    addresses = contact_addresses(session)
    begin_write(session)
    # One queueing per round at a time: a second click waits for the first and sees what it queued.
    session.execute(sa.select(col(Round.id)).where(col(Round.id) == round_.id).with_for_update())
    on_the_way = set(
        session.exec(
            select(MailOutbox.invitation_id).where(
                MailOutbox.round_id == round_.id, MailOutbox.kind == kind, _unfinished()
            )
        )
    )
    now = utcnow()
    queued, missing, waiting = 0, [], []
    for invitation, municipality in targets:
        assert invitation.id is not None and municipality.id is not None and round_.id is not None
        to = addresses.get(municipality.id, [])
        if not to:
            missing.append(municipality.name)
        elif invitation.id in on_the_way:
            waiting.append(municipality.name)
        else:
            session.add(
                MailOutbox(
                    kind=kind,
                    round_id=round_.id,
                    municipality_id=municipality.id,
                    invitation_id=invitation.id,
                    recipients=to,
                    next_attempt_at=now,
                    created_by=actor[:200],
                )
            )
            queued += 1
    audit.record(
        session,
        actor=actor,
        action=action,
        object_type="round",
        object_id=round_.id,
        details={"queued": queued, "without_address": missing, "already_queued": waiting},
    )
    session.commit()
    wake()
    return Queued(queued, missing, waiting)


def latest(session: Session, *, round_id: int) -> dict[int, MailOutbox]:
    """Each municipality's newest message in the round (invitation or reminder), by municipality id."""
    rows = session.exec(
        select(MailOutbox).where(MailOutbox.round_id == round_id).order_by(col(MailOutbox.id))
    )
    return {row.municipality_id: row for row in rows}


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt: doubling from a minute, at most an hour."""
    delay: timedelta = FIRST_RETRY * 2 ** max(attempts - 1, 0)
    return min(delay, LONGEST_RETRY)


def _due(now: datetime) -> sa.ColumnElement[bool]:
    return sa.or_(
        col(MailOutbox.status).in_([MailStatus.queued, MailStatus.failed])
        & (col(MailOutbox.next_attempt_at) <= now),
        # A lease that ran out: its sender died or hung.
        (col(MailOutbox.status) == MailStatus.sending) & (col(MailOutbox.claimed_until) < now),
    )


# This process's running senders, for wake() (one per app; tests make many apps in one process).
_senders: set[Sender] = set()
_senders_lock = threading.Lock()


def wake() -> None:
    """Have this process's senders look at the outbox now (called after a commit that queued mail)."""
    with _senders_lock:
        running = list(_senders)
    for sender in running:
        sender.wake()


class Sender:
    """Sends what is due in the outbox, in a thread of its own, until stopped.

    ``drain()`` is one pass (claim a batch, send it, record the outcomes); the thread repeats it while there
    is work, and otherwise waits for ``wake()`` or ``poll_seconds``.
    """

    def __init__(self, engine: sa.Engine, settings: Settings, *, poll_seconds: float = POLL_SECONDS) -> None:
        self.engine = engine
        self.settings = settings
        self.poll_seconds = poll_seconds
        self.name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:100]
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> Sender:
        self._thread = threading.Thread(target=self._run, name="innspill-mail-outbox", daemon=True)
        with _senders_lock:
            _senders.add(self)
        self._thread.start()
        return self

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = STOP_SECONDS) -> None:
        """Stop after the message on its way, if any; claimed messages not yet begun are released."""
        with _senders_lock:
            _senders.discard(self)
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                # A daemon thread: it ends with the process. Its claimed rows are sent again after the lease.
                log.warning("The mail sender %s is still talking to the mail server; not waiting.", self.name)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()  # before looking: a wake() during the pass makes the next wait return at once
            try:
                busy = self.drain() > 0
            except Exception:  # the database away, say: the thread must live on and try again
                log.exception("The mail sender failed; trying again in %s s.", self.poll_seconds)
                busy = False
            if not busy:
                self._wake.wait(self.poll_seconds)

    def drain(self) -> int:
        """Claim one batch of due messages and send it; the number claimed (0: nothing was due)."""
        claimed = self._claim()
        if claimed:
            self._send(claimed)
        return len(claimed)

    def _claim(self) -> list[int]:
        with Session(self.engine, expire_on_commit=False) as session:
            if session.exec(select(MailOutbox.id).where(_due(utcnow())).limit(1)).first() is None:
                return []  # the usual answer, found without taking SQLite's write lock
            begin_write(session)
            now = utcnow()
            rows = session.exec(
                select(MailOutbox)
                .where(_due(now))
                .order_by(col(MailOutbox.id))
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            ).all()
            for row in rows:
                row.status = MailStatus.sending
                row.claimed_by = self.name
                row.claimed_until = now + LEASE
                row.attempts += 1
                session.add(row)
            session.commit()
            return [row.id for row in rows if row.id is not None]

    def _send(self, claimed: list[int]) -> None:
        deadline = utcnow() + LEASE - MESSAGE_MARGIN
        outgoing: list[tuple[int, list[str], EmailMessage]] = []
        unsent: list[tuple[int, Callable[[Session, MailOutbox, datetime], None]]] = []
        with Session(self.engine, expire_on_commit=False) as session:
            for row_id in claimed:
                row = session.get(MailOutbox, row_id)
                assert row is not None
                try:
                    message = self._compose(session, row)
                except Exception as exc:  # a message that cannot be written fails (visibly), not hangs
                    log.exception("Mail %s could not be written.", row_id)
                    unsent.append((row_id, self._failed(exc)))
                    continue
                if isinstance(message, str):
                    unsent.append((row_id, _cancelled(message)))
                else:
                    outgoing.append((row_id, row.recipients, message))
        for row_id, change in unsent:  # recorded after the read above has ended
            self._record(row_id, change)
        if not outgoing:
            return
        try:
            with mail.connect(self.settings) as smtp:
                while outgoing and not self._stopping.is_set() and utcnow() < deadline:
                    row_id, to, message = outgoing[0]
                    try:
                        refused = smtp.send_message(message, to_addrs=to)
                    except (
                        smtplib.SMTPRecipientsRefused,
                        smtplib.SMTPSenderRefused,
                        smtplib.SMTPDataError,
                    ) as exc:
                        # Refused for this message only: the connection goes on with the next one.
                        self._record(row_id, self._failed(exc))
                    else:
                        self._record(row_id, _sent(refused))
                    outgoing.pop(0)
        except (smtplib.SMTPException, OSError) as exc:
            for row_id, _, _ in outgoing:
                self._record(row_id, self._failed(exc))
            outgoing = []
        for row_id, _, _ in outgoing:
            self._record(row_id, _released)

    def _compose(self, session: Session, row: MailOutbox) -> EmailMessage | str:
        """The message as it is to go out now, or why it is not to go out."""
        invitation = session.get(Invitation, row.invitation_id)
        round_ = session.get(Round, row.round_id)
        municipality = session.get(Municipality, row.municipality_id)
        assert invitation is not None and round_ is not None and municipality is not None
        if invitation.revoked_at is not None:
            return "Lenken ble trukket tilbake før e-posten ble sendt."
        if invitation.expires_at <= utcnow():
            return "Lenken var utløpt før e-posten ble sendt."
        if row.kind == MailKind.reminder:
            response = _response_of(session, row)
            if response is not None and response.status == ResponseStatus.submitted:
                return "Kommunen sendte inn svaret før påminnelsen ble sendt."
        link = invitations.link(
            invitation, secret_key=self.settings.resolved_secret_key(), base_url=self.settings.base_url
        )
        write = mail.invitation if row.kind == MailKind.invitation else mail.reminder
        definition = catalog.round_definition(session, round_).in_language(municipality.malform)
        return write(
            settings=self.settings,
            to=row.recipients,
            municipality=municipality,
            round_=round_,
            round_name=responses.round_name(definition, round_),
            link=link,
        )

    def _failed(self, exc: BaseException) -> Callable[[Session, MailOutbox, datetime], None]:
        text = mail.failure_text(exc)

        def change(session: Session, row: MailOutbox, now: datetime) -> None:
            row.status = MailStatus.failed
            row.last_error = text
            row.next_attempt_at = now + retry_delay(row.attempts) if row.attempts < MAX_ATTEMPTS else None
            log.warning("Mail %s failed (attempt %s): %s", row.id, row.attempts, text)

        return change

    def _record(self, row_id: int, change: Callable[[Session, MailOutbox, datetime], None]) -> None:
        """Apply ``change`` to a row this sender still holds; one whose lease another sender took is left be."""
        with Session(self.engine, expire_on_commit=False) as session:
            begin_write(session)
            row = session.exec(select(MailOutbox).where(MailOutbox.id == row_id).with_for_update()).first()
            if row is None or row.status != MailStatus.sending or row.claimed_by != self.name:
                session.rollback()
                return
            change(session, row, utcnow())
            row.claimed_until = None
            session.add(row)
            session.commit()


def _response_of(session: Session, row: MailOutbox) -> Response | None:
    return session.exec(
        select(Response).where(
            Response.round_id == row.round_id, Response.municipality_id == row.municipality_id
        )
    ).first()


def _sent(refused: dict[str, tuple[int, bytes]]) -> Callable[[Session, MailOutbox, datetime], None]:
    # Some of its addresses may have been refused while the others were accepted: sent, with a note.
    note = f"Avvist av e-postserveren: {', '.join(refused)}." if refused else ""

    def change(session: Session, row: MailOutbox, now: datetime) -> None:
        row.status = MailStatus.sent
        row.sent_at = now
        row.next_attempt_at = None
        row.last_error = note[:500]
        if row.kind == MailKind.reminder and (response := _response_of(session, row)) is not None:
            # «Påminnet» on the follow-up page: when the reminder went out, not when it was asked for.
            response.last_reminded_at = now
            session.add(response)

    return change


def _cancelled(reason: str) -> Callable[[Session, MailOutbox, datetime], None]:
    def change(session: Session, row: MailOutbox, now: datetime) -> None:
        row.status = MailStatus.cancelled
        row.last_error = reason
        row.next_attempt_at = None

    return change


def _released(session: Session, row: MailOutbox, now: datetime) -> None:
    # Not begun, so not an attempt: back in the queue for the next sender.
    row.status = MailStatus.queued
    row.attempts -= 1
    row.next_attempt_at = now


def start_sender(engine: sa.Engine, settings: Settings, *, poll_seconds: float = POLL_SECONDS) -> Sender:
    """The app's mail sender, running in a thread until ``stop()``; without SMTP settings it sends nothing
    (and runs no thread): queued messages then wait for a process that has them."""
    sender = Sender(engine, settings, poll_seconds=poll_seconds)
    return sender.start() if mail.configured(settings) else sender
