"""recordings.playback_path: the H.264 MP4 made for browsers from an AVI or H.265 clip."""

import sqlite_utils


def apply(db: sqlite_utils.Database) -> None:
    # Relative to the recordings root like `path`; NULL where the original plays as it is.
    if "playback_path" not in db["recordings"].columns_dict:
        db.execute("ALTER TABLE recordings ADD COLUMN playback_path TEXT")
