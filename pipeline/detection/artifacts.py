"""Files derived from a clip: the best frame with its boxes drawn, and plate crops.

Names start with the recording's file stem so that `ClipStore.delete_recording_files` removes
them with the recording.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from core.detection.boxes import Box

BOX_COLOURS = {  # BGR
    "person": (60, 200, 60),
    "vehicle": (40, 140, 255),
    "animal": (230, 160, 40),
    "plate": (40, 40, 230),
}
JPEG_QUALITY = 85


def draw_boxes(image: np.ndarray, boxes: list[Box], scale: float = 1.0) -> np.ndarray:
    """A copy of ``image`` with ``boxes`` (in pixels of the image ÷ ``scale``) drawn."""
    out = image.copy()
    thickness = max(1, round(out.shape[1] / 320))
    for box in boxes:
        x1, y1, x2, y2 = (round(v * scale) for v in box.xyxy)
        colour = BOX_COLOURS.get(box.label, (255, 255, 255))
        cv2.rectangle(out, (x1, y1), (x2, y2), colour, thickness)
        text = f"{box.class_name or box.label} {box.score:.2f}"
        # Hershey fonts are built into OpenCV: nothing is fetched to draw labels.
        cv2.putText(
            out,
            text,
            (x1 + 2, max(12, y1 - 4)),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.4 * thickness,
            colour,
            thickness,
            cv2.LINE_AA,
        )
    return out


def write_jpeg(image: np.ndarray, target: Path) -> Path:
    """Write atomically, so a reader never sees half a thumbnail."""
    target.parent.mkdir(parents=True, exist_ok=True)
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise ValueError(f"cannot encode {target.name}")
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_bytes(encoded.tobytes())
    os.replace(tmp, target)
    return target


def resize_to_width(image: np.ndarray, width: int) -> tuple[np.ndarray, float]:
    h, w = image.shape[:2]
    if w <= width:
        return image, 1.0
    scale = width / w
    return cv2.resize(image, (width, round(h * scale)), interpolation=cv2.INTER_AREA), scale
