"""The customer web UI (webui)."""

from __future__ import annotations

from pydantic import Field

from core.settings.base import StrictModel, listen_validator


class WebSettings(StrictModel):
    listen: str = Field("127.0.0.1:8080", description="HOST:PORT for the web UI.")
    public_url: str | None = Field(
        None,
        description="Base URL users reach the UI at (for links in mails, e.g. "
        "'https://cams.example.org'); unset: the listen address, or this machine's name when "
        "listening on every address. Never taken from a request's Host header.",
    )
    secret_key: str | None = Field(
        None,
        description="Flask secret key; if unset one is generated once and kept in the data dir. "
        "Prefer systemd's CREDENTIALS_DIRECTORY (file 'web_secret_key').",
    )
    threads: int = Field(8, ge=1, le=64, description="WSGI worker threads.")
    trusted_proxies: int = Field(
        0,
        ge=0,
        le=5,
        description="Reverse proxies in front of the UI whose X-Forwarded-For/-Proto headers are "
        "trusted (0: none; 1 behind nginx/caddy terminating TLS).",
    )
    registration_open: bool = Field(
        True, description="Anyone may register an account (confirmed by a mailed link)."
    )
    login_max_failures: int = Field(
        5, ge=1, description="Failed logins for one e-mail address before it is blocked a while."
    )
    login_max_failures_per_address: int = Field(
        30, ge=1, description="Failed logins from one client network before it is blocked."
    )
    login_window_s: int = Field(
        900, ge=10, description="Window in which failed logins count, and length of the block."
    )
    link_valid_hours: int = Field(
        24, ge=1, description="How long a mailed confirmation or password-reset link works."
    )
    page_size: int = Field(24, ge=1, le=500, description="Recordings per page.")
    session_days: int = Field(
        14, ge=1, description="How long a login lasts without being used again."
    )

    _check_listen = listen_validator("listen")
