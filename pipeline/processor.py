"""Turn one spooled upload into a recording or a rejection, resumably, in stages.

A clip walks the stages top to bottom, each one function and one job-state transition:

    receive   spool folder      -> job ``received``          (`receive`)
    check     ``received``      -> ``validated`` | ``rejected`` | ``quarantined`` | ``delayed``
    index     ``validated``     -> ``indexed`` (visible; detection off) | ``analysing`` (visible)
    analyse   ``analysing``     -> ``analysed`` (labels, boxes, plates, false-alarm verdict)
    notify    the daemon wakes the notification dispatcher after ``index`` and ``analyse``

``process`` runs receive, check and index (cheap: a clip is visible seconds after its upload);
the daemon runs ``analyse`` from the analysis queue (the jobs in ``analysing``, oldest first).
Everything that reads pixels goes through ``self.media`` (in the daemon: an isolated worker
process). Every stage is idempotent or commits its work together with the job's new state, so a
crash at any point resumes from the last committed state (`resume_point`): nothing is lost and
nothing is indexed twice.

A worker holds the job it works on (`jobs.claim_job`; the daemon's heartbeat keeps the lease).
Every write that takes the job further names this worker as its holder: a worker that lost the
job to another (it was paused or cut off past its lease) gets `ClaimLost`, its transaction
is rolled back, and it lets the clip go; the files both made are the same files (their names
come from the job), so the clip is stored once.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils

from core import spool
from core.camera_models import CameraModel, load_model_table
from core.catalog import NotFound, atomic, jobs
from core.catalog import cameras as camera_rows
from core.catalog.accounts import is_paused
from core.catalog.delayed import release_if_due, set_release_at
from core.catalog.engine import connection_lost
from core.catalog.errors import ClaimLost
from core.catalog.fingerprints import get_fingerprint, learn_fingerprint
from core.catalog.quarantine import insert_quarantined
from core.catalog.recordings import get_recording, get_recording_by_job, insert_recording
from core.catalog.rejections import insert_rejection
from core.catalog.states import FairUseState, JobState
from core.catalog.stills import file_still, gather_stills
from core.catalog.times import iso
from core.clipstore import ClipStore
from core.fingerprint import ClipFingerprint
from core.settings import Settings
from core.storage_space import is_out_of_space
from core.timestamps import started_at_from_name
from core.translation import N_, Phrase
from pipeline.clip_media import ClipMedia, LocalMedia, MediaFailed
from pipeline.detection.stage import AnalysisFailed, DetectionStage
from pipeline.fairuse.monitor import FairUseMonitor
from pipeline.lanes import LONG_CLIP, LaneDecision, decide_lane
from pipeline.media.sniff import JPEG
from pipeline.owner_notices import OwnerNotice, mail_notice, record_notice
from pipeline.signature.inspection import check_upload
from pipeline.signature.stages import DUPLICATE
from pipeline.signature.verdict import UploadVerdict

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
# Tries that never finished (the process died); above this the job is set aside.
CRASH_LIMIT = 6
# Analysis tries before a clip stays visible without labels (its reason says why).
MAX_ANALYSIS_ATTEMPTS = 2
CONTAINER_EXT = {"avi": "avi"}
ANALYSIS_GAVE_UP = "analysis_failed"
# What a clip that found no room waits for, in the one warning of the episode: (what could
# not be stored, where the clip waits).
SPOOL_WAITS = ("the clip", "it stays in the spool")
ANALYSIS_WAITS = ("its analysis (frames, crops)", "it waits for analysis, visible unlabelled")
# The clip log line's reason for an upload filed as a still.
STILL = "still"

# Why an upload was refused before any job row: its camera is gone, or the camera under its id
# is not the login that uploaded it.
CAMERA_GONE = "camera_gone"
LOGIN_MISMATCH = "login_mismatch"

LONG_CLIP_TITLE = N_("Camera %(camera)s uploads clips longer than 18 seconds")
LONG_CLIP_BODY = N_(
    "Camera %(camera)s uploaded a %(seconds)s s alarm clip. INSTAR cameras record 18 s per alarm "
    "(3 s before, 15 s after), so the camera probably runs non-standard firmware or settings. "
    "Longer clips are stored, but processed with a delay."
)
LONG_CLIP_ADVICE = N_(
    "Check the camera's alarm recording length (Alarm > Video: 15 s after the alarm) and install "
    "the vendor's current firmware."
)


class ClipProcessor:
    """Processes spooled uploads for one worker; safe to call again for the same folder."""

    def __init__(
        self,
        settings: Settings,
        db: sqlite_utils.Database,
        worker_id: str,
        media: ClipMedia | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.worker_id = worker_id
        self.lease_s = settings.pipeline.lease_s
        # The daemon passes a `MediaWorker`, so a hostile file's decoder runs in a worker
        # process; tests and the CLI work in this process.
        self.media: ClipMedia = media if media is not None else LocalMedia(settings)
        self.clips = ClipStore(settings.storage)
        # Set by a clip that found no room in the store, until one is stored again: the one
        # log line per episode (`_wait_for_space`).
        self._out_of_space = False
        # Meanwhile one clip per ``poll_interval_s`` tries again (time.monotonic), not every
        # clip of the spool at every rescan: each try costs catalog writes and a copy that
        # runs until the disk is full.
        self._next_try_for_space = 0.0
        self.detection = DetectionStage(settings, db, media)
        self.models: dict[str, CameraModel] = load_model_table(
            settings.validation.extra_camera_models
        )

    def use_catalog(self, db: sqlite_utils.Database) -> None:
        """Go on with ``db``: the worker's catalog connection, opened again after the last was
        lost. A stage cut off by the loss (`process` and `analyse_claimed` raise its error, the
        connection being `connection_lost`) marks nothing failed: the job rests in the state
        its last commit gave it, still claimed by this worker, and is taken up again from there
        (by this worker, which may claim it again, or by another once the lease ran out). The
        cut-off try counts as a try that never finished (`CRASH_LIMIT`), like a crash."""
        self.db = db
        self.detection.db = db

    # -- receive -> check -> index (the daemon's "index" queue) ---------------------------
    def process(self, folder: Path) -> JobState | None:
        """Take the upload in ``folder`` as far as it goes now: visible (``indexed`` or
        ``analysing``), rejected, quarantined or waiting; None if skipped (gone, claimed by
        another worker, or failed this time)."""
        started = time.monotonic()
        if started < self._next_try_for_space:
            return None  # no room in the store a moment ago: the clip waits in the spool
        received = self.receive(folder)
        if received is None or isinstance(received, JobState):
            return received
        upload, job, camera = received
        resumed = self.resume_point(job, folder)
        if resumed is not None:
            return resumed
        job_id = job["id"]
        if not jobs.claim_job(self.db, job_id, self.worker_id, self.lease_s):
            return None
        try:
            job = jobs.get_job(self.db, job_id)
            if job["claimed_by"] != self.worker_id:
                raise ClaimLost(job_id, self.worker_id)  # we were paused past the lease
            if job["state"] not in jobs.OPEN_STATES:
                # Another worker took it further between our look and our claim (its lease
                # ended with its work): the next rescan finds it where it rests.
                return None
            if job["state"] == JobState.RECEIVED:
                state = self.check(job, folder, upload, camera, started)
                if state != JobState.VALIDATED:
                    return state
                job = jobs.get_job(self.db, job_id)
            state = self.index(job, spool.clip_path(folder), started, folder)
            self._space_is_back()
            self._evaluate_fair_use(job)
            return state
        except ClaimLost:
            self._log_lost(job_id)
            return None
        except Exception as error:
            if self._not_the_clips_doing(job_id, error, SPOOL_WAITS):
                return None
            logger.exception("job %s: processing failed", job_id)
            self._after_failure(job_id)
            return None
        finally:
            self._release(job_id)

    def receive(
        self, folder: Path
    ) -> tuple[spool.UploadMeta, dict[str, Any], dict[str, Any]] | JobState | None:
        """Stage 1: the spooled upload and its job (registered as ``received`` on first sight).

        ``rejected`` (file removed, no row written) for an upload whose camera is gone or whose
        id now belongs to another login; None for a folder that is gone, unreadable (removed),
        or of a paused owner (it stays in the spool until the account is active again)."""
        try:
            upload = spool.read_upload(folder)
        except FileNotFoundError:
            return None  # already handled and removed by another pass
        except (OSError, ValueError, TypeError) as error:
            logger.error("spool: unreadable upload folder %s (%s); removed", folder.name, error)
            spool.remove_upload(folder)
            return None
        camera = self._camera(upload.camera_id)
        if camera is None or camera["username"] != upload.username:
            # Checked before anything else: an upload is filed only under the login that sent it.
            self._refuse_orphan(folder, upload, camera)
            return JobState.REJECTED
        known = self._known_job(upload.upload_id)
        waiting = known is None or known["state"] in (*jobs.OPEN_STATES, JobState.DELAYED)
        if waiting and is_paused(self.db, camera["owner_id"]):
            # The owner blocked processing: an open or waiting upload stays in the spool as it
            # is, and the spool rescan processes it once the account is active again.
            return None
        # A read first: the spool scan meets waiting (delayed) uploads every few seconds, and
        # that must not cost a write transaction each time.
        job = known or jobs.register_job(
            self.db,
            {
                **upload.__dict__,
                "camera_id": camera["id"],
                "content_sha256": content_hash(folder),
            },
        )
        return upload, job, camera

    def resume_point(self, job: dict[str, Any], folder: Path) -> JobState | None:
        """Crash recovery and re-runs in one place: what a job found again in the spool needs.

        None: the job is open (``received``/``validated``) and the stages run from its state.
        Otherwise the state it rests in, after finishing what a crash may have left undone
        (a delayed clip that is due is released; a quarantined clip is moved; a visible or
        rejected job's leftover spool folder is removed; a job whose tries kept killing the
        process is set aside).
        """
        if job["state"] == JobState.DELAYED:
            now = datetime.now(UTC)
            if (job["release_at"] or "") > iso(now) or not release_if_due(self.db, job["id"], now):
                return JobState.DELAYED
            job = jobs.get_job(self.db, job["id"])
        if job["state"] == JobState.QUARANTINED:
            try:
                self._finish_quarantine(job, folder)
            except OSError as error:
                if not is_out_of_space(error):
                    raise
                self._log_out_of_space(job["id"], error)  # moved at a later rescan
            else:
                self._space_is_back()
            return JobState.QUARANTINED
        if job["state"] not in jobs.OPEN_STATES:
            if job["state"] in jobs.FINAL_STATES:
                spool.remove_upload(folder)
            return JobState(job["state"])
        if job["attempts"] >= CRASH_LIMIT:
            # Every earlier try ended with the daemon dying mid-way: stop the crash loop,
            # keep the upload for an admin.
            jobs.advance_job(self.db, job["id"], JobState.FAILED, reason="processing_crashed")
            logger.error(
                "job %s: %d tries died mid-way; upload kept in spool", job["id"], job["attempts"]
            )
            return JobState.FAILED
        return None

    def check(
        self,
        job: dict[str, Any],
        folder: Path,
        upload: spool.UploadMeta,
        camera: dict[str, Any] | None,
        started: float,
    ) -> JobState:
        """Stage 2: ``received`` -> ``validated``, or ``rejected`` / ``quarantined`` /
        ``delayed`` with the reason. The signature checks; the probe reads the file in the
        media worker, the rules run here on what it found. A retry of an upload already received
        (same camera, name and bytes) is refused as a duplicate first."""
        clip = spool.clip_path(folder)
        earlier = jobs.earlier_same_upload(self.db, job)
        if earlier is not None:
            detail = f"the same file as upload {earlier['id']} (a retry)"
            self._reject(job, folder, UploadVerdict.reject(DUPLICATE, detail), started)
            return JobState.REJECTED
        model = self.models.get(camera["model"]) if camera else None
        fingerprint = get_fingerprint(self.db, camera["id"]) if camera else None
        verdict = check_upload(
            camera,
            model,
            clip,
            self.settings.validation,
            fingerprint,
            prober=self.media.probe,
            still_prober=self.media.probe_still,
        )
        started_at = started_at_from_name(
            upload.original_name,
            self.settings.pipeline.timestamp_patterns,
            # The owner's confirmed zone for this camera; until then the global default.
            (camera or {}).get("file_timezone") or self.settings.pipeline.camera_timezone,
            fallback=job["received_at"],
        )
        if verdict.quarantined:
            self._quarantine(job, folder, verdict, started_at, started)
            return JobState.QUARANTINED
        if not verdict.accepted:
            self._reject(job, folder, verdict, started)
            return JobState.REJECTED
        assert camera is not None  # an accepted upload has a camera
        if is_still(verdict.probe):
            # A still has no fingerprint to learn and no lane: it is filed with its alarm now.
            jobs.advance_job(
                self.db,
                job["id"],
                JobState.VALIDATED,
                probe=verdict.probe,
                started_at=started_at,
                holder=self.worker_id,
            )
            return JobState.VALIDATED
        # Learned once per job (a worker that lost the clip to another adds nothing).
        learn_fingerprint(
            self.db,
            camera["id"],
            ClipFingerprint.from_probe(verdict.probe),
            job["id"],
            until_samples=self.settings.validation.fingerprint_clips,
        )
        decision = self._lane(verdict, camera)
        if decision.delayed:
            self._delay(job, verdict, decision, started_at, started)
            return JobState.DELAYED
        jobs.advance_job(
            self.db,
            job["id"],
            JobState.VALIDATED,
            probe=verdict.probe,
            lane=verdict.lane,
            started_at=started_at,
            holder=self.worker_id,
        )
        return JobState.VALIDATED

    def index(
        self, job: dict[str, Any], source: Path, started: float, spool_folder: Path | None = None
    ) -> JobState:
        """Stage 3: ``validated`` -> ``indexed``, or ``analysing`` where the camera has
        detection on. Stores ``source`` as the job's recording with its poster (and playback
        copy) and makes it visible; ``spool_folder``, if given, is removed. A JPEG snapshot is
        filed as a still of its alarm's recording instead (`_index_still`)."""
        if is_still(json.loads(job["probe_json"] or "{}")):
            self._index_still(job, source, started, spool_folder)
        else:
            self._index(job, source, started, spool_folder)
        return JobState(jobs.get_job(self.db, job["id"])["state"])

    def _index_still(
        self, job: dict[str, Any], source: Path, started: float, spool_folder: Path | None
    ) -> int:
        """Store a snapshot as a still: with the clip of its alarm if that is indexed, else
        with (or as) a snapshot-only recording that the clip gathers when it comes."""
        probe = json.loads(job["probe_json"] or "{}")
        relpath = self.clips.recording_relpath(
            job["camera_id"], job["started_at"], job["id"], "jpg"
        )
        stored = self.clips.move_in(source, relpath)
        # Made before the transaction (pixels stay out of it); unused if a recording exists.
        thumb_rel = self.clips.thumb_relpath(relpath)
        has_poster = self._poster(job, stored, self.clips.thumb_file(thumb_rel))
        validation = self.settings.validation
        # In the media store before the row that points at it, as for a clip.
        self.clips.publish(relpath)
        with atomic(self.db):
            jobs.fence(self.db, job["id"], self.worker_id)  # before the rows of the still
            recording_id, own_recording = file_still(
                self.db,
                {
                    "camera_id": job["camera_id"],
                    "job_id": job["id"],
                    "taken_at": job["started_at"],
                    "received_at": job["received_at"],
                    "width": probe["width"],
                    "height": probe["height"],
                    "size_bytes": stored.stat().st_size,
                    "path": relpath,
                    "thumb_path": thumb_rel if has_poster else None,
                    "original_name": job["original_name"],
                },
                window_s=validation.snapshot_window_s,
                longest_clip_s=validation.max_duration_s,
            )
            jobs.advance_job(
                self.db,
                job["id"],
                JobState.INDEXED,
                recording_id=recording_id,
                holder=self.worker_id,
            )
        if not own_recording and has_poster:
            self.clips.delete_thumb(thumb_rel)
        self.clips.drop_local(relpath)
        if spool_folder is not None:
            spool.remove_upload(spool_folder)
        log_clip(job, JobState.INDEXED, STILL, None, started, recording_id)
        return recording_id

    def _index(
        self, job: dict[str, Any], source: Path, started: float, spool_folder: Path | None = None
    ) -> int:
        probe = json.loads(job["probe_json"] or "{}")
        ext = CONTAINER_EXT.get(probe.get("sniffed", ""), "mp4")
        relpath = self.clips.recording_relpath(job["camera_id"], job["started_at"], job["id"], ext)
        stored = self.clips.move_in(source, relpath)
        thumb_rel = self.clips.thumb_relpath(relpath)
        has_poster = self._poster(job, stored, self.clips.thumb_file(thumb_rel))
        playback_rel = self._playback_copy(job, relpath, probe)  # AVI, H.265: for browsers
        visible_as = (
            JobState.ANALYSING
            if self.detection.switches(job["camera_id"]).any
            else JobState.INDEXED
        )
        # In the media store before the row that points at it (a bucket: uploaded here, on
        # the node that received it; a folder: already in place).
        self.clips.publish(relpath)
        with atomic(self.db):
            jobs.fence(self.db, job["id"], self.worker_id)  # before the recording's row
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
                    "playback_path": playback_rel,
                    "original_name": job["original_name"],
                    "lane": job["lane"] or "normal",
                },
            )
            # The analysis counts its own tries from here.
            jobs.advance_job(
                self.db,
                job["id"],
                visible_as,
                recording_id=recording_id,
                reset_attempts=True,
                holder=self.worker_id,
            )
            # Snapshots of this alarm that came first join the clip.
            gathered = gather_stills(
                self.db,
                get_recording(self.db, recording_id),
                window_s=self.settings.validation.snapshot_window_s,
            )
        for snapshot_only in gathered:
            if snapshot_only["thumb_path"]:
                self.clips.delete_thumb(snapshot_only["thumb_path"])
        if visible_as == JobState.INDEXED:
            self.clips.drop_local(relpath)  # analysis would read it here next
        if spool_folder is not None:
            spool.remove_upload(spool_folder)
        log_clip(job, visible_as, None, probe.get("duration_s"), started, recording_id)
        return recording_id

    def _poster(self, job: dict[str, Any], stored: Path, target: Path) -> bool:
        try:
            return self.media.poster(stored, target)
        except MediaFailed as failed:
            # The probe decoded this file; a poster failure costs the poster, not the clip.
            logger.warning("job %s: no poster (%s)", job["id"], failed)
            return False

    def _playback_copy(
        self, job: dict[str, Any], relpath: str, probe: dict[str, Any]
    ) -> str | None:
        try:
            return self.media.playback_copy(relpath, probe)
        except MediaFailed as failed:
            logger.warning("job %s: no playback copy (%s)", job["id"], failed)
            return None

    # -- analyse (the daemon's "analysis" queue) ------------------------------------------
    def analyse(self, job_id: str) -> JobState | None:
        """Stage 4: ``analysing`` -> ``analysed``: detection fills in the labels, boxes,
        plates and false-alarm verdict of a visible clip. A clip that cannot be analysed is
        tried again once, then stays visible without labels (reason ``analysis_failed``).
        None if another worker holds the job or it is not waiting for analysis, or while this
        worker waits for room in the store (`space_pause_s`)."""
        if self.space_pause_s() > 0:
            return None
        if not jobs.claim_job(self.db, job_id, self.worker_id, self.lease_s):
            return None
        return self.analyse_claimed(job_id)

    def space_pause_s(self) -> float:
        """How long this worker still leaves clips be after one found no room in the store
        (0: none did, or the pause is over): its analysis loop claims nothing meanwhile."""
        return max(0.0, self._next_try_for_space - time.monotonic())

    def analyse_claimed(self, job_id: str) -> JobState | None:
        """`analyse` for a job this worker has claimed already (`jobs.claim_next_job`); the
        claim is given back at the end."""
        try:
            return self._analyse_claimed(job_id)
        except ClaimLost:
            self._log_lost(job_id)
            return None
        except Exception as error:
            # Frames, crops or the preview that found no room: the clip keeps waiting for
            # analysis until there is space, never given up on for it.
            if self._not_the_clips_doing(job_id, error, ANALYSIS_WAITS):
                return None
            # Our own error (a bug, a locked catalog): the clip stays visible and is tried
            # again on the next pass, given up after MAX_ANALYSIS_ATTEMPTS so it cannot loop.
            logger.exception("job %s: analysis failed", job_id)
            if jobs.get_job(self.db, job_id)["attempts"] >= MAX_ANALYSIS_ATTEMPTS:
                self._advance_if_held(job_id, JobState.ANALYSED, reason="analysis_error")
            return None
        finally:
            self._release(job_id)

    def _analyse_claimed(self, job_id: str) -> JobState | None:
        job = jobs.get_job(self.db, job_id)
        if job["state"] != JobState.ANALYSING:
            return None
        started = time.monotonic()
        recording = get_recording_by_job(self.db, job_id)
        if recording is None:  # deleted by its owner while it waited
            jobs.advance_job(
                self.db,
                job_id,
                JobState.ANALYSED,
                reason="recording_deleted",
                holder=self.worker_id,
            )
            return JobState.ANALYSED
        try:
            result = self.detection.analyse(job["camera_id"], recording["path"])
            reason = None
        except AnalysisFailed as failed:
            if job["attempts"] < MAX_ANALYSIS_ATTEMPTS:
                return None  # the claim is released: the next pass tries again
            result, reason = None, ANALYSIS_GAVE_UP
            logger.error("job %s: analysis given up (%s); clip stays visible", job_id, failed)
        self.clips.publish(recording["path"])  # frames and plate crops, before their rows
        with atomic(self.db):
            # Fenced first: a worker that lost the clip stores no second set of labels.
            jobs.advance_job(
                self.db, job_id, JobState.ANALYSED, reason=reason, holder=self.worker_id
            )
            self.detection.store(recording["id"], result)
        self.clips.drop_local(recording["path"])
        self._space_is_back(goes_on="analysis")
        log_clip(job, JobState.ANALYSED, reason, recording["duration_s"], started)
        return JobState.ANALYSED

    def index_stored(self, job: dict[str, Any], source: Path) -> int:
        """Index a clip kept outside the spool (an owner accepted it from quarantine)."""
        return self._index(job, source, time.monotonic())

    def _lane(self, verdict: UploadVerdict, camera: dict[str, Any]) -> LaneDecision:
        return decide_lane(
            verdict.lane,
            FairUseState(camera["fairuse_state"]),
            long_clip_delay=timedelta(minutes=self.settings.validation.delayed_lane_delay_min),
            throttle_delay=timedelta(minutes=self.settings.fairuse.throttle_delay_min),
        )

    def _delay(
        self,
        job: dict[str, Any],
        verdict: UploadVerdict,
        decision: LaneDecision,
        started_at: str,
        started: float,
    ) -> None:
        """Keep the upload in the spool until its release time; tell the owner of a long clip
        once per camera and day."""
        now = datetime.now(UTC)
        notice = (
            long_clip_notice(job, self._camera(job["camera_id"]), verdict, now)
            if decision.reason == LONG_CLIP
            else None
        )
        with atomic(self.db):
            jobs.advance_job(
                self.db,
                job["id"],
                JobState.DELAYED,
                reason=decision.reason,
                detail=f"{verdict.probe.get('duration_s', 0):.1f} s clip",
                probe=verdict.probe,
                lane=decision.lane,
                started_at=started_at,
                holder=self.worker_id,
            )
            set_release_at(self.db, job["id"], iso(now + decision.delay))
            told = notice is not None and record_notice(self.db, job["camera_id"], notice, iso(now))
        if notice is not None and told:
            mail_notice(self.db, self.settings, job["camera_id"], notice)
        log_clip(job, JobState.DELAYED, decision.reason, verdict.probe.get("duration_s"), started)
        self._evaluate_fair_use(job)

    def _quarantine(
        self,
        job: dict[str, Any],
        folder: Path,
        verdict: UploadVerdict,
        started_at: str,
        started: float,
    ) -> None:
        # State first, file second: a retry after a crash sees `quarantined` and finishes the
        # move (`_finish_quarantine`), so the clip is never lost between spool and quarantine.
        ext = CONTAINER_EXT.get(verdict.probe.get("sniffed", ""), "mp4")
        relpath = self.clips.quarantine_relpath(job["camera_id"], job["id"], ext)
        now = datetime.now(UTC)
        expires = now + timedelta(hours=self.settings.validation.quarantine_expiry_h)
        with atomic(self.db):
            insert_quarantined(
                self.db, job, relpath, (verdict.detail or "").split("; "), iso(now), iso(expires)
            )
            jobs.advance_job(
                self.db,
                job["id"],
                JobState.QUARANTINED,
                reason=verdict.reason,
                detail=verdict.detail,
                probe=verdict.probe,
                lane="normal",
                started_at=started_at,
                holder=self.worker_id,
            )
        self._finish_quarantine(jobs.get_job(self.db, job["id"]), folder)
        log_clip(
            job, JobState.QUARANTINED, verdict.reason, verdict.probe.get("duration_s"), started
        )

    def _finish_quarantine(self, job: dict[str, Any], folder: Path) -> None:
        probe = json.loads(job["probe_json"] or "{}")
        ext = CONTAINER_EXT.get(probe.get("sniffed", ""), "mp4")
        relpath = self.clips.quarantine_relpath(job["camera_id"], job["id"], ext)
        self.clips.move_to_quarantine(spool.clip_path(folder), relpath)
        spool.remove_upload(folder)

    def _evaluate_fair_use(self, job: dict[str, Any]) -> None:
        if not self.settings.fairuse.enabled or job.get("camera_id") is None:
            return
        try:
            FairUseMonitor(self.db, self.settings).evaluate_camera(
                job["camera_id"], datetime.now(UTC)
            )
        except Exception:
            # The clip is stored either way; the scheduler's evaluation catches up. A lost
            # connection is told by the worker, when it connects again.
            if not connection_lost(self.db):
                logger.exception("job %s: fair-use evaluation failed", job["id"])

    def _known_job(self, job_id: str) -> dict[str, Any] | None:
        try:
            return jobs.get_job(self.db, job_id)
        except NotFound:
            return None

    def _reject(
        self, job: dict[str, Any], folder: Path, verdict: UploadVerdict, started: float
    ) -> None:
        # The row is committed first: if we crash before the delete, the retry sees a final
        # state and only removes the folder.
        with atomic(self.db):
            jobs.fence(self.db, job["id"], self.worker_id)
            insert_rejection(self.db, job, verdict.reason or "rejected", verdict.detail)
            jobs.advance_job(
                self.db,
                job["id"],
                JobState.REJECTED,
                reason=verdict.reason,
                detail=verdict.detail,
                holder=self.worker_id,
            )
        spool.remove_upload(folder)
        log_clip(job, JobState.REJECTED, verdict.reason, verdict.probe.get("duration_s"), started)

    def _refuse_orphan(
        self, folder: Path, upload: spool.UploadMeta, camera: dict[str, Any] | None
    ) -> None:
        """Remove an upload whose login no longer exists; it must never be filed anywhere.

        The camera was deleted after the upload (its owner's account may be gone too), or the
        id now names another camera: ids are never reused since migration 10, but an upload
        spooled before it may carry one that was. No row is written: the clip belongs to
        nobody who could see it, and a row would only keep its name and address around.
        """
        spool.remove_upload(folder)
        logger.warning(
            "upload %s rejected: reason=%s camera=%s; removed",
            upload.upload_id,
            CAMERA_GONE if camera is None else LOGIN_MISMATCH,
            upload.camera_id,
        )

    def _after_failure(self, job_id: str) -> None:
        job = jobs.get_job(self.db, job_id)
        # Keep the upload: an accepted clip is never dropped because of our own bug.
        if job["attempts"] >= MAX_ATTEMPTS and self._advance_if_held(
            job_id, JobState.FAILED, reason="processing_error"
        ):
            logger.error(
                "job %s: gave up after %d attempts; upload kept in spool",
                job_id,
                job["attempts"],
            )

    def _not_the_clips_doing(self, job_id: str, error: Exception, waits: tuple[str, str]) -> bool:
        """For a stage's error: whether it was nothing the clip did and is dealt with here —
        another worker took the clip over (it moved our files from under us), or the store
        had no room (`_wait_for_space`). A lost catalog connection is raised on: an outage,
        not the clip's fault (see `use_catalog`). False: the stage's own failure handling."""
        if connection_lost(self.db):
            raise error
        if not self._holds(job_id):
            self._log_lost(job_id)
            return True
        if is_out_of_space(error):
            self._wait_for_space(job_id, error, waits)
            return True
        return False

    def _wait_for_space(
        self, job_id: str, error: OSError, waits: tuple[str, str] = SPOOL_WAITS
    ) -> None:
        """A clip that found no room in the store (``ENOSPC``, a quota) stays where it is: in
        the spool (or waiting for analysis), its job where it was, this try not counted
        against it; this worker tries one clip again after ``poll_interval_s``. One line says
        so, not a traceback per clip."""
        jobs.uncount_attempt(self.db, job_id, self.worker_id)
        self._log_out_of_space(job_id, error, waits)

    def _log_out_of_space(
        self, job_id: str, error: OSError, waits: tuple[str, str] = SPOOL_WAITS
    ) -> None:
        what, where = waits
        self._next_try_for_space = time.monotonic() + self.settings.pipeline.poll_interval_s
        if self._out_of_space:
            logger.debug("job %s: still no room to store it (%s)", job_id, error)
            return
        self._out_of_space = True
        logger.warning(
            "job %s: no room to store %s (%s in %s); %s, and one clip is tried every %g s "
            "until there is space again (`alarmvault status` shows each area's free space)",
            job_id,
            what,
            error.strerror,
            error.filename or self.clips.recordings_root.parent,  # the folder it went into
            where,
            self.settings.pipeline.poll_interval_s,
        )

    def _space_is_back(self, goes_on: str = "indexing") -> None:
        self._next_try_for_space = 0.0
        if self._out_of_space:
            self._out_of_space = False
            logger.info("there is room to store clips again; %s goes on", goes_on)

    def _advance_if_held(self, job_id: str, state: JobState, *, reason: str) -> bool:
        """Give up on a job after our own errors, unless it is another worker's by now."""
        try:
            jobs.advance_job(self.db, job_id, state, reason=reason, holder=self.worker_id)
        except ClaimLost:
            self._log_lost(job_id)
            return False
        return True

    def _release(self, job_id: str) -> None:
        """Give the claim back; without the catalog it cannot be, and stays until this worker
        claims the job again or its lease runs out."""
        if not connection_lost(self.db):
            jobs.release_job(self.db, job_id, self.worker_id)

    def _holds(self, job_id: str) -> bool:
        return jobs.get_job(self.db, job_id)["claimed_by"] == self.worker_id

    def _log_lost(self, job_id: str) -> None:
        logger.warning(
            "job %s: lost the clip to another worker (%s's lease ran out); left to it, nothing"
            " stored twice",
            job_id,
            self.worker_id,
        )

    def _camera(self, camera_id: int | None) -> dict[str, Any] | None:
        if camera_id is None:
            return None
        try:
            return camera_rows.get_camera(self.db, camera_id)
        except NotFound:
            return None

    def recording_for(self, job_id: str) -> dict[str, Any] | None:
        return get_recording_by_job(self.db, job_id)


