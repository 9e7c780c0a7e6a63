"""Per-camera file-name time zone, the viewer's time zone, and the reviewed state of recordings.

All three columns are NULL on an upgraded catalog: a camera without a zone keeps the global
``pipeline.camera_timezone``, a user without one sees UTC until the browser tells us its zone,
and every existing recording starts as unreviewed.
"""

import sqlite_utils

SCHEMA = """
ALTER TABLE cameras ADD COLUMN file_timezone TEXT;
ALTER TABLE users ADD COLUMN timezone TEXT;
ALTER TABLE recordings ADD COLUMN reviewed_at TEXT;
CREATE INDEX idx_recordings_unreviewed ON recordings(camera_id, started_at DESC, id DESC)
    WHERE reviewed_at IS NULL
"""


def apply(db: sqlite_utils.Database) -> None:
    for statement in SCHEMA.split(";\n"):
        if statement.strip():
            db.execute(statement)
