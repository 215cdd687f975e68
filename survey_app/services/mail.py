"""E-mail through the county's own SMTP server: invitations and reminders in the municipality's målform."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from survey_app.config import Settings
from survey_app.dates import format_date
from survey_app.i18n import t
from survey_app.models import Municipality, Round

# Seconds for each exchange with the mail server (connect, and each command).
TIMEOUT = 30


def configured(settings: Settings) -> bool:
    return bool(settings.smtp_host and settings.smtp_sender)


def _message(settings: Settings, to: list[str], subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = formataddr((settings.county_name, settings.smtp_sender or ""))
    message["To"] = ", ".join(to)
    # A header is one line: a round title typed with a line break must not break the message (or add headers).
    message["Subject"] = " ".join(subject.split())
    message["Message-ID"] = make_msgid(domain=(settings.smtp_sender or "innspill").split("@")[-1])
    message.set_content(body)
    return message


def _fields(
    settings: Settings, municipality: Municipality, round_: Round, round_name: str, link: str
) -> dict[str, str]:
    return {
        "municipality": municipality.name,
        "round": round_name,
        "link": link,
        "deadline": format_date(round_.closes_on),
        "county": settings.county_name,
    }


def invitation(
    *,
    settings: Settings,
    to: list[str],
    municipality: Municipality,
    round_: Round,
    round_name: str,
    link: str,
) -> EmailMessage:
    """``round_name`` is the round as the municipality reads it (``responses.round_name``)."""
    fields = _fields(settings, municipality, round_, round_name, link)
    lang = municipality.malform
    return _message(
        settings, to, t("mail_invitation_subject", lang, **fields), t("mail_invitation_body", lang, **fields)
    )


def reminder(
    *,
    settings: Settings,
    to: list[str],
    municipality: Municipality,
    round_: Round,
    round_name: str,
    link: str,
) -> EmailMessage:
    """``round_name`` is the round as the municipality reads it (``responses.round_name``)."""
    fields = _fields(settings, municipality, round_, round_name, link)
    lang = municipality.malform
    return _message(
        settings, to, t("mail_reminder_subject", lang, **fields), t("mail_reminder_body", lang, **fields)
    )


@contextmanager
def connect(settings: Settings) -> Iterator[smtplib.SMTP]:
    """One connection to the county's SMTP server, secured and logged in as configured.

    Raises ``smtplib.SMTPException`` or ``OSError`` when the server fails. Only the outbox sender calls
    this (services/outbox.py), in its own thread: no request ever waits for the mail server.
    """
    assert settings.smtp_host
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if settings.smtp_security == "ssl":
        smtp = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, context=context, timeout=TIMEOUT)
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT)
    with smtp:
        if settings.smtp_security == "starttls":
            smtp.starttls(context=context)
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password or "")
        yield smtp


def failure_text(exc: BaseException) -> str:
    """What went wrong with the mail server, in Norwegian, for the follow-up page (at most 500 characters)."""
    # Most specific first: every smtplib error is an OSError too.
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = ", ".join(f"{to} ({code})" for to, (code, _) in exc.recipients.items())
        text = f"E-postserveren avviste mottakeren: {refused}."
    elif isinstance(exc, smtplib.SMTPAuthenticationError):
        text = f"E-postserveren godtok ikke brukernavnet eller passordet ({exc.smtp_code})."
    elif isinstance(exc, smtplib.SMTPResponseException):
        reply = (
            exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        )
        text = f"E-postserveren svarte {exc.smtp_code}: {reply}"
    elif isinstance(exc, smtplib.SMTPServerDisconnected):
        text = "E-postserveren brøt forbindelsen."
    elif isinstance(exc, TimeoutError):
        text = "E-postserveren svarte ikke i tide."
    elif isinstance(exc, ConnectionRefusedError):
        text = "Fikk ikke kontakt med e-postserveren: tilkoblingen ble avvist."
    elif isinstance(exc, ssl.SSLError):
        text = f"Den sikre forbindelsen til e-postserveren feilet: {exc.reason or exc}."
    elif isinstance(exc, OSError):
        text = f"Fikk ikke kontakt med e-postserveren: {exc.strerror or exc}."
    else:
        text = f"Sendingen feilet: {exc}"
    return " ".join(text.split())[:500]
