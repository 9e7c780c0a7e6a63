"""Outgoing mail (notices to owners and admins)."""

from __future__ import annotations

from pydantic import Field

from core.settings.base import StrictModel


class MailSettings(StrictModel):
    smtp_host: str | None = Field(
        None, description="SMTP server; unset: mails are written to <data_dir>/outbox (dev)."
    )
    smtp_port: int = Field(587, ge=1, le=65535, description="SMTP port.")
    smtp_starttls: bool = Field(True, description="Use STARTTLS.")
    smtp_user: str | None = Field(None, description="SMTP login.")
    smtp_password: str | None = Field(
        None, description="SMTP password; prefer CREDENTIALS_DIRECTORY file 'smtp_password'."
    )
    sender: str = Field("AlarmVault <alarmvault@localhost>", description="From address.")
