"""The pipeline's detection step: what `ClipProcessor` calls between storing a clip
and indexing it.

Nothing runs for a camera with every switch off. Models load once, at start when any camera
has a switch on (a missing model is then an error naming its path); a clip whose analysis
fails is still indexed, without labels, and the failure is logged: detection never loses a clip.
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
from core.detection.results import ClipDetections
from core.settings import Settings
from pipeline.detection.errors import DetectionError
from pipeline.detection.service import detect_stored_recording, shared_analyzer

logger = logging.getLogger(__name__)


class DetectionStage:
    def __init__(self, settings: Settings, db: sqlite_utils.Database) -> None:
        self.settings = settings
        self.db = db
        self.thumbs_root = ClipStore(settings.storage).thumbs_root
        if any_camera_detects(db):
            plates = any_camera_detects(db, "plates")
            shared_analyzer(settings.detection, settings.storage.data_dir, plates=plates)

    def run(self, camera_id: int, relpath: str) -> ClipDetections | None:
        """Analyse a stored clip for what its camera switched on; None when nothing is on."""
        switches = get_detection_switches(self.db, camera_id)
        if not switches.any:
            return None
        try:
            return detect_stored_recording(self.settings, relpath, switches)
        except DetectionError as error:
            logger.error("detect camera=%s clip=%s failed: %s", camera_id, relpath, error)
        except (av.FFmpegError, OSError, ValueError) as error:
            logger.error("detect camera=%s clip=%s unreadable: %s", camera_id, relpath, error)
        return None

    def store(self, recording_id: int, result: ClipDetections | None) -> None:
        """Inside the transaction that indexes the recording, so both commit together."""
        if result is not None:
            store_detection_results(self.db, recording_id, result, files_root=self.thumbs_root)
