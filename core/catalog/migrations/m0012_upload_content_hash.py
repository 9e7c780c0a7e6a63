"""jobs.content_sha256: the uploaded bytes' SHA-256, so that a camera's retry is indexed once."""

import sqlite_utils


def apply(db: sqlite_utils.Database) -> None:
    # NULL for jobs from before: they are never taken for a retry's original.
    if "content_sha256" not in db["jobs"].columns_dict:
        db.execute("ALTER TABLE jobs ADD COLUMN content_sha256 TEXT")
    db.execute("CREATE INDEX IF NOT EXISTS idx_jobs_camera_name ON jobs(camera_id, original_name)")
