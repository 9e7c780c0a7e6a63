"""Poster thumbnails for recordings (clips, and the snapshot of a snapshot-only one)."""

from __future__ import annotations

import os
from pathlib import Path

import av
import cv2

POSTER_WIDTH = 480


def write_poster(clip: Path, target: Path, at_fraction: float = 0.2) -> bool:
    """Write a JPEG of the keyframe at or before ``at_fraction`` of the clip to ``target``
    (atomically). One keyframe is decoded, scaled while converting: no GOP is decoded to
    reach an exact frame, which would cost up to a keyframe interval of decoding per clip."""
    try:
        with av.open(str(clip), metadata_errors="ignore") as container:
            if not container.streams.video:
                return False
            stream = container.streams.video[0]
            stream.thread_type = "NONE"  # one frame: threads would only add start-up
            at_pts = int((stream.duration or 0) * at_fraction)
            # Nothing to seek to at the start, or in a one-picture file (a JPEG snapshot, for
            # which FFmpeg's image reader then returns nothing at all).
            if at_pts > 0 and stream.time_base:
                container.seek(at_pts, stream=stream)
            frame = next(container.decode(stream), None)
            if frame is None:
                return False
            width = min(frame.width, POSTER_WIDTH)
            height = max(2, round(frame.height * width / frame.width))
            image = frame.to_ndarray(format="bgr24", width=width, height=height)
    except (av.FFmpegError, OSError, ValueError):
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 80])
    if not ok:
        return False
    tmp = target.with_suffix(".tmp")
    tmp.write_bytes(encoded.tobytes())
    os.replace(tmp, target)
    return True
