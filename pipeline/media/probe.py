"""Probe a clip: streams and codec (PyAV), frame count, rate, size, and a decode check (OpenCV).

PyAV also gives what a camera's fingerprint is made of: the codec profile and level, the
container brands (``ftyp`` major/compatible), the audio codec, and the GOP, read from the video
packets' keyframe flags in one sequential pass (no decoding, no seeking).

Probing never raises for bad input: it returns a `ClipProbe` whose ``error`` says what failed.
"""

from __future__ import annotations

import itertools
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
    profile: str | None = None
    level: int | None = None
    # Frames between keyframes (the largest distance seen; scene cuts only add keyframes).
    gop_frames: int | None = None
    keyframes: int = 0
    major_brand: str | None = None
    compatible_brands: list[str] = field(default_factory=list)
    audio_codec: str | None = None
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


def gop_from_keyframes(flags: list[bool]) -> tuple[int | None, int]:
    """(largest distance between two keyframes, number of keyframes) for packet flags in order.

    None when fewer than two keyframes were seen: the GOP is then longer than the clip.
    """
    positions = [index for index, is_key in enumerate(flags) if is_key]
    gaps = [after - before for before, after in itertools.pairwise(positions)]
    return (max(gaps) if gaps else None), len(positions)


def split_brands(text: str | None) -> list[str]:
    """FFmpeg joins ``compatible_brands`` into one string of 4-character codes."""
    if not text:
        return []
    return sorted({text[i : i + 4] for i in range(0, len(text) - len(text) % 4, 4)})


def _probe_streams(path: Path, probe: ClipProbe) -> None:
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            probe.container = container.format.name
            videos = container.streams.video
            probe.video_streams = len(videos)
            probe.audio_streams = len(container.streams.audio)
            probe.major_brand = container.metadata.get("major_brand") or None
            probe.compatible_brands = split_brands(container.metadata.get("compatible_brands"))
            if container.streams.audio:
                probe.audio_codec = container.streams.audio[0].codec_context.name
            if videos:
                stream = videos[0]
                context = stream.codec_context
                probe.codec = context.name
                probe.profile = context.profile or None
                level = getattr(context, "level", None)
                probe.level = level if isinstance(level, int) and level > 0 else None
                if stream.duration is not None and stream.time_base is not None:
                    probe.details["stream_duration_s"] = float(stream.duration * stream.time_base)
                flags = [packet.is_keyframe for packet in container.demux(stream) if packet.size]
                probe.gop_frames, probe.keyframes = gop_from_keyframes(flags)
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
