"""Rules ingestd applies to every camera account, whatever the protocol."""

from __future__ import annotations

from pydantic import Field

from core.settings.base import StrictModel


class IngestSettings(StrictModel):
    max_upload_mb: int = Field(200, ge=1, description="Largest single file accepted (hard cap).")
    ban_after_failures: int = Field(
        5, ge=1, description="Failed logins from one address before it is refused."
    )
    ban_window_s: int = Field(600, ge=1, description="Window in which failed logins are counted.")
    ban_duration_s: int = Field(900, ge=1, description="How long a banned address is refused.")
    failed_login_delay_s: float = Field(
        2.0, ge=0, le=30, description="Pause before answering a failed login (slows guessing)."
    )
    login_threads: int = Field(
        2, ge=1, le=16, description="Threads that check passwords (argon2) off the FTP I/O loop."
    )
    login_cache_s: int = Field(
        300,
        ge=0,
        le=3600,
        description="Recognise a login verified this recently without argon2 (0: always verify).",
    )
    workers: int = Field(
        2,
        ge=1,
        le=32,
        description=(
            "ingestd processes sharing the FTP and SFTP ports (about one per core); each gets "
            "a slice of ftp.passive_ports. Per-address connection limits (and sftp's total) "
            "count all of them together."
        ),
    )
