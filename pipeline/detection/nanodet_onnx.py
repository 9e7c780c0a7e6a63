"""NanoDet-m (the public 416x416 ONNX export) on ONNX Runtime.

The export has one class-score map (already sigmoid) and one box-distribution map (4 sides x
8 bins, "generalized focal loss") per stride 8/16/32, and no class names: those come from a
``coco.names`` file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.detection.boxes import Box
from pipeline.detection.errors import ModelUnavailable
from pipeline.detection.onnx_session import (
    boxes_from_scores,
    class_names_from_file,
    letterbox,
    open_session,
)

STRIDES = (8, 16, 32)
REG_BINS = 8
MEAN_BGR = np.array([103.53, 116.28, 123.675], dtype=np.float32)
STD_BGR = np.array([57.375, 57.12, 58.395], dtype=np.float32)


class NanoDetOnnxDetector:
    def __init__(
        self,
        path: Path,
        label_map: dict[str, str],
        class_names_file: Path,
        *,
        score_threshold: float = 0.35,
        iou_threshold: float = 0.5,
        intra_op_threads: int = 1,
    ) -> None:
        self.path = Path(path)
        self.name = self.path.name
        self.session = open_session(self.path, intra_op_threads)
        model_input = self.session.get_inputs()[0]
        self.input_name = model_input.name
        self.input_size = (int(model_input.shape[3]), int(model_input.shape[2]))
        self.names = class_names_from_file(class_names_file, self.path)
        self._outputs = self._pair_outputs()
        wanted = [index for index, name in sorted(self.names.items()) if name in label_map]
        if not wanted:
            raise ModelUnavailable(self.path, f"knows none of the classes {sorted(label_map)}")
        self._wanted = np.array(wanted)
        self._labels = [label_map[self.names[index]] for index in wanted]
        self._class_names = [self.names[index] for index in wanted]
        self.score_threshold = score_threshold
        self.iou_threshold = iou_threshold

    def _pair_outputs(self) -> list[tuple[int, str, str]]:
        """(stride, score output, box output) per level, matched by their number of cells."""
        width, height = self.input_size
        by_cells: dict[int, dict[int, str]] = {}
        for output in self.session.get_outputs():
            _, cells, channels = output.shape
            by_cells.setdefault(cells, {})[channels] = output.name
        levels = []
        for stride in STRIDES:
            cells = (width // stride) * (height // stride)
            level = by_cells.get(cells, {})
            box_name = level.get(4 * REG_BINS)
            score_name = next((n for c, n in level.items() if c != 4 * REG_BINS), None)
            if box_name is None or score_name is None:
                raise ModelUnavailable(self.path, "is not a NanoDet export this backend knows")
            levels.append((stride, score_name, box_name))
        return levels

    def detect(self, image: np.ndarray) -> list[Box]:
        width, height = self.input_size
        padded, scale = letterbox(image, width, height)
        blob = ((padded.astype(np.float32) - MEAN_BGR) / STD_BGR).transpose(2, 0, 1)[None]
        results = dict(
            zip(
                (o.name for o in self.session.get_outputs()),
                self.session.run(None, {self.input_name: blob}),
                strict=True,
            )
        )
        # The candidates of all levels in one row: stride 8's cells, then 16's, then 32's.
        level_scores = [
            results[score_name][0][:, self._wanted] for _, score_name, _ in self._outputs
        ]

        def corners(keep: np.ndarray) -> np.ndarray:
            parts, first = [], 0
            for (stride, _, box_name), scores in zip(self._outputs, level_scores, strict=True):
                cells = keep[(keep >= first) & (keep < first + len(scores))] - first
                first += len(scores)
                if cells.size:
                    distribution = results[box_name][0][cells]
                    parts.append(cell_corners(distribution, cells, stride, width // stride))
            return np.concatenate(parts)

        image_h, image_w = image.shape[:2]
        return boxes_from_scores(
            np.concatenate(level_scores),
            corners,
            score_threshold=self.score_threshold,
            iou_threshold=self.iou_threshold,
            scale=scale,
            image_size=(image_w, image_h),
            labels=self._labels,
            class_names=self._class_names,
        )


def cell_corners(distribution: np.ndarray, cells: np.ndarray, stride: int, cols: int) -> np.ndarray:
    """x1 y1 x2 y2 of the given cells of one level: each side is the expected distance under
    its softmaxed 8-bin distribution, in units of the stride, from the cell's centre."""
    cx = (cells % cols + 0.5) * stride
    cy = (cells // cols + 0.5) * stride
    dist = distribution.reshape(-1, 4, REG_BINS)
    dist = np.exp(dist - dist.max(axis=2, keepdims=True))
    dist /= dist.sum(axis=2, keepdims=True)
    sides = (dist * np.arange(REG_BINS, dtype=np.float32)).sum(axis=2) * stride
    return np.stack(
        [cx - sides[:, 0], cy - sides[:, 1], cx + sides[:, 2], cy + sides[:, 3]], axis=1
    )
