"""A detector double shaped like the real ones (in the habit of Viseron's yolo_fakes): it
returns `Box` lists, has ``name`` and ``input_size``, and records what it was asked."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from core.detection.boxes import Box


class FakeDetector:
    """``script(call_number, image)`` returns the boxes for each call (image pixels)."""

    def __init__(
        self,
        script: Callable[[int, np.ndarray], list[Box]] | None = None,
        input_size: tuple[int, int] = (640, 384),
        name: str = "fake.onnx",
    ) -> None:
        self.script = script or (lambda call, image: [])
        self.input_size = input_size
        self.name = name
        self.images: list[np.ndarray] = []

    def detect(self, image: np.ndarray) -> list[Box]:
        self.images.append(image)
        return self.script(len(self.images) - 1, image)


def person_at(x: float = 100, y: float = 80, score: float = 0.9) -> Box:
    return Box("person", score, (x, y, x + 40, y + 120), "person")


def car_at(x: float = 300, y: float = 200, score: float = 0.8) -> Box:
    return Box("vehicle", score, (x, y, x + 200, y + 120), "car")
