"""Which jobs run, and how often (intervals from ``[schedule]``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from core.settings import Settings
from pipeline.scheduler.inactive_accounts import warn_and_delete_inactive_accounts
from pipeline.scheduler.retention import (
    expire_upload_records,
    retention_by_days,
    retention_by_quota,
)
from pipeline.scheduler.upkeep import database_upkeep, storage_statistics
from pipeline.scheduler.validation_jobs import (
    evaluate_fair_use_ladder,
    expire_quarantined_clips,
    release_delayed_lane,
)

JobFunction = Callable[[sqlite_utils.Database, Settings, datetime], dict]


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    run: JobFunction
    interval_s: int


def scheduled_jobs(settings: Settings) -> list[ScheduledJob]:
    schedule = settings.schedule
    return [
        ScheduledJob("retention_by_days", retention_by_days, schedule.retention_interval_s),
        ScheduledJob("retention_by_quota", retention_by_quota, schedule.retention_interval_s),
        ScheduledJob("upload_records", expire_upload_records, schedule.retention_interval_s),
        ScheduledJob(
            "inactive_accounts", warn_and_delete_inactive_accounts, schedule.accounts_interval_s
        ),
        ScheduledJob("expire_quarantine", expire_quarantined_clips, schedule.quarantine_interval_s),
        ScheduledJob("release_delayed", release_delayed_lane, schedule.delayed_interval_s),
        ScheduledJob("fair_use", evaluate_fair_use_ladder, schedule.fair_use_interval_s),
        ScheduledJob("storage_statistics", storage_statistics, schedule.storage_stats_interval_s),
        ScheduledJob("database_upkeep", database_upkeep, schedule.upkeep_interval_s),
    ]
