"""Everything the pipeline does with a clip's pixels, behind one interface.

`ClipProcessor` never opens a video itself: it asks a `ClipMedia` to probe a clip, write its
poster, make its playback copy and analyse it. `LocalMedia` does that in the calling process
(tests, the CLI); `pipeline.media_worker.MediaWorker` does the same calls in an isolated worker
process, so a decoder that crashes or hangs on a hostile file costs one worker, not the daemon.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Protocol

from core.clipstore import ClipStore
from core.detection.results import ClipDetections, DetectionSwitches
from core.settings import Settings
from pipeline.detection.service import detect_stored_recording, shared_analyzer
from pipeline.media.playback import store_playback_copy
from pipeline.media.poster import write_poster
from pipeline.media.probe import ClipProbe, probe_clip
from pipeline.media.still import StillProbe, probe_still

logger = logging.getLogger(__name__)


class MediaFailed(Exception):
    """An isolated worker could not answer: it crashed, ran past its time limit, or raised."""

    def __init__(self, operation: str, reason: str) -> None:
        super().__init__(f"media worker {reason} during {operation}")
        self.operation = operation
        self.reason = reason


class ClipMedia(Protocol):
    def probe(self, clip: Path) -> ClipProbe:
        """What `probe_clip` says; never raises for bad input (``error`` says what failed)."""

    def probe_still(self, still: Path) -> StillProbe:
        """What `probe_still` says about a JPEG snapshot; never raises for bad input."""

    def poster(self, clip: Path, target: Path) -> bool:
        """Write the clip's poster JPEG to ``target``; False if no frame could be had."""

    def playback_copy(self, relpath: str, probe: dict[str, Any]) -> str | None:
        """The browser-playable copy's relpath of a stored recording, or None (see
        `store_playback_copy`)."""

    def detect(self, relpath: str, switches: DetectionSwitches) -> ClipDetections | None:
        """Analyse a stored recording for what its camera switched on (files beside its
        poster); raises `DetectionError`, decoder errors or `MediaFailed` when the clip cannot
        be analysed."""

    def load_models(self, *, plates: bool) -> None:
        """Load the detection models now, so a missing one is an error at start."""


class LocalMedia:
    """`ClipMedia` in this process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.clips = ClipStore(settings.storage)

    def probe(self, clip: Path) -> ClipProbe:
        return probe_clip(clip)

    def probe_still(self, still: Path) -> StillProbe:
        return probe_still(still)

    def poster(self, clip: Path, target: Path) -> bool:
        return write_poster(clip, target)

    def playback_copy(self, relpath: str, probe: dict[str, Any]) -> str | None:
        return store_playback_copy(self.clips, relpath, probe)

    def detect(self, relpath: str, switches: DetectionSwitches) -> ClipDetections | None:
        return detect_stored_recording(self.settings, relpath, switches)

    def load_models(self, *, plates: bool) -> None:
        shared_analyzer(self.settings.detection, self.settings.storage.data_dir, plates=plates)
