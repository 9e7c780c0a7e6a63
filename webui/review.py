"""Review, not browse: the recordings list in the viewer's days ("Today", "Yesterday", dates),
each day with a 24-hour activity strip per camera whose hours are links that filter the list,
and the unreviewed count the menu and the dashboard show."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

import sqlite_utils
from flask_babel import gettext, lazy_gettext, ngettext
from markupsafe import Markup, escape

from core.catalog.activity import Seen, slot_counts
from core.catalog.browse import RecordingFilter
from core.timestamps import in_zone, local_window
from webui.formatting import day_name

HOURS = range(24)
# Each hour's "HH:00" start and end, as the strips name them.
HOUR_SPANS = tuple((f"{hour:02d}:00", f"{hour + 1:02d}:00") for hour in HOURS)

SEEN_NAMES = {
    Seen.PERSON: lazy_gettext("person"),
    Seen.VEHICLE: lazy_gettext("vehicle"),
    Seen.ANIMAL: lazy_gettext("animal"),
    Seen.FALSE_ALARM: lazy_gettext("false alarm"),
    Seen.MOTION: lazy_gettext("motion only"),
}


# Seen in its order, once: iterating the enum itself costs a generator each time, and the
# strips of a page go through it thousands of times.
SEEN_ORDER = tuple(Seen)


@dataclass
class HourCell:
    hour: int
    # Alarms per Seen, in SEEN_ORDER.
    counts: list[int] = field(default_factory=lambda: [0] * len(SEEN_ORDER))

    @property
    def total(self) -> int:
        return sum(self.counts)

    def segments(self, scale: int, height: int) -> list[tuple[Seen, float, float]]:
        """Stacked bar pieces from the bottom up, ``(seen, y, height)``: ``height`` units
        for ``scale`` alarms."""
        pieces, bottom = [], float(height)
        for seen, count in zip(SEEN_ORDER, self.counts, strict=True):
            if not count:
                continue
            size = max(height * count / scale, 1.5)
            bottom -= size
            pieces.append((seen, round(bottom, 2), round(size, 2)))
        return pieces


class StripCells:
    """The hour cells of the strips as markup, in the viewer's language.

    Built here, not in the template: 42 cameras make a thousand cells, and the template's
    per-cell work (a dozen lookups and translations, a link, the bar pieces) took 150-300 ms
    of the page. The words are translated once per page, a cell's summary and bar made once
    per distinct count, and a cell's link is the strip's address plus the hour (`url_for`
    for each of a thousand links took a third of the page's time). ``base`` is the recordings
    page's address, ``kept`` its filter: an hour links to that camera and hour of the day
    with what is seen and the reviewed state kept (a from/to range gives way to the day); the
    camera, day and hour of ``kept`` mark the cell shown as current.
    """

    def __init__(self, base: str, kept: dict[str, str]) -> None:
        self.base = base
        self.kept = kept
        rest = urlencode([(key, kept[key]) for key in ("label", "state") if key in kept])
        self.rest = str(escape(f"&{rest}")) if rest else ""
        self.seen = [str(SEEN_NAMES[seen]) for seen in SEEN_ORDER]
        # Escaped here: the values put into it are escaped already.
        self.hour_label = str(escape(gettext("%(camera)s, %(start)s to %(end)s, %(summary)s")))
        self._cells: dict[tuple[int, ...], tuple[str, str]] = {}

    def words_and_bar(self, cell: HourCell, scale: int) -> tuple[str, str]:
        """What a screen reader says for the hour ("3 alarms: 2 person, 1 false alarm"),
        HTML-escaped, and its stacked bar (SVG) at the day's ``scale``: once per distinct
        count on the page."""
        key = (scale, *cell.counts)
        found = self._cells.get(key)
        if found is None:
            parts = [
                f"{count} {name}"
                for name, count in zip(self.seen, cell.counts, strict=True)
                if count
            ]
            summary = ngettext(
                "%(num)d alarm: %(seen)s",
                "%(num)d alarms: %(seen)s",
                cell.total,
                seen=", ".join(parts),
            )
            pieces = "".join(
                f'<rect x="1" width="8" y="{y}" height="{height}" class="seen-{seen}"/>'
                for seen, y, height in cell.segments(scale, 24)
            )
            bar = (
                '<svg viewBox="0 0 10 24" preserveAspectRatio="none" aria-hidden="true"'
                f' focusable="false">{pieces}</svg>'
            )
            found = self._cells[key] = (str(escape(summary)), bar)
        return found

    def html(self, group: DayGroup, strip: CameraStrip) -> Markup:
        """The strip's 24 ``<li>``: an idle hour is a blank, an hour with alarms a link with
        its stacked bar (one scale for the day, so strips compare).

        Escaping is done once per page (the label's words), strip (the camera's name, the
        link) or distinct count (the summary), not per cell: escaping commutes with joining
        text, and a page of 42 cameras has a thousand cells."""
        current = None
        if self.kept.get("day") == group.day.isoformat() and self.kept.get("camera") == str(
            strip.camera_id
        ):
            current = self.kept.get("hour")
        query = urlencode({"camera": strip.camera_id, "day": group.day.isoformat(), "hour": ""})
        link = str(escape(f"{self.base}?{query}"))
        camera = str(escape(strip.camera_name))
        items = []
        for cell in strip.hours:
            if not cell.total:
                items.append('<li><span class="hour idle"></span></li>')
                continue
            start, end = HOUR_SPANS[cell.hour]
            summary, bar = self.words_and_bar(cell, group.scale)
            label = self.hour_label % {
                "camera": camera,
                "start": start,
                "end": end,
                "summary": summary,
            }
            chosen = ' aria-current="true"' if current == str(cell.hour) else ""
            items.append(
                f'<li><a class="hour" href="{link}{cell.hour}{self.rest}"{chosen}'
                f' data-hour="{cell.hour}" data-camera="{strip.camera_id}"'
                f' aria-label="{label}" title="{start}\u2013{end} · {summary}">{bar}</a></li>'
            )
        return Markup("".join(items))  # noqa: S704 - every text in it is escaped


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
    # Only the camera of the filter narrows the strips: they show the whole day. ``cameras``
    # are the viewer's own: no other account's counts are read.
    if flt.camera_id is None:
        shown = list(cameras)
    else:
        shown = [flt.camera_id] if flt.camera_id in cameras else []
    counts: dict[tuple[date, int], list[HourCell]] = {}
    local_hours: dict[str, tuple[date, int]] = {}  # the same slots come once per camera
    seen_count = len(SEEN_ORDER)
    for camera_id, slot, *seen in slot_counts(
        db, shown, start, end, by_hour=_whole_hours_off_utc(zone, start, end)
    ):
        day_hour = local_hours.get(slot)
        if day_hour is None:
            local = in_zone(f"{slot}:00+00:00", zone)
            day_hour = local_hours[slot] = (local.date(), local.hour)
        key = (day_hour[0], camera_id)
        cells = counts.get(key)
        if cells is None:
            cells = counts[key] = [HourCell(h) for h in HOURS]
        cell = cells[day_hour[1]].counts
        for index in range(seen_count):
            cell[index] += seen[index]
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
            ],
        )
        for day, day_rows in by_day.items()
    ]


def _whole_hours_off_utc(zone: str | None, start: str, end: str) -> bool:
    """Whether each UTC hour from ``start`` to ``end`` is one hour of ``zone``'s clock: its
    offset is whole hours at both ends (a daylight-saving change within one day moves a
    whole-hour zone by whole hours; Lord Howe's half-hour change shows at one end). Else
    the strips are counted from the quarter-hour slots (India, Nepal, Newfoundland …)."""
    return all(
        (offset := in_zone(moment, zone).utcoffset()) is not None
        and offset.total_seconds() % 3600 == 0
        for moment in (start, end)
    )


def empty_hours() -> list[HourCell]:
    return [HourCell(hour) for hour in HOURS]
