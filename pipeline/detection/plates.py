"""Licence plates: the plate detector runs on crops of vehicles, never on whole frames.

A plate is a few percent of a 1080p frame; cropping the vehicle at the clip's full resolution
gives the plate model enough pixels, and skips frames without vehicles entirely. The plates
found are read (`plate_reader`) and grouped by vehicle, so each vehicle keeps its best reading.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.detection.boxes import PLATE, VEHICLE, Box, Detector
from core.detection.plate_text import plates_match
from core.detection.results import PlateCrop, PlateRead

CROP_MARGIN = 0.05  # of the vehicle box, so plates at the box edge are not cut


@dataclass
class VehicleCrop:
    t_s: float
    vehicle: Box  # in the frame's pixels
    image: np.ndarray
    origin: tuple[int, int]  # the crop's top-left corner in the frame

    @property
    def priority(self) -> float:
        return self.vehicle.width * self.vehicle.height * self.vehicle.score


def crop_vehicles(
    frame: np.ndarray, boxes: list[Box], t_s: float, min_width_px: float
) -> list[VehicleCrop]:
    """Crops (copies) of the vehicles in ``frame`` large enough to show a readable plate."""
    height, width = frame.shape[:2]
    crops = []
    for box in boxes:
        if box.label != VEHICLE or box.width < min_width_px:
            continue
        mx, my = box.width * CROP_MARGIN, box.height * CROP_MARGIN
        x1, y1 = max(0, int(box.xyxy[0] - mx)), max(0, int(box.xyxy[1] - my))
        x2, y2 = min(width, int(box.xyxy[2] + mx)), min(height, int(box.xyxy[3] + my))
        if x2 - x1 < 8 or y2 - y1 < 8:
            continue
        crops.append(VehicleCrop(t_s, box, frame[y1:y2, x1:x2].copy(), (x1, y1)))
    return crops


class PlateFinder:
    """Keeps the best vehicle crops seen in a clip, then looks for plates on them."""

    def __init__(self, plate_detector: Detector, max_runs: int, keep: int = 8) -> None:
        self.detector = plate_detector
        self.max_runs = max_runs
        self.keep = max(keep, max_runs)
        self.candidates: list[VehicleCrop] = []

    def offer(self, crops: list[VehicleCrop]) -> None:
        self.candidates.extend(crops)
        self.candidates.sort(key=lambda crop: crop.priority, reverse=True)
        del self.candidates[self.keep :]

    def find(self) -> list[tuple[VehicleCrop, Box, np.ndarray]]:
        """(vehicle crop, plate box in frame pixels, plate image) for each plate found."""
        found = []
        for crop in self.candidates[: self.max_runs]:
            ox, oy = crop.origin
            for plate in self.detector.detect(crop.image):
                if plate.label != PLATE:
                    continue
                x1, y1, x2, y2 = (round(v) for v in plate.xyxy)
                image = crop.image[max(0, y1) : y2, max(0, x1) : x2]
                if image.size == 0:
                    continue
                in_frame = Box(PLATE, plate.score, (x1 + ox, y1 + oy, x2 + ox, y2 + oy), "plate")
                found.append((crop, in_frame, image))
        return found


TRACK_IOU = 0.3  # vehicle boxes overlapping this much in two analysed frames: one vehicle


def _iou(a: Box, b: Box) -> float:
    ix = max(0.0, min(a.xyxy[2], b.xyxy[2]) - max(a.xyxy[0], b.xyxy[0]))
    iy = max(0.0, min(a.xyxy[3], b.xyxy[3]) - max(a.xyxy[1], b.xyxy[1]))
    inter = ix * iy
    union = a.width * a.height + b.width * b.height - inter
    return inter / union if union > 0 else 0.0


def vehicle_tracks(crops: list[VehicleCrop], texts: list[str | None]) -> list[int]:
    """A track number for each crop: crops of one vehicle (its box overlapping the track's
    latest box, or its plate read the same) share one, counted from 0 in time order."""
    order = sorted(range(len(crops)), key=lambda i: crops[i].t_s)
    tracks = [0] * len(crops)
    latest: list[tuple[Box, str | None]] = []
    for i in order:
        box, text = crops[i].vehicle, texts[i]
        same = next(
            (
                number
                for number, (last_box, last_text) in enumerate(latest)
                if _iou(box, last_box) >= TRACK_IOU
                or (text and last_text and plates_match(text, last_text))
            ),
            None,
        )
        if same is None:
            same = len(latest)
            latest.append((box, text))
        else:
            latest[same] = (box, text or latest[same][1])
        tracks[i] = same
    return tracks


def best_reads(plates: list[PlateCrop]) -> list[PlateRead]:
    """Per track, the reading with the highest text score."""
    best: dict[int, PlateRead] = {}
    for index, plate in enumerate(plates):
        if plate.text is None or plate.text_score is None:
            continue
        known = best.get(plate.track)
        if known is None or plate.text_score > known.score:
            best[plate.track] = PlateRead(
                plate.track, plate.text, plate.text_score, plate.t_s, index
            )
    return [best[track] for track in sorted(best)]
