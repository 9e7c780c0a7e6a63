"""Times of alarms: when a clip started (from the camera's file name, in the camera's zone),
which zone a camera most likely names its files in, and how a time reads in a viewer's zone.

The catalog stores UTC (``core.catalog.times``); every page, mail and API answer turns it into
the viewer's zone here, so there is one way to do it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cache, lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel.dates import format_datetime, get_timezone_name

# Upload lag (alarm start to upload complete) is well under half of this, so rounding the gap
# to it leaves the camera's UTC offset; every real offset is a multiple of 15 minutes.
OFFSET_STEP_MIN = 15
# Real offsets run from UTC-12 to UTC+14; a gap outside is a camera clock set wrong.
OFFSET_RANGE_MIN = (-12 * 60, 14 * 60)
# How many of a camera's first clips must agree before a zone is suggested.
SUGGESTION_SAMPLES = 2


def time_in_name(name: str, patterns: list[str]) -> datetime | None:
    """The naive wall-clock time in ``name`` by the first matching pattern, or None."""
    for pattern in patterns:
        match = re.search(pattern, name)
        if not match:
            continue
        parts = match.groupdict()
        try:
            moment = datetime(
                int(parts["Y"]),
                int(parts["m"]),
                int(parts["d"]),
                int(parts["H"]),
                int(parts["M"]),
                int(parts["S"]),
            )
        except (KeyError, ValueError, TypeError):
            continue
        if 2000 <= moment.year <= 2100:
            return moment
    return None


def started_at_from_name(
    name: str, patterns: list[str], camera_timezone: str, fallback: str
) -> str:
    """ISO UTC start time parsed from ``name`` by the first matching pattern, else ``fallback``."""
    local = time_in_name(name, patterns)
    if local is None:
        return fallback
    return (
        local.replace(tzinfo=zone_or_utc(camera_timezone))
        .astimezone(UTC)
        .isoformat(timespec="seconds")
    )


def is_zone(name: str | None) -> bool:
    """Whether ``name`` is an IANA zone this machine knows."""
    if not name or len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


@lru_cache(maxsize=512)
def zone_or_utc(name: str | None) -> tzinfo:
    """The zone called ``name``; UTC for none or an unknown name (an old row, a removed zone)."""
    return ZoneInfo(name) if name and is_zone(name) else UTC


@cache
def zone_names() -> list[str]:
    """IANA zones offered for choosing, sorted; the legacy aliases and ``posix/`` copies left
    out, the fixed ``Etc/GMT±N`` offsets kept (a camera without daylight saving needs them)."""
    places = (
        name
        for name in available_timezones()
        if "/" in name and not name.startswith(("posix/", "right/", "SystemV/", "US/"))
    )
    return [*sorted(places), "UTC"]


def parse_utc(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def in_zone(value: str | datetime, zone: str | None) -> datetime:
    """A stored time (ISO text or aware datetime) as wall-clock time in ``zone``."""
    moment = parse_utc(value) if isinstance(value, str) else value
    return moment.astimezone(zone_or_utc(zone))


def iso_in_zone(value: str | None, zone: str | None) -> str | None:
    """ISO 8601 with the zone's offset (what the API answers), None stays None."""
    if not value:
        return value
    try:
        return in_zone(value, zone).isoformat(timespec="seconds")
    except ValueError:
        return value


def format_local(value: str | None, zone: str | None, language: str | None = None) -> str:
    """How a time reads on a page and in a mail: ``2026-11-25 14:05:01 CET`` in English (the
    source language keeps the unambiguous form), the reader's locale's own form otherwise
    (German: ``25.11.2026, 14:05:01 MEZ``)."""
    if not value:
        return "-"
    try:
        moment = in_zone(value, zone)
    except ValueError:
        return value
    if language and language != "en":
        when = format_datetime(moment, "medium", tzinfo=moment.tzinfo, locale=language)
        return f"{when} {get_timezone_name(moment, 'short', locale=language, zone_variant=None)}"
    return moment.strftime("%Y-%m-%d %H:%M:%S ") + (moment.tzname() or "")


