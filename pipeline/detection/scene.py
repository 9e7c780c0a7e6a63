"""Frame statistics for rain and for the causes of false alarms, from the analysed frames only.

All measures work on a grey image at detection size (about 640 px wide), so they cost a few
milliseconds a frame and do not depend on the camera's resolution.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# Thin bright marks at most this wide are rain-streak candidates (white top-hat).
STREAK_MAX_WIDTH = 5
STREAK_CONTRAST = 10
STREAK_MIN_LENGTH = 8  # pixels at 640 px frame width
# Streaks per 100,000 pixels that make the rain score 1.0. Calibrated on real footage with and
# without synthetic rain (tests/detection/synthetic.py), at 640x360: dry vtest/bikes frames have
# 5-25 streak-like marks (~2-10 per 100k), rainy ones 240-300 (~100-130 per 100k).
STREAKS_FOR_FULL_RAIN = 60.0
# Rain falls everywhere; scene texture clusters. The frame is cut into this grid and the share
# of cells with streaks (up to half of them counting fully) scales the score.
COVERAGE_GRID = (8, 4)
CHANGE_LEVEL = 25  # grey levels: a pixel "changed" between analysed frames
MOTION_SIZE = (160, 90)
# A change covering this share of the frame with far less detail than the rest is something
# out of focus right in front of the lens (an insect, a spider's thread, a leaf).
LENS_AREA = 0.15
LENS_SHARPNESS_RATIO = 0.35


@dataclass(frozen=True)
class FrameStats:
    t_s: float
    mean_luma: float
    rain_streaks: float  # streak-like marks per 100,000 px that were not there before
    changed_fraction: float  # share of pixels changed since the previous analysed frame
    luma_jump: float  # |mean brightness - previous|
    blurry_large_change: bool


def motion_thumbnail(gray: np.ndarray) -> np.ndarray:
    """A tiny grey image for cheap change tests between analysed frames."""
    return cv2.resize(gray, MOTION_SIZE, interpolation=cv2.INTER_AREA)


def changed_fraction(before: np.ndarray, after: np.ndarray) -> float:
    """Share of pixels of two motion thumbnails that differ by more than ``CHANGE_LEVEL``.

    Brightness is equalised first so that a lighting change alone does not count as motion.
    """
    return float(_changed(before, after).mean())


def _changed(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    diff = after.astype(np.int16) - before.astype(np.int16)
    # The median, not the mean: a local change (a blob, a visitor) must not shift the rest.
    return np.abs(diff - int(np.median(diff))) > CHANGE_LEVEL


def streak_mask(gray: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Thin, bright, longer-than-wide marks (rain lit by a lamp or IR) and their stats."""
    kernel = np.ones((1, STREAK_MAX_WIDTH), np.uint8)
    tophat = cv2.morphologyEx(gray, cv2.MORPH_TOPHAT, kernel)
    mask = (tophat > STREAK_CONTRAST).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    widths, heights, areas = stats[1:, 2], stats[1:, 3], stats[1:, 4]
    min_length = max(3, round(STREAK_MIN_LENGTH * gray.shape[1] / 640))
    elongated = (heights >= min_length) & (heights >= 2 * widths) & (areas <= heights * 3)
    keep = np.zeros(count, dtype=bool)
    keep[1:] = elongated
    return keep[labels], stats[1:][elongated]


class SceneMeter:
    """Feeds on the analysed frames in time order; `FrameStats` for each."""

    def __init__(self) -> None:
        self._previous_thumb: np.ndarray | None = None
        self._previous_streaks: np.ndarray | None = None
        self._previous_luma: float | None = None
        self.frames: list[FrameStats] = []

    def add(self, gray: np.ndarray, t_s: float) -> FrameStats:
        thumb = motion_thumbnail(gray)
        luma = float(thumb.mean())
        streaks, streak_stats = streak_mask(gray)
        fresh = len(streak_stats)
        fresh_stats = streak_stats
        if self._previous_streaks is not None and self._previous_streaks.shape == streaks.shape:
            # Marks that stay in place (poles, window frames, cables) are scenery, not rain.
            steady = cv2.dilate(self._previous_streaks.astype(np.uint8), np.ones((3, 3)))
            centres_x = streak_stats[:, 0] + streak_stats[:, 2] // 2
            centres_y = streak_stats[:, 1] + streak_stats[:, 3] // 2
            fresh_stats = streak_stats[steady[centres_y, centres_x] == 0]
            fresh = len(fresh_stats)
        changed = 0.0
        blurry = False
        if self._previous_thumb is not None:
            changed = changed_fraction(self._previous_thumb, thumb)
            blurry = _blurry_large_change(self._previous_thumb, thumb)
        stats = FrameStats(
            t_s=t_s,
            mean_luma=luma,
            rain_streaks=fresh * 100_000 / gray.size * _coverage(fresh_stats, gray.shape),
            changed_fraction=changed,
            luma_jump=abs(luma - self._previous_luma) if self._previous_luma is not None else 0.0,
            blurry_large_change=blurry,
        )
        self._previous_thumb, self._previous_streaks, self._previous_luma = thumb, streaks, luma
        self.frames.append(stats)
        return stats

    def rain_score(self) -> float:
        """0..1; the median over frames, because rain lasts while noise comes and goes."""
        if not self.frames:
            return 0.0
        median = float(np.median([frame.rain_streaks for frame in self.frames]))
        return min(1.0, median / STREAKS_FOR_FULL_RAIN)

    def largest_luma_jump(self) -> float:
        return max((frame.luma_jump for frame in self.frames), default=0.0)

    def saw_blurry_large_change(self) -> bool:
        return any(frame.blurry_large_change for frame in self.frames)


def _coverage(streaks: np.ndarray, shape: tuple[int, ...]) -> float:
    """Share of grid cells with a streak, where half the cells count as full coverage."""
    if len(streaks) == 0:
        return 0.0
    columns, rows = COVERAGE_GRID
    height, width = shape[:2]
    cx = np.minimum((streaks[:, 0] + streaks[:, 2] // 2) * columns // width, columns - 1)
    cy = np.minimum((streaks[:, 1] + streaks[:, 3] // 2) * rows // height, rows - 1)
    cells = len(set(zip(cx.tolist(), cy.tolist(), strict=True)))
    return min(1.0, cells / (columns * rows / 2))


def _blurry_large_change(before: np.ndarray, after: np.ndarray) -> bool:
    changed = _changed(before, after)
    if changed.mean() < LENS_AREA or changed.all():
        return False
    detail = np.abs(cv2.Laplacian(after, cv2.CV_16S))
    inside, outside = float(detail[changed].mean()), float(detail[~changed].mean())
    return outside > 0 and inside < LENS_SHARPNESS_RATIO * outside
