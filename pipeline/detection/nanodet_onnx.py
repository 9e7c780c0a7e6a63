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
    class_names_from_file,
    greedy_nms,
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
        all_xyxy, all_scores, all_classes = [], [], []
        for stride, score_name, box_name in self._outputs:
            scores_all = results[score_name][0][:, self._wanted]
            best = scores_all.argmax(axis=1)
            scores = scores_all[np.arange(len(best)), best]
            keep = np.nonzero(scores >= self.score_threshold)[0]
            if keep.size == 0:
                continue
            cols = width // stride
            cx = (keep % cols + 0.5) * stride
            cy = (keep // cols + 0.5) * stride
            dist = results[box_name][0][keep].reshape(-1, 4, REG_BINS)
            dist = np.exp(dist - dist.max(axis=2, keepdims=True))
            dist /= dist.sum(axis=2, keepdims=True)
            sides = (dist * np.arange(REG_BINS, dtype=np.float32)).sum(axis=2) * stride
            all_xyxy.append(
                np.stack(
                    [cx - sides[:, 0], cy - sides[:, 1], cx + sides[:, 2], cy + sides[:, 3]], axis=1
                )
            )
            all_scores.append(scores[keep])
            all_classes.append(best[keep])
        if not all_xyxy:
            return []
        xyxy = np.concatenate(all_xyxy).astype(np.float32) / scale
        scores = np.concatenate(all_scores).astype(np.float32)
        classes = np.concatenate(all_classes)
        image_h, image_w = image.shape[:2]
        xyxy[:, [0, 2]] = xyxy[:, [0, 2]].clip(0, image_w)
        xyxy[:, [1, 3]] = xyxy[:, [1, 3]].clip(0, image_h)
        return [
            Box(
                self._labels[classes[i]],
                float(scores[i]),
                tuple(float(v) for v in xyxy[i]),
                self._class_names[classes[i]],
            )
            for i in greedy_nms(xyxy, scores, classes, self.iou_threshold)
        ]
