"""Probe a clip: streams and codec (PyAV), frame count, rate, size, and a decode check (OpenCV).

Probing never raises for bad input: it returns a `ClipProbe` whose ``error`` says what failed.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import av
import cv2

logger = logging.getLogger(__name__)


@dataclass
class ClipProbe:
    container: str = ""
    video_streams: int = 0
    audio_streams: int = 0
    codec: str = ""
    width: int = 0
    height: int = 0
    fps: float = 0.0
    frame_count: int = 0
    duration_s: float = 0.0
    decoded_frames: list[int] = field(default_factory=list)
    error: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def probe_clip(path: Path) -> ClipProbe:
    probe = ClipProbe()
    _probe_streams(path, probe)
    if probe.error:
        return probe
    _probe_frames(path, probe)
    return probe


def _probe_streams(path: Path, probe: ClipProbe) -> None:
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            probe.container = container.format.name
            videos = container.streams.video
            probe.video_streams = len(videos)
            probe.audio_streams = len(container.streams.audio)
            if videos:
                stream = videos[0]
                probe.codec = stream.codec_context.name
                probe.details["profile"] = stream.codec_context.profile
                if stream.duration is not None and stream.time_base is not None:
                    probe.details["stream_duration_s"] = float(stream.duration * stream.time_base)
    except (av.FFmpegError, OSError, ValueError, UnicodeDecodeError) as error:
        probe.error = f"cannot parse container: {error}"
        return
    if probe.video_streams == 0:
        probe.error = "no video stream"


def _probe_frames(path: Path, probe: ClipProbe) -> None:
    capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    try:
        if not capture.isOpened():
            probe.error = "OpenCV cannot open the file"
            return
        probe.width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        probe.height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        probe.fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
        probe.frame_count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        if probe.frame_count <= 0 or probe.fps <= 0 or probe.width <= 0 or probe.height <= 0:
            probe.error = "no frames, size or frame rate"
            return
        probe.duration_s = probe.frame_count / probe.fps
        # First, middle and last frame must decode: a cut-off file fails at the end.
        for index in sorted({0, probe.frame_count // 2, probe.frame_count - 1}):
            capture.set(cv2.CAP_PROP_POS_FRAMES, index)
            ok, frame = capture.read()
            if not ok or frame is None:
                probe.error = f"frame {index} of {probe.frame_count} does not decode"
                return
            probe.decoded_frames.append(index)
    finally:
        capture.release()
