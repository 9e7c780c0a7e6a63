"""Log output."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from core.settings.base import StrictModel


class LoggingSettings(StrictModel):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Log level; DEBUG logs every FTP/SFTP command (to trace a camera)."
    )
