"""Each camera's learned fingerprint (`core.fingerprint.LearnedFingerprint`)."""

from __future__ import annotations

import json

import sqlite_utils

from core.catalog import atomic, utcnow
from core.fingerprint import ClipFingerprint, LearnedFingerprint


def get_fingerprint(db: sqlite_utils.Database, camera_id: int) -> LearnedFingerprint | None:
    row = db.execute(
        "SELECT fingerprint_json, samples FROM camera_fingerprints WHERE camera_id = ?",
        [camera_id],
    ).fetchone()
    if row is None:
        return None
    return LearnedFingerprint.from_json(json.loads(row[0]), row[1])


def learn_fingerprint(
    db: sqlite_utils.Database,
    camera_id: int,
    clip: ClipFingerprint,
    job_id: str,
    *,
    until_samples: int | None,
) -> LearnedFingerprint:
    """Add one accepted clip to the camera's fingerprint while it has fewer than
    ``until_samples`` clips (``None``: always, as when an owner accepts a quarantined clip).

    Read and write in one IMMEDIATE transaction, so two workers learning at once both count.
    """
    with atomic(db):
        row = db.execute(
            "SELECT fingerprint_json, samples, source_jobs FROM camera_fingerprints"
            " WHERE camera_id = ?",
            [camera_id],
        ).fetchone()
        if row is None:
            learned, sources = LearnedFingerprint(), []
        else:
            learned = LearnedFingerprint.from_json(json.loads(row[0]), row[1])
            sources = json.loads(row[2])
        if until_samples is not None and learned.is_complete(until_samples):
            return learned
        if job_id in sources:
            return learned  # a retried job is learned once
        learned = learned.learn(clip)
        db.execute(
            "INSERT INTO camera_fingerprints (camera_id, samples, fingerprint_json, source_jobs,"
            " updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(camera_id) DO UPDATE SET"
            " samples = excluded.samples, fingerprint_json = excluded.fingerprint_json,"
            " source_jobs = excluded.source_jobs, updated_at = excluded.updated_at",
            [
                camera_id,
                learned.samples,
                json.dumps(learned.to_json(), sort_keys=True),
                json.dumps([*sources, job_id][-100:]),
                utcnow(),
            ],
        )
    return learned


def forget_fingerprint(db: sqlite_utils.Database, camera_id: int) -> None:
    """Learn again from the next clips (e.g. after the camera was replaced)."""
    with atomic(db):
        db.execute("DELETE FROM camera_fingerprints WHERE camera_id = ?", [camera_id])
