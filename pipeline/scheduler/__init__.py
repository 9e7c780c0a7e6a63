"""Jobs the pipeline daemon runs on a schedule (retention, inactive accounts, upkeep …).

Every job is a plain function ``job(db, settings, now) -> summary`` so tests drive it with a
controlled clock; `pipeline.scheduler.runner` runs them on apscheduler and records each run in
the catalog, so a run missed while the daemon was down is caught up once after a restart.
"""

from __future__ import annotations

from datetime import UTC, datetime


def catalog_time(moment: datetime) -> str:
    """``moment`` as the catalog stores times: ISO 8601, UTC, seconds."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")
