"""YOLOv8 / YOLO11 ONNX exports (detect and segment heads) on ONNX Runtime.

The input size is read from the model, so rectangular exports (``yolov8n_640x384.onnx``) waste
no time on letterbox padding for 16:9 frames. Class names come from the model's metadata.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from core.detection.boxes import Box
from pipeline.detection.errors import ModelUnavailable
from pipeline.detection.onnx_session import (
    boxes_from_scores,
    class_names_from_file,
    class_names_from_metadata,
    letterbox,
    open_session,
)

logger = logging.getLogger(__name__)


class YoloOnnxDetector:
    """Boxes from an Ultralytics ONNX export, only for classes in ``label_map``."""

    def __init__(
        self,
        path: Path,
        label_map: dict[str, str],
        *,
        score_threshold: float = 0.35,
        iou_threshold: float = 0.5,
        intra_op_threads: int = 1,
        class_names_file: Path | None = None,
    ) -> None:
        self.path = Path(path)
        self.name = self.path.name
        self.session = open_session(self.path, intra_op_threads)
        model_input = self.session.get_inputs()[0]
        height, width = model_input.shape[2], model_input.shape[3]
        if not (isinstance(width, int) and isinstance(height, int)):
            # Dynamic exports would need a chosen size; ours are fixed, so say so plainly.
            raise ModelUnavailable(self.path, "has a dynamic input size; export with a fixed imgsz")
        self.input_name = model_input.name
        self.input_size = (width, height)
        self.input_dtype: np.dtype[np.floating[Any]] = np.dtype(
            np.float16 if "float16" in model_input.type else np.float32
        )
        names = class_names_from_metadata(self.session, self.path)
        if names is None and class_names_file is not None:
            names = class_names_from_file(class_names_file, self.path)
        if not names:
            raise ModelUnavailable(self.path, "has no class names in its metadata")
        self.names = names
        wanted = [index for index, name in sorted(names.items()) if name in label_map]
        if not wanted:
            raise ModelUnavailable(self.path, f"knows none of the classes {sorted(label_map)}")
        self._wanted = np.array(wanted)
        self._labels = [label_map[names[index]] for index in wanted]
        self._class_names = [names[index] for index in wanted]
        self.score_threshold = score_threshold
        self.iou_threshold = iou_threshold

    def detect(self, image: np.ndarray) -> list[Box]:
        padded, scale = letterbox(image, *self.input_size)
        blob = padded[:, :, ::-1].transpose(2, 0, 1)[None].astype(self.input_dtype) / 255.0
        output = self.session.run(None, {self.input_name: blob})[0][0]  # (4 + nc [+ nm], N)

        def corners(keep: np.ndarray) -> np.ndarray:
            cx, cy, w, h = (output[i, keep].astype(np.float32) for i in range(4))
            return np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)

        image_h, image_w = image.shape[:2]
        return boxes_from_scores(
            output[4 + self._wanted].T,  # only the classes we report
            corners,
            score_threshold=self.score_threshold,
            iou_threshold=self.iou_threshold,
            scale=scale,
            image_size=(image_w, image_h),
            labels=self._labels,
            class_names=self._class_names,
        )
