"""The clip's animated preview (a WebP beside its poster, made during analysis).

NULL on an upgraded catalog: recordings analysed before have no preview; the list shows their
poster as before, and ``alarmvault recordings redetect`` makes one.
"""

import sqlite_utils


def apply(db: sqlite_utils.Database) -> None:
    db.execute("ALTER TABLE recordings ADD COLUMN preview_path TEXT")
