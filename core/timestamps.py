"""When did the alarm start? From the camera's file name if a known pattern matches."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def started_at_from_name(
    name: str, patterns: list[str], camera_timezone: str, fallback: str
) -> str:
    """ISO UTC start time parsed from ``name`` by the first matching pattern, else ``fallback``."""
    for pattern in patterns:
        match = re.search(pattern, name)
        if not match:
            continue
        parts = match.groupdict()
        try:
            local = datetime(
                int(parts["Y"]),
                int(parts["m"]),
                int(parts["d"]),
                int(parts["H"]),
                int(parts["M"]),
                int(parts["S"]),
                tzinfo=ZoneInfo(camera_timezone),
            )
        except (KeyError, ValueError):
            continue
        if not 2000 <= local.year <= 2100:
            continue
        return local.astimezone(UTC).isoformat(timespec="seconds")
    return fallback
