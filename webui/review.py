"""Review, not browse: the recordings list in the viewer's days ("Today", "Yesterday", dates),
each day with a 24-hour activity strip per camera whose hours are links that filter the list,
and the unreviewed count the menu and the dashboard show."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from functools import cached_property
from typing import Any

import sqlite_utils
from flask_babel import lazy_gettext, ngettext

from core.catalog.browse import RecordingFilter, activity_rows
from core.timestamps import in_zone, local_window
from webui.formatting import day_name

HOURS = range(24)


class Seen(StrEnum):
    """What an alarm showed, for the strip's colours; one per recording, the most telling."""

    PERSON = "person"
    VEHICLE = "vehicle"
    ANIMAL = "animal"
    FALSE_ALARM = "false_alarm"
    MOTION = "motion"  # not analysed, or nothing the detector names


SEEN_NAMES = {
    Seen.PERSON: lazy_gettext("person"),
    Seen.VEHICLE: lazy_gettext("vehicle"),
    Seen.ANIMAL: lazy_gettext("animal"),
    Seen.FALSE_ALARM: lazy_gettext("false alarm"),
    Seen.MOTION: lazy_gettext("motion only"),
}


def seen_in(labels: list[str] | set[str]) -> Seen:
    for seen in (Seen.PERSON, Seen.VEHICLE, Seen.ANIMAL, Seen.FALSE_ALARM):
        if seen.value in labels:
            return seen
    return Seen.MOTION


@dataclass
class HourCell:
    hour: int
    counts: Counter[Seen] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> str:
        """The words a screen reader says for the hour: "3 alarms: 2 person, 1 false alarm"."""
        parts = [f"{self.counts[seen]} {SEEN_NAMES[seen]}" for seen in Seen if self.counts[seen]]
        return ngettext(
            "%(num)d alarm: %(seen)s", "%(num)d alarms: %(seen)s", self.total, seen=", ".join(parts)
        )

    def segments(self, scale: int, height: int) -> list[dict[str, Any]]:
        """Stacked bar pieces from the bottom up, ``height`` units for ``scale`` alarms."""
        pieces, bottom = [], float(height)
        for seen in Seen:
            if not self.counts[seen]:
                continue
            size = max(height * self.counts[seen] / scale, 1.5)
            bottom -= size
            pieces.append({"seen": seen.value, "y": round(bottom, 2), "height": round(size, 2)})
        return pieces


@dataclass
class CameraStrip:
    camera_id: int
    camera_name: str
    hours: list[HourCell]

    @property
    def total(self) -> int:
        return sum(cell.total for cell in self.hours)


@dataclass
class DayGroup:
    day: date
    title: str
    rows: list[dict[str, Any]]
    strips: list[CameraStrip]
    # "Today"/"Yesterday" name no date, so the heading adds it; decided here, not by comparing
    # the (translated) title.
    relative: bool = False

    @cached_property
    def scale(self) -> int:
        """The busiest hour of the day over all cameras: one scale, so strips compare. Cached:
        the template asks for it once per hour cell (42 cameras: a million sums per page)."""
        return max((cell.total for strip in self.strips for cell in strip.hours), default=1) or 1


def day_groups(
    db: sqlite_utils.Database,
    flt: RecordingFilter,
    rows: list[dict[str, Any]],
    cameras: dict[int, str],
    zone: str | None,
    today: date,
) -> list[DayGroup]:
    """The page's rows grouped by the viewer's day, newest first, each day with the strips of
    the cameras in the filter (all alarms of that day, not only this page's)."""
    by_day: dict[date, list[dict[str, Any]]] = {}
    for row in rows:
        by_day.setdefault(in_zone(row["started_at"], zone).date(), []).append(row)
    if not by_day:
        return []
    start = local_window(min(by_day), zone)[0]
    end = local_window(max(by_day), zone)[1]
    counts: dict[tuple[date, int], list[HourCell]] = {}
    for item in activity_rows(db, flt, start, end):
        local = in_zone(item["started_at"], zone)
        key = (local.date(), item["camera_id"])
        cells = counts.get(key)
        if cells is None:  # not setdefault: that would build 24 cells for every alarm
            cells = counts[key] = [HourCell(h) for h in HOURS]
        labels = set((item["labels"] or "").split(",")) - {""}
        cells[local.hour].counts[seen_in(labels)] += 1
    shown = [flt.camera_id] if flt.camera_id is not None else list(cameras)
    return [
        DayGroup(
            day=day,
            title=day_name(day, today),
            relative=day in (today, today - timedelta(days=1)),
            rows=day_rows,
            strips=[
                CameraStrip(
                    camera_id, cameras[camera_id], counts.get((day, camera_id)) or empty_hours()
                )
                for camera_id in shown
                if camera_id in cameras
            ],
        )
        for day, day_rows in by_day.items()
    ]


def empty_hours() -> list[HourCell]:
    return [HourCell(hour) for hour in HOURS]
