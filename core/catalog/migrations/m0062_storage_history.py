"""Storage used per camera, one row per day: the statistics page draws it over time.

Written by the pipeline's daily storage count (`core.catalog.storage_stats`); empty on an
upgraded catalog until that count first runs (the page says so).
"""

import sqlite_utils

SCHEMA = """
CREATE TABLE storage_history (
    camera_id INTEGER NOT NULL REFERENCES cameras(id) ON DELETE CASCADE,
    day TEXT NOT NULL,
    recordings INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    PRIMARY KEY (camera_id, day)
)
"""


def apply(db: sqlite_utils.Database) -> None:
    db.execute(SCHEMA)
