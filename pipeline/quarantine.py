"""What happens to a quarantined clip: its owner accepts it (the fingerprint learns the new
encoder settings and the clip is indexed), discards it, or it expires.

The clip waits in the media store every node shares (`core.clipstore`), so the owner may accept
it through any web node; the acceptance claims the job like a pipeline worker, so two nodes
accepting at once index it once.

A discarded or expired clip ends like a rejection: the file goes, a metadata-only rejection
row (`fingerprint_mismatch`) stays for the admin. `expire_quarantine` is the scheduler's.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from datetime import datetime

import sqlite_utils

from core.catalog import NotFound, atomic, jobs
from core.catalog.fingerprints import learn_fingerprint
from core.catalog.quarantine import (
    QuarantinedClip,
    delete_quarantined,
    get_quarantined,
    quarantined_due,
)
from core.catalog.rejections import insert_rejection
from core.catalog.states import JobState
from core.catalog.times import iso
from core.clipstore import ClipStore
from core.fingerprint import ClipFingerprint
from core.settings import Settings
from pipeline.processor import ClipProcessor
from pipeline.signature.stages import FINGERPRINT_MISMATCH

logger = logging.getLogger(__name__)


def accept_quarantined(
    db: sqlite_utils.Database,
    settings: Settings,
    quarantine_id: int,
    *,
    owner_id: int | None = None,
) -> int:
    """The owner confirms the clip is theirs: learn its settings, index it; returns the
    recording id. ``owner_id`` restricts to that owner's clips (NotFound otherwise)."""
    row = get_quarantined(db, quarantine_id, owner_id=owner_id)
    node = settings.pipeline.node_name
    worker = f"quarantine-accept@{node}:{os.getpid()}.{threading.get_ident()}"
    if not jobs.claim_job(db, row["job_id"], worker, settings.pipeline.lease_s):
        raise NotFound(f"quarantined clip {quarantine_id} (being accepted elsewhere)")
    try:
        job = jobs.get_job(db, row["job_id"])
        processor = ClipProcessor(settings, db, worker)
        if job["state"] == JobState.QUARANTINED:
            probe = json.loads(job["probe_json"] or "{}")
            learn_fingerprint(
                db,
                job["camera_id"],
                ClipFingerprint.from_probe(probe),
                job["id"],
                until_samples=None,
            )
            clip = processor.clips.quarantined_clip(row["path"])
            recording_id = processor.index_stored(job, clip)
        else:
            recording_id = job["recording_id"]
        processor.clips.delete_quarantined(row["path"])  # a bucket's copy; a folder's moved
        with atomic(db):
            delete_quarantined(db, quarantine_id)
    finally:
        jobs.release_job(db, row["job_id"], worker)
    logger.info(
        "quarantine %s (job %s, camera %s) accepted as recording %s",
        quarantine_id,
        job["id"],
        job["camera_id"],
        recording_id,
    )
    return recording_id


def discard_quarantined(
    db: sqlite_utils.Database,
    clipstore: ClipStore,
    quarantine_id: int,
    *,
    owner_id: int | None = None,
) -> None:
    row = get_quarantined(db, quarantine_id, owner_id=owner_id)
    _drop(db, clipstore, row, "discarded by its owner")


def expire_quarantine(db: sqlite_utils.Database, clipstore: ClipStore, now: datetime) -> list[str]:
    """Drop every quarantined clip whose time ran out; returns their job ids (for the scheduler)."""
    expired = []
    for row in quarantined_due(db, iso(now)):
        _drop(db, clipstore, row, "not confirmed by its owner in time")
        expired.append(row["job_id"])
    return expired


def _drop(db: sqlite_utils.Database, clipstore: ClipStore, row: QuarantinedClip, why: str) -> None:
    # File first: a crash after it leaves a row whose file is gone, and the next pass simply
    # finishes; the other order could leave a file no row points to.
    clipstore.delete_quarantined(row["path"])
    job = jobs.get_job(db, row["job_id"])
    with atomic(db):
        if job["state"] == JobState.QUARANTINED:
            detail = f"{why}; {row['detail'] or ''}".rstrip("; ")
            insert_rejection(db, job, FINGERPRINT_MISMATCH, detail)
            jobs.advance_job(
                db, job["id"], JobState.REJECTED, reason=FINGERPRINT_MISMATCH, detail=detail
            )
        delete_quarantined(db, row["id"])
    logger.info(
        "quarantine %s (job %s, camera %s) dropped: %s", row["id"], job["id"], job["camera_id"], why
    )
