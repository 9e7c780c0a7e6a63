"""The base every settings section derives from."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, field_validator

_HOST_PORT = re.compile(r"^(?P<host>\[[0-9a-fA-F:.]+\]|[^:\s]+):(?P<port>\d{1,5})$")


class StrictModel(BaseModel):
    """A settings section: unknown keys are an error, values are validated on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)


def parse_listen(value: str) -> tuple[str, int]:
    """Split ``"HOST:PORT"`` (``[::1]:21`` for IPv6) into host and port."""
    match = _HOST_PORT.match(value.strip())
    if not match:
        raise ValueError(f"expected HOST:PORT, got {value!r}")
    port = int(match["port"])
    if port > 65535:
        raise ValueError(f"port {port} is out of range")
    return match["host"].strip("[]"), port


def _check_listen(value: str) -> str:
    parse_listen(value)
    return value


def listen_validator(*fields: str) -> staticmethod[[str], str]:
    """A pydantic validator that checks ``HOST:PORT`` strings on the named fields."""
    return field_validator(*fields)(staticmethod(_check_listen))
