"""AlarmVault settings: one TOML file, one typed section per concern, unknown keys rejected.

The file is found via ``--config PATH`` or ``ALARMVAULT_CONFIG``. Relative paths in it resolve
against the folder the file is in, so a config can travel with its data.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError

from core.settings.api import ApiSettings
from core.settings.base import StrictModel, parse_listen
from core.settings.detection import DetectionSettings
from core.settings.fairuse import FairUseSettings
from core.settings.ftp import FtpSettings
from core.settings.ingest import IngestSettings
from core.settings.logging import LoggingSettings
from core.settings.mail import MailSettings
from core.settings.metrics import MetricsSettings
from core.settings.notifications import NotificationSettings
from core.settings.pipeline import PipelineSettings
from core.settings.schedule import ScheduleSettings
from core.settings.sftp import SftpSettings
from core.settings.storage import StorageSettings
from core.settings.validation import ValidationSettings
from core.settings.web import WebSettings

__all__ = [
    "CONFIG_ENV",
    "ConfigError",
    "Settings",
    "load_settings",
    "parse_listen",
    "settings_from_dict",
]

CONFIG_ENV = "ALARMVAULT_CONFIG"


class ConfigError(Exception):
    """The settings file is missing, unreadable or invalid; the message says which key and why."""


class Settings(StrictModel):
    storage: StorageSettings = Field(default_factory=StorageSettings)
    ftp: FtpSettings = Field(default_factory=FtpSettings)
    sftp: SftpSettings = Field(default_factory=SftpSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    pipeline: PipelineSettings = Field(default_factory=PipelineSettings)
    validation: ValidationSettings = Field(default_factory=ValidationSettings)
    fairuse: FairUseSettings = Field(default_factory=FairUseSettings)
    mail: MailSettings = Field(default_factory=MailSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)
    detection: DetectionSettings = Field(default_factory=DetectionSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    notifications: NotificationSettings = Field(default_factory=NotificationSettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)

    # Not a key in the file: where the file was read from (None for built-in defaults).
    config_path: Path | None = Field(None, exclude=True)

    def resolve_paths(self, base: Path) -> None:
        """Make every relative path absolute against ``base`` (the config file's folder)."""
        for section in type(self).model_fields:
            model = getattr(self, section)
            if not isinstance(model, StrictModel):
                continue
            for name in type(model).model_fields:
                value = getattr(model, name)
                if isinstance(value, Path) and not value.is_absolute():
                    setattr(model, name, (base / value).resolve())


def _format_error(error: ValidationError, path: Path | None) -> str:
    where = str(path) if path else "settings"
    lines = []
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"])
        if item["type"] == "extra_forbidden":
            lines.append(f"{where}: unknown key '{key}'")
        else:
            lines.append(f"{where}: '{key}': {item['msg']}")
    return "\n".join(lines)


def settings_from_dict(data: dict[str, Any], base: Path, path: Path | None = None) -> Settings:
    try:
        settings = Settings.model_validate(data)
    except ValidationError as error:
        raise ConfigError(_format_error(error, path)) from None
    settings.config_path = path
    settings.resolve_paths(base)
    return settings


def load_settings(path: str | os.PathLike[str] | None = None) -> Settings:
    """Read the settings file named by ``path`` or ``$ALARMVAULT_CONFIG``; defaults if neither."""
    if path is None:
        path = os.environ.get(CONFIG_ENV) or None
    if path is None:
        return settings_from_dict({}, Path.cwd())
    config_path = Path(path).expanduser().resolve()
    try:
        with config_path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{config_path}: no such settings file") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{config_path}: not valid TOML: {error}") from None
    except OSError as error:
        raise ConfigError(f"{config_path}: cannot read: {error.strerror}") from None
    return settings_from_dict(data, config_path.parent, config_path)
