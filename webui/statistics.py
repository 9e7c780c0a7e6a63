"""Statistics per account and per camera: alarms per day over 30 days, the share of false
alarms and their causes, what was seen, and storage used over time, as server-drawn SVG charts
(`webui.charts`) each with the same figures as a table.

Days are the viewer's; the catalog is asked for hour buckets in UTC over indexed ranges
(`core.catalog.statistics`) and the buckets are put into local days here.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Blueprint, g, render_template, request
from flask_babel import gettext, lazy_gettext

from core.catalog.cameras import list_cameras
from core.catalog.statistics import (
    HOUR_BUCKET,
    MINUTE_BUCKET,
    alarm_buckets,
    label_counts,
    storage_by_day,
    stored_now,
)
from core.timestamps import in_zone, local_window, zone_or_utc
from webui.auth import login_required
from webui.charts import Bar, column_chart, line_chart, row_chart
from webui.db import get_db
from webui.formatting import format_size, local_now, viewer_zone
from webui.ids import parse_id
from webui.ownership import camera_or_404
from webui.recordings import LABELS

bp = Blueprint("statistics", __name__, url_prefix="/statistics")

DAYS = 30
# What `pipeline.detection.timeline.false_alarm_cause` names, in the owner's words.
CAUSES = {
    "rain": lazy_gettext("Rain or snow"),
    "lighting": lazy_gettext("Light changed"),
    "close_to_lens": lazy_gettext("Something close to the lens (insect, spider web)"),
    "foliage_or_unknown": lazy_gettext("Moving plants or unknown"),
}


@dataclass
class DayFigures:
    day: date
    alarms: int = 0
    checked: int = 0
    false_alarms: int = 0


@dataclass
class Figures:
    """Everything the page shows, for the cameras chosen and the last DAYS local days."""

    days: list[DayFigures]
    causes: Counter[str] = field(default_factory=Counter)
    labels: dict[str, int] = field(default_factory=dict)
    storage: list[tuple[date, int | None]] = field(default_factory=list)
    stored_recordings: int = 0
    stored_bytes: int = 0

    @property
    def alarms(self) -> int:
        return sum(day.alarms for day in self.days)

    @property
    def checked(self) -> int:
        return sum(day.checked for day in self.days)

    @property
    def false_alarms(self) -> int:
        return sum(day.false_alarms for day in self.days)

    @property
    def false_share(self) -> float | None:
        """False alarms among the alarms the false-alarm check looked at."""
        return self.false_alarms / self.checked if self.checked else None


def _bucket_chars(zone: str | None, first: date, last: date) -> int:
    """Hours are enough unless the zone's offset has minutes (India, Nepal …) in the range."""
    info = zone_or_utc(zone)
    for day in (first, last):
        offset = datetime.combine(day, datetime.min.time(), info).utcoffset() or timedelta()
        if offset.total_seconds() % 3600:
            return MINUTE_BUCKET
    return HOUR_BUCKET


def _bucket_start(bucket: str) -> datetime:
    text = bucket + (":00" if len(bucket) == HOUR_BUCKET else "")
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def collect_figures(camera_ids: list[int], zone: str | None, today: date) -> Figures:
    db = get_db()
    first = today - timedelta(days=DAYS - 1)
    start, _ = local_window(first, zone)
    _, end = local_window(today, zone)
    days = {first + timedelta(days=n): DayFigures(first + timedelta(days=n)) for n in range(DAYS)}
    figures = Figures(days=list(days.values()))
    for bucket in alarm_buckets(db, camera_ids, start, end, _bucket_chars(zone, first, today)):
        day = days.get(in_zone(_bucket_start(bucket.bucket), zone).date())
        if day is None:
            continue
        day.alarms += bucket.alarms
        day.checked += bucket.checked
        day.false_alarms += bucket.false_alarms
        if bucket.cause:
            figures.causes[bucket.cause] += bucket.alarms
    figures.labels = label_counts(db, camera_ids, start, end)
    measured = storage_by_day(db, camera_ids, first.isoformat(), today.isoformat())
    figures.storage = [
        (day, measured[day.isoformat()][1] if day.isoformat() in measured else None) for day in days
    ]
    figures.stored_recordings, figures.stored_bytes = stored_now(db, camera_ids)
    if figures.storage and figures.storage[-1][1] is None:
        # Not measured yet today: today's point is what is stored now.
        figures.storage[-1] = (today, figures.stored_bytes)
    return figures


def _charts(figures: Figures) -> dict[str, Any]:
    days = figures.days
    day_bars = [
        Bar(f"{day.day.day}.{day.day.month}.", day.alarms, part=day.false_alarms) for day in days
    ]
    busiest = max(days, key=lambda day: day.alarms)
    alarms_desc = gettext(
        "%(alarms)d alarms in %(days)d days, %(false)d of them false alarms; the busiest day "
        "was %(day)s with %(most)d.",
        alarms=figures.alarms,
        days=len(days),
        false=figures.false_alarms,
        day=busiest.day.isoformat(),
        most=busiest.alarms,
    )
    causes = sorted(figures.causes.items(), key=lambda item: -item[1])
    cause_bars = [
        Bar(str(CAUSES.get(cause, cause)), count, css="bar false") for cause, count in causes
    ]
    seen = sorted(figures.labels.items(), key=lambda item: -item[1])
    seen_bars = [
        Bar(str(LABELS.get(label, label)), count, css=f"seen-{label}") for label, count in seen
    ]
    return {
        "alarms": column_chart(
            gettext("Alarms per day"),
            alarms_desc,
            day_bars,
            label_every=5,
            value_text=lambda value: f"{value:.0f}",
        ),
        "causes": row_chart(
            gettext("Causes of false alarms"),
            "; ".join(f"{bar.label}: {bar.value:.0f}" for bar in cause_bars)
            or gettext("No false alarms."),
            cause_bars,
            value_text=lambda value: f"{value:.0f}",
        )
        if cause_bars
        else None,
        "seen": row_chart(
            gettext("What was seen"),
            "; ".join(f"{bar.label}: {bar.value:.0f}" for bar in seen_bars),
            seen_bars,
            value_text=lambda value: f"{value:.0f}",
        )
        if seen_bars
        else None,
        "storage": line_chart(
            gettext("Storage used"),
            "; ".join(
                f"{day.isoformat()}: {format_size(size)}"
                for day, size in figures.storage
                if size is not None
            ),
            [(f"{day.day}.{day.month}.", size) for day, size in figures.storage],
            label_every=5,
            value_text=format_size,
        )
        if any(size is not None for _, size in figures.storage)
        else None,
    }


@bp.route("")
@login_required
def index():
    cameras = list_cameras(get_db(), g.user["id"])
    camera_id = parse_id(request.args.get("camera"))
    camera = camera_or_404(camera_id) if camera_id is not None else None
    chosen = [camera["id"]] if camera else [row["id"] for row in cameras]
    figures = collect_figures(chosen, viewer_zone(), local_now().date())
    return render_template(
        "statistics/index.html",
        cameras=cameras,
        camera=camera,
        figures=figures,
        charts=_charts(figures),
        causes=CAUSES,
        labels=LABELS,
    )