def local_window(day: date, zone: str | None, hour: int | None = None) -> tuple[str, str]:
    """UTC bounds (ISO, start inclusive, end exclusive) of a wall-clock day or hour in ``zone``.

    Both ends are wall-clock times, so the hour a clock falls back over holds both of its
    occurrences, and a day with a daylight-saving change is 23 or 25 hours long."""
    info = zone_or_utc(zone)
    if hour is None:
        start = datetime.combine(day, time(0), info)
        end = datetime.combine(day + timedelta(days=1), time(0), info)
    else:
        start = datetime.combine(day, time(hour), info)
        end = (
            datetime.combine(day, time(hour + 1), info)
            if hour < 23
            else datetime.combine(day + timedelta(days=1), time(0), info)
        )
    return (
        start.astimezone(UTC).isoformat(timespec="seconds"),
        end.astimezone(UTC).isoformat(timespec="seconds"),
    )


@dataclass(frozen=True)
class ZoneSuggestion:
    """What a camera's first clips say about the zone of its file names."""

    offset_min: int
    zone: str
    samples: int
    fixed: bool  # a fixed offset (no daylight saving), not a place

    @property
    def offset_text(self) -> str:
        return offset_text(self.offset_min)


def offset_text(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def rounded_offset_min(name_time: datetime, received_at: datetime) -> int:
    """The gap between the file-name time and the upload-completion time, in whole quarter
    hours: the camera's UTC offset when its file names are wall-clock time."""
    gap_min = (name_time - received_at.astimezone(UTC).replace(tzinfo=None)).total_seconds() / 60
    return round(gap_min / OFFSET_STEP_MIN) * OFFSET_STEP_MIN


def _matches(zone: str, offset_min: int, moments: list[datetime]) -> bool:
    offset = timedelta(minutes=offset_min)
    info = zone_or_utc(zone)
    return all(moment.astimezone(info).utcoffset() == offset for moment in moments)


def suggest_zone(
    samples: Iterable[tuple[datetime, datetime]], preferred: Iterable[str | None] = ()
) -> ZoneSuggestion | None:
    """The most likely zone of a camera's file names from ``(name_time, received_at)`` pairs of
    its first clips, or None while fewer than `SUGGESTION_SAMPLES` agree.

    The zone is the first of ``preferred`` (the owner's own zone, say) that had this offset at
    those times; else a fixed offset (``Etc/GMT-1`` is UTC+01:00, POSIX signs are reversed);
    else, for offsets no ``Etc`` zone has (+05:45), the first place that has it.
    """
    pairs = list(samples)
    offsets = Counter(rounded_offset_min(name_time, received) for name_time, received in pairs)
    if not offsets:
        return None
    offset_min, agreeing = offsets.most_common(1)[0]
    if agreeing < SUGGESTION_SAMPLES or not (
        OFFSET_RANGE_MIN[0] <= offset_min <= OFFSET_RANGE_MIN[1]
    ):
        return None
    moments = [
        received.astimezone(UTC)
        for name_time, received in pairs
        if rounded_offset_min(name_time, received) == offset_min
    ]
    for zone in preferred:
        if zone and is_zone(zone) and _matches(zone, offset_min, moments):
            return ZoneSuggestion(offset_min, zone, agreeing, fixed=False)
    if offset_min == 0:
        return ZoneSuggestion(0, "UTC", agreeing, fixed=True)
    if offset_min % 60 == 0:
        hours = offset_min // 60
        return ZoneSuggestion(offset_min, f"Etc/GMT{-hours:+d}", agreeing, fixed=True)
    for zone in zone_names():
        if not zone.startswith("Etc/") and _matches(zone, offset_min, moments):
            return ZoneSuggestion(offset_min, zone, agreeing, fixed=False)
    return None
