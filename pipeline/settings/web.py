"""The customer web UI (webui)."""

from __future__ import annotations

from pydantic import Field

from pipeline.settings.base import StrictModel, listen_validator


class WebSettings(StrictModel):
    listen: str = Field("127.0.0.1:8080", description="HOST:PORT for the web UI.")
    public_url: str | None = Field(
        None, description="Base URL users reach the UI at (for links in mails)."
    )
    secret_key: str | None = Field(
        None,
        description="Flask secret key; if unset one is generated once and kept in the data dir. "
        "Prefer systemd's CREDENTIALS_DIRECTORY (file 'web_secret_key').",
    )
    threads: int = Field(8, ge=1, le=64, description="WSGI worker threads.")

    _check_listen = listen_validator("listen")
