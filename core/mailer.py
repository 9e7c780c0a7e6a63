"""Outgoing mail for every part of AlarmVault (account links, fair-use notices, alarms).

With ``[mail] smtp_host`` unset (dev, tests) each mail is written as an ``.eml`` file into
``<data_dir>/outbox`` instead of being sent, so nothing needs a mail server to run.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from core.credentials import credential_file
from core.email_address import email_address
from core.settings import Settings

logger = logging.getLogger(__name__)

CREDENTIAL_SMTP_PASSWORD = "smtp_password"  # noqa: S105 - a file name
UNSUBSCRIBE_FOOTER = "Stop these mails: "


class MailError(Exception):
    """The mail could not be handed to the SMTP server."""


def build_message(
    settings: Settings, to: str, subject: str, body: str, headers: dict[str, str] | None = None
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail.sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="alarmvault.local")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return message


def send_mail(
    settings: Settings,
    to: str,
    subject: str,
    body: str,
    *,
    kind: str = "notice",
    headers: dict[str, str] | None = None,
    unsubscribe_url: str | None = None,
) -> None:
    """Send (or, without SMTP, file) one mail. ``kind`` goes to the log instead of the address.

    ``unsubscribe_url`` (optional mails only, never account mails): the one-click opt-out link,
    as ``List-Unsubscribe`` with RFC 8058's ``List-Unsubscribe-Post`` (mail clients then offer
    their own button, which POSTs to it) and as a last line of the body.
    """
    try:
        email_address(to)
    except ValueError:
        # Stored before addresses were checked strictly: never mail a list of mailboxes.
        raise MailError(f"{kind} mail not sent: the recipient is not one e-mail address") from None
    if unsubscribe_url:
        headers = {
            **(headers or {}),
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
        body = f"{body.rstrip()}\n\n{UNSUBSCRIBE_FOOTER}{unsubscribe_url}\n"
    message = build_message(settings, to, subject, body, headers)
    if not settings.mail.smtp_host:
        path = _write_to_outbox(settings.storage.outbox_dir, message)
        logger.info("mail kind=%s written to outbox %s", kind, path.name)
        return
    try:
        with smtplib.SMTP(settings.mail.smtp_host, settings.mail.smtp_port, timeout=30) as smtp:
            if settings.mail.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            password = _smtp_password(settings)
            if settings.mail.smtp_user and password:
                smtp.login(settings.mail.smtp_user, password)
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        logger.warning("mail kind=%s not sent: %s", kind, type(error).__name__)
        raise MailError(str(error)) from error
    logger.info("mail kind=%s sent", kind)


def _smtp_password(settings: Settings) -> str | None:
    path = credential_file(CREDENTIAL_SMTP_PASSWORD)
    return path.read_text(encoding="utf-8").strip() if path else settings.mail.smtp_password


def _write_to_outbox(outbox: Path, message: EmailMessage) -> Path:
    """File ``message`` for the service user's eyes only (0600): it may hold a password-reset
    or confirmation link, which opens the account to whoever reads it, and the data folder of a
    development set-up (``make run``) is readable by every user of the machine."""
    outbox.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = outbox / f"{uuid.uuid4().hex}.eml"
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(bytes(message))
    os.replace(tmp, path)
    return path


def read_outbox(outbox: Path) -> list[EmailMessage]:
    """Mails in the outbox, oldest first (for tests and the dev UI)."""
    import email
    import email.policy

    if not outbox.is_dir():
        return []
    files = sorted(outbox.glob("*.eml"), key=lambda path: path.stat().st_mtime_ns)
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default) for path in files
    ]
