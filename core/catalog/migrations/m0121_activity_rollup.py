"""Alarms per camera and quarter hour by what they showed, and recordings per camera and label.

The recordings page across all of an account's cameras counted every alarm of the days it
shows for its activity strips, and a label filter read every row of cameras that never saw
that label (0.3-2.2 s at 1 M recordings). `core.catalog.activity` keeps these rows up to date
in the transaction that changes recordings or their labels; here they are filled from what an
upgraded catalog already holds. A slot is a quarter hour of UTC, ``YYYY-MM-DDTHH:MM``, cut from
``started_at``; each recording counts once in its slot, under its most telling label (person,
vehicle, animal, false alarm; motion without any of them).
"""

import sqlite_utils

SLOT = (
    "substr(r.started_at, 1, 14) || CASE WHEN substr(r.started_at, 15, 2) < '15' THEN '00'"
    " WHEN substr(r.started_at, 15, 2) < '30' THEN '15'"
    " WHEN substr(r.started_at, 15, 2) < '45' THEN '30' ELSE '45' END"
)
SEEN_RANK = (
    "coalesce(max(CASE l.label WHEN 'person' THEN 4 WHEN 'vehicle' THEN 3 WHEN 'animal' THEN 2"
    " WHEN 'false_alarm' THEN 1 ELSE 0 END), 0)"
)

SCHEMA = f"""
CREATE TABLE camera_activity (
    camera_id INTEGER NOT NULL REFERENCES cameras(id) ON DELETE CASCADE,
    slot TEXT NOT NULL,
    person INTEGER NOT NULL DEFAULT 0,
    vehicle INTEGER NOT NULL DEFAULT 0,
    animal INTEGER NOT NULL DEFAULT 0,
    false_alarm INTEGER NOT NULL DEFAULT 0,
    motion INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (camera_id, slot)
);
CREATE TABLE camera_labels (
    camera_id INTEGER NOT NULL REFERENCES cameras(id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    recordings INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (camera_id, label)
);
INSERT INTO camera_activity (camera_id, slot, person, vehicle, animal, false_alarm, motion)
    SELECT camera_id, slot,
        sum(CASE WHEN seen_rank = 4 THEN 1 ELSE 0 END),
        sum(CASE WHEN seen_rank = 3 THEN 1 ELSE 0 END),
        sum(CASE WHEN seen_rank = 2 THEN 1 ELSE 0 END),
        sum(CASE WHEN seen_rank = 1 THEN 1 ELSE 0 END),
        sum(CASE WHEN seen_rank = 0 THEN 1 ELSE 0 END)
    FROM (SELECT r.camera_id, {SLOT} AS slot, {SEEN_RANK} AS seen_rank FROM recordings r
        LEFT JOIN recording_labels l ON l.recording_id = r.id
        GROUP BY r.id, r.camera_id, r.started_at) AS counted
    GROUP BY camera_id, slot;
INSERT INTO camera_labels (camera_id, label, recordings)
    SELECT r.camera_id, l.label, count(*) FROM recording_labels l
    JOIN recordings r ON r.id = l.recording_id GROUP BY r.camera_id, l.label
"""  # noqa: S608 - the two expressions above are constants


def apply(db: sqlite_utils.Database) -> None:
    for statement in SCHEMA.split(";\n"):
        if statement.strip():
            db.execute(statement)
