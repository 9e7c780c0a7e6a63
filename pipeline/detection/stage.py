"""The pipeline's detection step: what `ClipProcessor.analyse` runs on a clip that is
already visible, to fill in its labels, boxes, plates and false-alarm verdict.

Nothing runs for a camera with every switch off. Models load once per process that analyses
(the daemon's media workers, or this process for `LocalMedia`), at start when any camera has a
switch on (a missing model is then an error naming its path); a clip whose analysis fails stays
visible, without labels, and the failure is logged: detection never loses a clip.
"""

from __future__ import annotations

import logging

import av
import sqlite_utils

from core.catalog.detections import (
    any_camera_detects,
    get_detection_switches,
    store_detection_results,
)
from core.clipstore import ClipStore
from core.detection.results import ClipDetections, DetectionSwitches
from core.settings import Settings
from core.storage_space import is_out_of_space
from pipeline.clip_media import ClipMedia, LocalMedia, MediaFailed
from pipeline.detection.errors import DetectionError

logger = logging.getLogger(__name__)


class AnalysisFailed(Exception):
    """The clip could not be analysed (unreadable, or the analysing process failed)."""


class DetectionStage:
    def __init__(
        self, settings: Settings, db: sqlite_utils.Database, media: ClipMedia | None = None
    ) -> None:
        self.settings = settings
        self.db = db
        self.media = media if media is not None else LocalMedia(settings)
        self.thumbs_root = ClipStore(settings.storage).thumbs_root
        if media is None and any_camera_detects(db):
            # In this process: load now, so a missing model is an error at start. A media
            # worker loads its models in its own process, on its first analysis.
            self.media.load_models(plates=any_camera_detects(db, "plates"))

    def switches(self, camera_id: int) -> DetectionSwitches:
        return get_detection_switches(self.db, camera_id)

    def run(self, camera_id: int, relpath: str) -> ClipDetections | None:
        """Analyse a stored clip for what its camera switched on; None when nothing is on or
        the clip cannot be analysed (logged)."""
        try:
            return self.analyse(camera_id, relpath)
        except AnalysisFailed:
            return None

    def analyse(self, camera_id: int, relpath: str) -> ClipDetections | None:
        """Like `run`, but a clip that cannot be analysed raises `AnalysisFailed`, so the
        caller can try again or give up with the reason."""
        switches = self.switches(camera_id)
        if not switches.any:
            return None
        try:
            return self.media.detect(relpath, switches)
        except DetectionError as error:
            logger.error("detect camera=%s clip=%s failed: %s", camera_id, relpath, error)
            raise AnalysisFailed(str(error)) from error
        except MediaFailed as error:
            logger.error("detect camera=%s clip=%s: %s", camera_id, relpath, error)
            raise AnalysisFailed(error.reason) from error
        except (av.FFmpegError, OSError, ValueError) as error:
            if is_out_of_space(error):
                raise  # frames and crops found no room: not the clip's fault, it waits for room
            logger.error("detect camera=%s clip=%s unreadable: %s", camera_id, relpath, error)
            raise AnalysisFailed(f"unreadable: {error}") from error

    def store(self, recording_id: int, result: ClipDetections | None) -> None:
        """Inside the transaction that marks the job analysed, so both commit together."""
        if result is not None:
            store_detection_results(self.db, recording_id, result, files_root=self.thumbs_root)
