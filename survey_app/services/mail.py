"""E-mail through the county's own SMTP server: invitations and reminders in the municipality's målform."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from survey_app.config import Settings
from survey_app.dates import format_date
from survey_app.i18n import t
from survey_app.models import Municipality, Round


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


def _fields(settings: Settings, municipality: Municipality, round_: Round, link: str) -> dict[str, str]:
    return {
        "municipality": municipality.name,
        "round": round_.title,
        "link": link,
        "deadline": format_date(round_.closes_on),
        "county": settings.county_name,
    }


def invitation(
    *, settings: Settings, to: list[str], municipality: Municipality, round_: Round, link: str
) -> EmailMessage:
    fields = _fields(settings, municipality, round_, link)
    lang = municipality.malform
    return _message(
        settings, to, t("mail_invitation_subject", lang, **fields), t("mail_invitation_body", lang, **fields)
    )


def reminder(
    *, settings: Settings, to: list[str], municipality: Municipality, round_: Round, link: str
) -> EmailMessage:
    fields = _fields(settings, municipality, round_, link)
    lang = municipality.malform
    return _message(
        settings, to, t("mail_reminder_subject", lang, **fields), t("mail_reminder_body", lang, **fields)
    )


def send(settings: Settings, messages: list[EmailMessage]) -> None:
    """Send over one connection. Raises ``smtplib.SMTPException`` or ``OSError`` when the server fails."""
    if not messages:
        return
    assert settings.smtp_host
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if settings.smtp_security == "ssl":
        smtp = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, context=context, timeout=30)
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30)
    with smtp:
        if settings.smtp_security == "starttls":
            smtp.starttls(context=context)
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password or "")
        for message in messages:
            smtp.send_message(message)