def is_still(probe: dict[str, Any]) -> bool:
    """Whether a job's probe (``jobs.probe_json``) is a JPEG snapshot's."""
    return probe.get("sniffed") == JPEG


def content_hash(folder: Path) -> str | None:
    """The spooled clip's SHA-256 (a retry is known by it); None if it cannot be read, and the
    job then fails as it would have. Hashed here, not in ingestd, whose handover runs in the
    FTP I/O loop."""
    try:
        return spool.file_sha256(spool.clip_path(folder))
    except OSError:
        return None


def long_clip_notice(
    job: dict[str, Any], camera: dict[str, Any] | None, verdict: UploadVerdict, now: datetime
) -> OwnerNotice:
    """The once-a-day notice for a camera that uploads clips longer than the standard 18 s."""
    duration = verdict.probe.get("duration_s", 0.0)
    values = {
        "camera": camera["name"] if camera else f"#{job['camera_id']}",
        "seconds": f"{duration:.0f}",
    }
    return OwnerNotice(
        kind="long_clip",
        title=Phrase(LONG_CLIP_TITLE, values),
        body=Phrase(LONG_CLIP_BODY, values),
        advice=[Phrase(LONG_CLIP_ADVICE)],
        evidence={"job_ids": [job["id"]], "duration_s": round(duration, 1)},
        dedupe_key=f"long_clip:{job['camera_id']}:{now.date().isoformat()}",
    )


def log_clip(
    job: dict[str, Any],
    outcome: JobState,
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
