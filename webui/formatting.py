"""How times, durations and sizes read on the page, in mails and in the API.

Times are stored in UTC and always shown in the viewer's zone (the account's ``timezone``,
UTC until it is known); `viewer_zone` is the one place that decides whose zone that is. Dates
and numbers follow the page's language (`webui.i18n`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask import Flask, g
from flask_babel import format_date, format_decimal, gettext, lazy_gettext

from core.catalog.users import get_user
from core.notification_rules import FAIRUSE_STATE_NAMES
from core.timestamps import format_local, in_zone, iso_in_zone, local_window
from webui.db import get_db
from webui.i18n import page_language


def viewer_zone() -> str | None:
    """The IANA zone of whoever is looking: the logged-in user, or the API token's owner."""
    token = g.get("api_token")
    if token:  # first: a browser session may be another account's than the token's
        if "viewer_zone" not in g:
            g.viewer_zone = get_user(get_db(), token["user_id"]).get("timezone")
        return g.viewer_zone
    user = g.get("user")
    return user.get("timezone") if user else None


def format_time(value: str | None) -> str:
    """``2026-11-25 14:05:01 CET`` in the viewer's zone (German: ``25.11.2026, 14:05:01 MEZ``)."""
    return format_local(value, viewer_zone(), page_language())


def api_time(value: str | None) -> str | None:
    """ISO 8601 with the viewer's offset, for API fields (``2026-11-25T14:05:01+01:00``)."""
    return iso_in_zone(value, viewer_zone())


def local_now() -> datetime:
    return in_zone(datetime.now(UTC), viewer_zone())


def viewer_today() -> tuple[str, str]:
    """The viewer's today as UTC bounds."""
    return local_window(local_now().date(), viewer_zone())


def day_name(day: date, today: date) -> str:
    """A day heading: "Today", "Yesterday", else "Tuesday, 24 November 2026" (in the page's
    language: "Dienstag, 24. November 2026")."""
    if day == today:
        return gettext("Today")
    if day == today - timedelta(days=1):
        return gettext("Yesterday")
    return format_date(day, gettext("EEEE, d MMMM y"))


def format_clock(value: str | None) -> str:
    """Only the wall-clock time, for lists already grouped by day: ``14:05:01``."""
    if not value:
        return "-"
    try:
        return in_zone(value, viewer_zone()).strftime("%H:%M:%S")
    except ValueError:
        return value


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = float(seconds)
    if seconds < 60:
        return f"{format_decimal(seconds, '0.0')} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def format_size(size: int | None) -> str:
    if size is None:
        return "-"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{format_decimal(value, '0' if unit == 'B' else '0.0')} {unit}"
        value /= 1024
    return f"{format_decimal(value, '0.0')} TB"


def format_number(value: float | None) -> str:
    """A number as the page's language writes it: ``12.5`` / ``12,5``."""
    return "-" if value is None else format_decimal(value)


def register_filters(app: Flask) -> None:
    app.add_template_filter(format_number, "decimal")
    app.jinja_env.globals["fairuse_names"] = {
        state: lazy_gettext(name) for state, name in FAIRUSE_STATE_NAMES.items()
    }
    app.add_template_filter(format_time, "when")
    app.add_template_filter(format_clock, "clock")
    app.add_template_filter(format_duration, "duration")
    app.add_template_filter(format_size, "filesize")
