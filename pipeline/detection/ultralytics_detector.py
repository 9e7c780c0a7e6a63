"""The optional ultralytics backend (extra ``ultralytics``): loads ``.pt`` or ``.onnx`` models.

Ultralytics would otherwise probe the network, check for updates, fetch fonts and pip-install
missing packages at run time; the environment below switches all of that off before import.
"""

from __future__ import annotations

import ast
import logging
import os
from pathlib import Path

import numpy as np

from core.detection.boxes import Box
from pipeline.detection.errors import BackendUnavailable, ModelUnavailable

logger = logging.getLogger(__name__)

OFFLINE_ENV = {
    "YOLO_OFFLINE": "1",
    "YOLO_AUTOINSTALL": "0",
    "YOLO_VERBOSE": "False",
    "ULTRALYTICS_SKIP_REQUIREMENTS_CHECKS": "1",
}


def import_yolo():
    """``ultralytics.YOLO`` with every run-time download switched off."""
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
    try:
        from ultralytics import YOLO
        from ultralytics.utils import SETTINGS
    except ImportError as error:
        raise BackendUnavailable(
            "the ultralytics backend needs the extra: pip install 'alarmvault[ultralytics]' "
            f"({error})"
        ) from None
    # Settings persist in the user's config dir; sync would post usage events.
    if SETTINGS.get("sync"):
        SETTINGS.update({"sync": False})
    return YOLO


class UltralyticsDetector:
    def __init__(
        self,
        path: Path,
        label_map: dict[str, str],
        *,
        score_threshold: float = 0.35,
        iou_threshold: float = 0.5,
        input_size: tuple[int, int] = (640, 640),
        threads: int = 1,
    ) -> None:
        self.path = Path(path)
        self.name = self.path.name
        if not self.path.is_file():
            # Checked first: given a bare name, ultralytics would try to download it.
            raise ModelUnavailable(self.path, "no such file")
        if self.path.suffix not in (".pt", ".onnx"):
            raise ModelUnavailable(self.path, "the ultralytics backend loads .pt or .onnx files")
        yolo = import_yolo()
        import torch

        torch.set_num_threads(threads)
        try:
            self.model = yolo(str(self.path), task="detect")
        except Exception as error:  # torch/onnx raise many unrelated types for a bad file
            raise ModelUnavailable(
                self.path, f"cannot be loaded by ultralytics ({error})"
            ) from None
        if self.path.suffix == ".onnx":
            input_size = _onnx_input_size(self.path) or input_size
            _check_onnx_metadata_size(self.path, input_size)
        self.input_size = input_size
        names = {int(k): str(v) for k, v in self.model.names.items()}
        self._classes = [index for index, name in names.items() if name in label_map]
        if not self._classes:
            raise ModelUnavailable(self.path, f"knows none of the classes {sorted(label_map)}")
        self._names = names
        self._label_map = label_map
        self.score_threshold = score_threshold
        self.iou_threshold = iou_threshold

    def detect(self, image: np.ndarray) -> list[Box]:
        width, height = self.input_size
        result = self.model.predict(
            image,
            imgsz=(height, width),
            conf=self.score_threshold,
            iou=self.iou_threshold,
            classes=self._classes,
            verbose=False,
            device="cpu",
        )[0]
        boxes = result.boxes
        xyxy = boxes.xyxy.cpu().numpy()
        scores = boxes.conf.cpu().numpy()
        classes = boxes.cls.cpu().numpy().astype(int)
        return [
            Box(
                self._label_map[self._names[cls]],
                float(score),
                (float(x1), float(y1), float(x2), float(y2)),
                self._names[cls],
            )
            for (x1, y1, x2, y2), score, cls in zip(xyxy, scores, classes, strict=True)
        ]


def _onnx_session(path: Path):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _onnx_input_size(path: Path) -> tuple[int, int] | None:
    shape = _onnx_session(path).get_inputs()[0].shape
    if isinstance(shape[2], int) and isinstance(shape[3], int):
        return shape[3], shape[2]
    return None


def _check_onnx_metadata_size(path: Path, input_size: tuple[int, int]) -> None:
    """Ultralytics feeds ONNX models the ``imgsz`` of their metadata, not their input shape.

    A model whose input was resized after export (like ``yolov8n_640x384.onnx``) would fail on
    the first clip; say so at start instead. The ONNX Runtime backend has no such limit.
    """
    raw = _onnx_session(path).get_modelmeta().custom_metadata_map.get("imgsz")
    if raw is None:
        return
    try:
        height, width = ast.literal_eval(raw)
    except (ValueError, SyntaxError, TypeError):
        return
    if (width, height) != tuple(input_size):
        raise ModelUnavailable(
            path,
            f"its metadata says imgsz {height}x{width} but its input is "
            f"{input_size[1]}x{input_size[0]}; ultralytics cannot run it (use the onnxruntime "
            "backend or re-export at that size)",
        )
