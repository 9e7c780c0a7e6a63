"""Synthetic effects drawn over real footage, for `clip_factory(frame_filter=...)` and the
benchmark. Everything here is made up on purpose and says so: rain streaks, a lighting jump, a
frozen scene, a pasted-in visitor. The footage under it is real (../shared)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import av
import cv2
import numpy as np

FrameFilter = Callable[[np.ndarray, int], np.ndarray]


def synthetic_rain(frame: np.ndarray, index: int) -> np.ndarray:
    """Bright, thin, slanted streaks, new ones every frame, like rain lit by a lamp or IR."""
    rng = np.random.default_rng(index)
    height, width = frame.shape[:2]
    overlay = frame.copy()
    count = width * height // 2500
    thickness = max(1, round(height / 400))
    x = rng.integers(0, width, count)
    y = rng.integers(0, height, count)
    length = rng.integers(height // 36, height // 18, count)
    slant = np.tan(np.radians(rng.normal(12, 4, count)))
    for x0, y0, n, k in zip(x, y, length, slant, strict=True):
        cv2.line(
            overlay,
            (int(x0), int(y0)),
            (int(x0 + n * k), int(y0 + n)),
            (225, 225, 225),
            thickness,
            cv2.LINE_AA,
        )
    return cv2.addWeighted(overlay, 0.55, frame, 0.45, 0)


@cache
def first_frame(source: Path) -> np.ndarray:
    """The first frame of a real video as RGB (clipmaker filters work in RGB)."""
    with av.open(str(source)) as container:
        for frame in container.decode(video=0):
            return frame.to_ndarray(format="rgb24")
    raise ValueError(f"{source} has no frames")


def empty_scene(vtest: Path) -> np.ndarray:
    """The grass and road of vtest.mp4's first frame, below and left of every person there."""
    return first_frame(vtest)[330:576, 0:440]


def frozen_scene(background: np.ndarray) -> FrameFilter:
    """A camera looking at a scene where nothing moves (sensor noise is the encoder's)."""

    def _filter(frame: np.ndarray, index: int) -> np.ndarray:
        return cv2.resize(
            background, (frame.shape[1], frame.shape[0]), interpolation=cv2.INTER_AREA
        )

    return _filter


def lighting_jump(background: np.ndarray, at_frame: int, gain: float = 1.7) -> FrameFilter:
    """A still scene that suddenly gets brighter (a lamp or the IR light switching)."""
    still = frozen_scene(background)

    def _filter(frame: np.ndarray, index: int) -> np.ndarray:
        image = still(frame, index)
        if index >= at_frame:
            image = cv2.convertScaleAbs(image, alpha=gain, beta=10)
        return image

    return _filter


def short_visitor(
    background: np.ndarray, visitor: np.ndarray, frames: range, height_share: float = 0.55
) -> FrameFilter:
    """A still scene crossed by ``visitor`` (an RGB patch) only during ``frames``."""
    still = frozen_scene(background)

    def _filter(frame: np.ndarray, index: int) -> np.ndarray:
        image = still(frame, index).copy()
        if index not in frames:
            return image
        height, width = image.shape[:2]
        h = round(height * height_share)
        w = round(visitor.shape[1] * h / visitor.shape[0])
        patch = cv2.resize(visitor, (w, h), interpolation=cv2.INTER_AREA)
        progress = (index - frames.start) / max(1, len(frames) - 1)
        x = round(width * 0.15 + progress * (width * 0.6 - w / 2))
        y = height - h - height // 20
        image[y : y + h, x : x + w] = patch
        return image

    return _filter


def person_patch(stills: Path) -> np.ndarray:
    """The person in stills/person.jpg (box found by YOLOv8n), as RGB."""
    image = cv2.cvtColor(cv2.imread(str(stills / "person.jpg")), cv2.COLOR_BGR2RGB)
    return image[95:385, 180:285]
