"""The validation engineer's time-driven rules (quarantine expiry, the delayed lane, fair use),
adapted to the job signature ``(db, settings, now) -> summary``."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import sqlite_utils

from core.catalog.delayed import release_delayed
from core.clipstore import ClipStore
from core.settings import Settings
from pipeline.fairuse.monitor import evaluate_fair_use
from pipeline.quarantine import expire_quarantine


def expire_quarantined_clips(db: sqlite_utils.Database, settings: Settings, now: datetime) -> dict:
    """Quarantined clips their owner did not confirm in time are deleted (and rejected)."""
    return {"expired": len(expire_quarantine(db, ClipStore(settings.storage), now))}


def release_delayed_lane(db: sqlite_utils.Database, settings: Settings, now: datetime) -> dict:
    """Delayed clips whose time has come go back to ``validated`` for the workers."""
    return {"released": len(release_delayed(db, now))}


def evaluate_fair_use_ladder(db: sqlite_utils.Database, settings: Settings, now: datetime) -> dict:
    """Move cameras along the fair-use ladder; the summary counts the steps by target state."""
    steps = Counter(transition.to_state for transition in evaluate_fair_use(db, settings, now))
    return {"transitions": sum(steps.values()), **{f"to_{state}": n for state, n in steps.items()}}
