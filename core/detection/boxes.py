"""What a detector returns: boxes with a product label, a score and pixel corners."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

# The labels a customer can filter on (recording_labels.label).
PERSON = "person"
VEHICLE = "vehicle"
ANIMAL = "animal"
PLATE = "plate"
RAIN = "rain"
FALSE_ALARM = "false_alarm"
OBJECT_LABELS = (PERSON, VEHICLE, ANIMAL)
ALL_LABELS = (PERSON, VEHICLE, ANIMAL, PLATE, RAIN, FALSE_ALARM)

# COCO class names (both the Ultralytics and the Darknet spelling) to product labels; every
# other class (chairs, cups, traffic lights ...) is not something an alarm is about.
COCO_TO_LABEL: dict[str, str] = {
    "person": PERSON,
    **dict.fromkeys(
        ("bicycle", "car", "motorcycle", "motorbike", "bus", "truck", "train", "boat"), VEHICLE
    ),
    **dict.fromkeys(
        (
            "bird",
            "cat",
            "dog",
            "horse",
            "sheep",
            "cow",
            "elephant",
            "bear",
            "zebra",
            "giraffe",
        ),
        ANIMAL,
    ),
}


@dataclass(frozen=True, slots=True)
class Box:
    """One detection: ``xyxy`` in pixels of the image the detector was given."""

    label: str
    score: float
    xyxy: tuple[float, float, float, float]
    class_name: str = ""

    @property
    def width(self) -> float:
        return self.xyxy[2] - self.xyxy[0]

    @property
    def height(self) -> float:
        return self.xyxy[3] - self.xyxy[1]

    def scaled(self, sx: float, sy: float) -> Box:
        x1, y1, x2, y2 = self.xyxy
        return Box(self.label, self.score, (x1 * sx, y1 * sy, x2 * sx, y2 * sy), self.class_name)

    def iou(self, other: Box) -> float:
        return box_iou(self.xyxy, other.xyxy)


def box_iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


class Detector(Protocol):
    """A loaded model. ``detect`` takes a BGR uint8 image of any size."""

    name: str
    input_size: tuple[int, int]  # (width, height) the model runs at

    def detect(self, image: np.ndarray) -> list[Box]: ...
