"""YOLOv8 / YOLO11 ONNX exports (detect and segment heads) on ONNX Runtime.

The input size is read from the model, so rectangular exports (``yolov8n_640x384.onnx``) waste
no time on letterbox padding for 16:9 frames. Class names come from the model's metadata.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from core.detection.boxes import Box
from pipeline.detection.errors import ModelUnavailable
from pipeline.detection.onnx_session import (
    class_names_from_file,
    class_names_from_metadata,
    greedy_nms,
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
        self.input_dtype = np.float16 if "float16" in model_input.type else np.float32
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
        scores_all = output[4 + self._wanted]  # only the classes we report
        best = scores_all.argmax(axis=0)
        scores = scores_all[best, np.arange(scores_all.shape[1])]
        # Filtering before NMS keeps NMS to a few dozen candidates instead of thousands.
        keep = scores >= self.score_threshold
        if not keep.any():
            return []
        cx, cy, w, h = (output[i, keep].astype(np.float32) for i in range(4))
        xyxy = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1) / scale
        scores, best = scores[keep].astype(np.float32), best[keep]
        image_h, image_w = image.shape[:2]
        xyxy[:, [0, 2]] = xyxy[:, [0, 2]].clip(0, image_w)
        xyxy[:, [1, 3]] = xyxy[:, [1, 3]].clip(0, image_h)
        return [
            Box(
                self._labels[best[i]],
                float(scores[i]),
                tuple(float(v) for v in xyxy[i]),
                self._class_names[best[i]],
            )
            for i in greedy_nms(xyxy, scores, best, self.iou_threshold)
        ]
