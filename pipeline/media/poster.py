"""Poster thumbnails for recordings."""

from __future__ import annotations

import os
from pathlib import Path

import cv2

POSTER_WIDTH = 480


def write_poster(clip: Path, target: Path, at_fraction: float = 0.2) -> bool:
    """Write a JPEG of the frame at ``at_fraction`` of the clip to ``target`` (atomically)."""
    capture = cv2.VideoCapture(str(clip), cv2.CAP_FFMPEG)
    try:
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        if count > 1:
            capture.set(cv2.CAP_PROP_POS_FRAMES, int(count * at_fraction))
        ok, frame = capture.read()
    finally:
        capture.release()
    if not ok or frame is None:
        return False
    height, width = frame.shape[:2]
    if width > POSTER_WIDTH:
        frame = cv2.resize(frame, (POSTER_WIDTH, round(height * POSTER_WIDTH / width)))
    target.parent.mkdir(parents=True, exist_ok=True)
    ok, encoded = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 80])
    if not ok:
        return False
    tmp = target.with_suffix(".tmp")
    tmp.write_bytes(encoded.tobytes())
    os.replace(tmp, target)
    return True
