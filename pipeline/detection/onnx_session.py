"""ONNX Runtime sessions tuned for a small shared CPU, and the pre/post-processing YOLO-style
detectors share (letterbox in, score filter + greedy NMS + scaling back out)."""

from __future__ import annotations

import ast
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import cv2
import numpy as np

from core.detection.boxes import Box
from pipeline.detection.errors import ModelUnavailable

logger = logging.getLogger(__name__)

LETTERBOX_FILL = 114


def open_session(path: Path, intra_op_threads: int = 1):
    """An InferenceSession on the CPU; a missing or broken file raises `ModelUnavailable`."""
    import onnxruntime as ort

    path = Path(path)
    if not path.is_file():
        raise ModelUnavailable(path, "no such file")
    options = ort.SessionOptions()
    options.intra_op_num_threads = intra_op_threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    # Spinning threads burn ~50% extra CPU waiting for work on a 2-core NAS.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    # Some public exports list initializers as inputs; ORT warns about each one at load.
    options.log_severity_level = 3
    # ORT's memory arena keeps the largest buffers each input shape ever needed: with vehicle
    # crops of varying sizes the plate models grew an analysis worker from 340 to 430 MB over two
    # clips. Without the arena and memory patterns it stays at ~350 MB, for ~3 % more time.
    options.enable_cpu_mem_arena = False
    options.enable_mem_pattern = False
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as error:  # ORT raises its own untyped errors for unreadable files
        raise ModelUnavailable(path, f"cannot be loaded by onnxruntime ({error})") from None


def class_names_from_metadata(session, path: Path) -> dict[int, str] | None:
    """Ultralytics exports keep ``names`` as a Python dict literal in the model metadata."""
    raw = session.get_modelmeta().custom_metadata_map.get("names")
    if not raw:
        return None
    try:
        names = ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        raise ModelUnavailable(path, "its 'names' metadata is not readable") from None
    return {int(index): str(name) for index, name in names.items()}


def class_names_from_file(path: Path, model_path: Path) -> dict[int, str]:
    """One class name a line (Darknet's coco.names)."""
    try:
        lines = Path(path).read_text().splitlines()
    except OSError as error:
        raise ModelUnavailable(model_path, f"class names file {path}: {error.strerror}") from None
    return {index: line.strip() for index, line in enumerate(lines) if line.strip()}


def letterbox(image: np.ndarray, width: int, height: int) -> tuple[np.ndarray, float]:
    """Fit ``image`` into width x height keeping its aspect, padded at right/bottom.

    Returns the padded image and the scale applied; boxes map back by dividing by it.
    """
    h, w = image.shape[:2]
    scale = min(width / w, height / h)
    new_w, new_h = round(w * scale), round(h * scale)
    if (new_w, new_h) != (w, h):
        image = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_AREA)
    if (new_w, new_h) == (width, height):
        return image, scale
    canvas = np.full((height, width, 3), LETTERBOX_FILL, dtype=np.uint8)
    canvas[:new_h, :new_w] = image
    return canvas, scale


def greedy_nms(
    xyxy: np.ndarray, scores: np.ndarray, classes: np.ndarray, iou_threshold: float
) -> list[int]:
    """Class-aware NMS; input is already filtered by score, so it is a few dozen boxes."""
    order = np.argsort(-scores)
    keep: list[int] = []
    # Offsetting each class far apart makes one pass class-aware.
    shifted = xyxy + (classes.astype(np.float32) * 10_000.0)[:, None]
    areas = (shifted[:, 2] - shifted[:, 0]) * (shifted[:, 3] - shifted[:, 1])
    while order.size:
        best = order[0]
        keep.append(int(best))
        rest = order[1:]
        ix = np.clip(
            np.minimum(shifted[best, 2], shifted[rest, 2])
            - np.maximum(shifted[best, 0], shifted[rest, 0]),
            0,
            None,
        )
        iy = np.clip(
            np.minimum(shifted[best, 3], shifted[rest, 3])
            - np.maximum(shifted[best, 1], shifted[rest, 1]),
            0,
            None,
        )
        inter = ix * iy
        iou = inter / (areas[best] + areas[rest] - inter + 1e-9)
        order = rest[iou < iou_threshold]
    return keep


def boxes_from_scores(
    class_scores: np.ndarray,
    decode_corners: Callable[[np.ndarray], np.ndarray],
    *,
    score_threshold: float,
    iou_threshold: float,
    scale: float,
    image_size: tuple[int, int],
    labels: Sequence[str],
    class_names: Sequence[str],
) -> list[Box]:
    """The boxes worth reporting from one inference, the same way for every ONNX detector.

    ``class_scores`` is (candidates, classes) over the classes the detector reports, whose
    product label and model class name are ``labels[i]`` / ``class_names[i]``. Each candidate
    keeps its best class; those under ``score_threshold`` are dropped before their corners are
    decoded: ``decode_corners(indices)`` gives (len(indices), 4) x1 y1 x2 y2 in the letterboxed
    model input, which is the costly part for thousands of candidates. The rest go through
    class-aware NMS and back to the pixels of the ``image_size`` (width, height) image.
    """
    best = class_scores.argmax(axis=1)
    scores = class_scores[np.arange(len(best)), best]
    keep = np.nonzero(scores >= score_threshold)[0]
    if keep.size == 0:
        return []
    xyxy = decode_corners(keep).astype(np.float32) / scale
    scores, classes = scores[keep].astype(np.float32), best[keep]
    image_w, image_h = image_size
    xyxy[:, [0, 2]] = xyxy[:, [0, 2]].clip(0, image_w)
    xyxy[:, [1, 3]] = xyxy[:, [1, 3]].clip(0, image_h)
    boxes = []
    for i in greedy_nms(xyxy, scores, classes, iou_threshold):
        x1, y1, x2, y2 = (float(value) for value in xyxy[i])
        boxes.append(
            Box(labels[classes[i]], float(scores[i]), (x1, y1, x2, y2), class_names[classes[i]])
        )
    return boxes
