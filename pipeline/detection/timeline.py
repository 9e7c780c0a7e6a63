"""Merging detections over the analysed frames: labels, persistence, and false-alarm causes.

Pure functions over `FrameBoxes` and `FrameStats`, tested without video files.
"""

from __future__ import annotations

from core.detection.boxes import OBJECT_LABELS, Box
from core.detection.results import FrameBoxes, LabelHit
from pipeline.detection.scene import SceneMeter

# A box that stays put in every analysed frame (IoU at least this) is part of the scene, like
# a parked car: it does not make an alarm genuine.
STATIC_IOU = 0.85

RAIN = "rain"
LIGHTING = "lighting"
CLOSE_TO_LENS = "close_to_lens"
FOLIAGE_OR_UNKNOWN = "foliage_or_unknown"


def merge_labels(frames: list[FrameBoxes], labels: tuple[str, ...]) -> list[LabelHit]:
    """One `LabelHit` per label seen: best score, first and last second, frames seen in."""
    hits: dict[str, LabelHit] = {}
    for frame in sorted(frames, key=lambda f: f.t_s):
        for box in frame.boxes:
            if box.label not in labels:
                continue
            hit = hits.get(box.label)
            if hit is None:
                hits[box.label] = LabelHit(box.label, box.score, frame.t_s, frame.t_s, 0)
                continue
            hit.best_score = max(hit.best_score, box.score)
            hit.last_s = max(hit.last_s, frame.t_s)
        for label in {box.label for box in frame.boxes if box.label in labels}:
            hits[label].frames += 1
    return sorted(hits.values(), key=lambda hit: labels.index(hit.label))


def is_static_scenery(frames: list[FrameBoxes], label: str) -> bool:
    """The label's boxes are the same in every analysed frame (nothing came or went)."""
    if len(frames) < 2:
        return False
    reference: list[Box] | None = None
    for frame in frames:
        boxes = [box for box in frame.boxes if box.label == label]
        if not boxes:
            return False
        if reference is None:
            reference = boxes
            continue
        if len(boxes) != len(reference):
            return False
        for box in boxes:
            if max(box.iou(ref) for ref in reference) < STATIC_IOU:
                return False
    return True


def persistent_objects(frames: list[FrameBoxes], min_frames: int) -> list[str]:
    """Object labels seen in at least ``min_frames`` analysed frames that are not scenery."""
    found = []
    for hit in merge_labels(frames, OBJECT_LABELS):
        if hit.frames >= min_frames and not is_static_scenery(frames, hit.label):
            found.append(hit.label)
    return found


def false_alarm_cause(
    frames: list[FrameBoxes],
    scene: SceneMeter,
    *,
    min_frames: int,
    rain_threshold: float,
    lighting_change: float,
) -> str | None:
    """None when a real object persists; else the most likely cause of the alarm."""
    if persistent_objects(frames, min_frames):
        return None
    if scene.rain_score() >= rain_threshold:
        return RAIN
    # Before lighting: a bright blob in front of the lens also raises the mean brightness,
    # but a lighting change brightens the scene's own detail rather than covering it.
    if scene.saw_blurry_large_change():
        return CLOSE_TO_LENS
    if scene.largest_luma_jump() >= lighting_change:
        return LIGHTING
    return FOLIAGE_OR_UNKNOWN
