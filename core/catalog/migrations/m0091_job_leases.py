"""jobs.lease_until: a claim holds a job until then, so a worker whose node died gives its
clips back by itself and another node takes them over.

A claim from before gets the lease it had: ten minutes from when it was taken. The index
serves "the oldest claimable job in this state".
"""

from datetime import datetime, timedelta

import sqlite_utils

EARLIER_CLAIM_S = 600  # how long a claim held before leases (pipeline's CLAIM_STALE_S)

SCHEMA = """
ALTER TABLE jobs ADD COLUMN lease_until TEXT;
CREATE INDEX idx_jobs_state_waiting ON jobs(state, updated_at, id)
"""


def apply(db: sqlite_utils.Database) -> None:
    for statement in SCHEMA.split(";\n"):
        if statement.strip():
            db.execute(statement)
    claims = db.execute(
        "SELECT id, claimed_at FROM jobs WHERE claimed_by IS NOT NULL AND claimed_at IS NOT NULL"
    ).fetchall()
    for job_id, claimed_at in claims:
        until = datetime.fromisoformat(claimed_at) + timedelta(seconds=EARLIER_CLAIM_S)
        db.execute(
            "UPDATE jobs SET lease_until = ? WHERE id = ?",
            [until.isoformat(timespec="seconds"), job_id],
        )
