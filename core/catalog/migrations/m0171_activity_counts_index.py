"""The activity roll-up's counts in an index of their own, in the order the strips read them.

The recordings page reads a day of quarter-hour slots for each of the viewer's cameras
(`core.catalog.activity.slot_counts`: 4 032 rows for 42 cameras). The rows of one camera's day
were written at different times between those of every other camera, so through the primary
key each row cost a read of its own table page: 1 316 pages for a day of 42 cameras on
PostgreSQL 15 (200 k recordings; 4.4-7 ms a day, EXPLAIN ANALYZE 13 ms). With the counts in
the index the read is the index's range alone (an index-only scan: 169 pages, 1.8 ms; 2.7 ms
through the app). It costs an index entry written with each change of a slot's counts.
"""

import sqlite_utils

SCHEMA = """
CREATE INDEX idx_camera_activity_counts
 ON camera_activity(camera_id, slot, person, vehicle, animal, false_alarm, motion)
"""


def apply(db: sqlite_utils.Database) -> None:
    db.execute(SCHEMA)
