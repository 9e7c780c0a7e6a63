"""Turn one spooled upload into a recording or a rejection, resumably.

Every step is either idempotent or committed together with the job's new state, so a crash at
any point resumes from the last committed state: nothing is lost and nothing is indexed twice.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils

from pipeline import spool
from pipeline.camera_models import CameraModel, load_model_table
from pipeline.catalog import NotFound, atomic, jobs
from pipeline.catalog import cameras as camera_rows
from pipeline.catalog.recordings import get_recording_by_job, insert_recording
from pipeline.catalog.rejections import insert_rejection
from pipeline.clipstore import ClipStore
from pipeline.media.poster import write_poster
from pipeline.settings import Settings
from pipeline.signature.stages import check_upload
from pipeline.signature.verdict import Verdict
from pipeline.timestamps import started_at_from_name

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
CLAIM_STALE_S = 600
CONTAINER_EXT = {"avi": "avi"}


class ClipProcessor:
    """Processes spooled uploads for one worker; safe to call again for the same folder."""

    def __init__(self, settings: Settings, db: sqlite_utils.Database, worker_id: str) -> None:
        self.settings = settings
        self.db = db
        self.worker_id = worker_id
        self.clips = ClipStore(settings.storage)
        self.models: dict[str, CameraModel] = load_model_table(
            settings.validation.extra_camera_models
        )

    def process(self, folder: Path) -> str | None:
        """Process the upload in ``folder``; returns the job's final state or None if skipped."""
        started = time.monotonic()
        try:
            upload = spool.read_upload(folder)
        except FileNotFoundError:
            return None  # already handled and removed by another pass
        except (OSError, ValueError, TypeError) as error:
            logger.error("spool: unreadable upload folder %s (%s); removed", folder.name, error)
            spool.remove_upload(folder)
            return None
        camera = self._camera(upload.camera_id)
        job = jobs.register_job(
            self.db,
            {
                **upload.__dict__,
                "camera_id": camera["id"] if camera else None,
            },
        )
        if job["state"] not in jobs.OPEN_STATES:
            if job["state"] in jobs.FINAL_STATES:
                spool.remove_upload(folder)
            return job["state"]
        stale = (datetime.now(UTC) - timedelta(seconds=CLAIM_STALE_S)).isoformat()
        if not jobs.claim_job(self.db, job["id"], self.worker_id, stale):
            return None
        try:
            return self._run(folder, upload, camera, started)
        except Exception:
            logger.exception("job %s: processing failed", job["id"])
            self._after_failure(job["id"])
            return None
        finally:
            jobs.release_job(self.db, job["id"])

    def _run(self, folder: Path, upload: spool.UploadMeta, camera, started: float) -> str:
        job = jobs.get_job(self.db, upload.upload_id)
        clip = spool.clip_path(folder)
        if job["state"] == jobs.RECEIVED:
            model = self.models.get(camera["model"]) if camera else None
            verdict = check_upload(camera, model, clip, self.settings.validation)
            if not verdict.accepted:
                self._reject(job, folder, verdict, started)
                return jobs.REJECTED
            started_at = started_at_from_name(
                upload.original_name,
                self.settings.pipeline.timestamp_patterns,
                self.settings.pipeline.camera_timezone,
                fallback=job["received_at"],
            )
            jobs.advance_job(
                self.db,
                job["id"],
                jobs.VALIDATED,
                probe=verdict.probe,
                lane=verdict.lane,
                started_at=started_at,
            )
            job = jobs.get_job(self.db, job["id"])
        self._index(job, folder, started)
        return jobs.INDEXED

    def _index(self, job: dict[str, Any], folder: Path, started: float) -> None:
        probe = json.loads(job["probe_json"] or "{}")
        ext = CONTAINER_EXT.get(probe.get("sniffed", ""), "mp4")
        relpath = self.clips.recording_relpath(job["camera_id"], job["started_at"], job["id"], ext)
        stored = self.clips.move_in(spool.clip_path(folder), relpath)
        thumb_rel = self.clips.thumb_relpath(relpath)
        has_poster = write_poster(stored, self.clips.thumb_file(thumb_rel))
        with atomic(self.db):
            recording_id = insert_recording(
                self.db,
                {
                    "camera_id": job["camera_id"],
                    "job_id": job["id"],
                    "started_at": job["started_at"],
                    "received_at": job["received_at"],
                    "duration_s": round(probe["duration_s"], 3),
                    "width": probe["width"],
                    "height": probe["height"],
                    "fps": probe["fps"],
                    "frame_count": probe["frame_count"],
                    "codec": probe["codec"],
                    "container": probe.get("sniffed", "mp4"),
                    "size_bytes": stored.stat().st_size,
                    "path": relpath,
                    "thumb_path": thumb_rel if has_poster else None,
                    "original_name": job["original_name"],
                },
            )
            jobs.advance_job(self.db, job["id"], jobs.INDEXED, recording_id=recording_id)
        spool.remove_upload(folder)
        log_clip(job, "indexed", None, probe.get("duration_s"), started, recording_id)

    def _reject(self, job: dict[str, Any], folder: Path, verdict: Verdict, started: float) -> None:
        # The row is committed first: if we crash before the delete, the retry sees a final
        # state and only removes the folder.
        with atomic(self.db):
            insert_rejection(self.db, job, verdict.reason or "rejected", verdict.detail)
            jobs.advance_job(
                self.db, job["id"], jobs.REJECTED, reason=verdict.reason, detail=verdict.detail
            )
        spool.remove_upload(folder)
        log_clip(job, "rejected", verdict.reason, verdict.probe.get("duration_s"), started)

    def _after_failure(self, job_id: str) -> None:
        job = jobs.get_job(self.db, job_id)
        if job["attempts"] >= MAX_ATTEMPTS:
            # Keep the upload: an accepted clip is never dropped because of our own bug.
            jobs.advance_job(self.db, job_id, jobs.FAILED, reason="processing_error")
            logger.error("job %s: gave up after %d attempts; upload kept in spool", job_id,
                         job["attempts"])

    def _camera(self, camera_id: int | None) -> dict[str, Any] | None:
        if camera_id is None:
            return None
        try:
            return camera_rows.get_camera(self.db, camera_id)
        except NotFound:
            return None

    def recording_for(self, job_id: str) -> dict[str, Any] | None:
        return get_recording_by_job(self.db, job_id)


def log_clip(
    job: dict[str, Any],
    outcome: str,
    reason: str | None,
    duration_s: float | None,
    started: float,
    recording_id: int | None = None,
) -> None:
    """The one fixed-format line per clip that admins grep in the journal."""
    logger.info(
        "clip camera=%s job=%s outcome=%s reason=%s duration=%s ms=%d recording=%s",
        job.get("camera_id"),
        job["id"],
        outcome,
        reason or "-",
        f"{duration_s:.1f}s" if duration_s is not None else "-",
        (time.monotonic() - started) * 1000,
        recording_id if recording_id is not None else "-",
    )
