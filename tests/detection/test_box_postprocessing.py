"""Score filter, NMS and scaling back, shared by both ONNX detectors, on tiny arrays."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.detection.onnx_session import boxes_from_scores

LABELS = ("person", "vehicle")
CLASS_NAMES = ("person", "car")


def run(class_scores, corners, *, scale=1.0, image_size=(1000, 1000), decoded=None):
    """``corners`` holds every candidate's model-input corners; ``decoded`` records which
    candidates the detector was asked to decode."""
    corners = np.array(corners, dtype=np.float32)

    def decode(keep: np.ndarray) -> np.ndarray:
        if decoded is not None:
            decoded.extend(int(i) for i in keep)
        return corners[keep]

    return boxes_from_scores(
        np.array(class_scores, dtype=np.float32),
        decode,
        score_threshold=0.5,
        iou_threshold=0.5,
        scale=scale,
        image_size=image_size,
        labels=LABELS,
        class_names=CLASS_NAMES,
    )


def test_candidates_under_the_threshold_are_dropped_before_their_corners_are_decoded():
    decoded: list[int] = []
    boxes = run(
        [[0.2, 0.1], [0.1, 0.9], [0.49, 0.3]],
        [[0, 0, 10, 10], [100, 100, 200, 200], [300, 300, 400, 400]],
        decoded=decoded,
    )
    assert decoded == [1]
    assert [(box.label, box.class_name, box.xyxy) for box in boxes] == [
        ("vehicle", "car", (100.0, 100.0, 200.0, 200.0))
    ]
    assert boxes[0].score == pytest.approx(0.9)


def test_nothing_above_the_threshold_gives_no_boxes_and_decodes_nothing():
    decoded: list[int] = []
    assert run([[0.1, 0.2]], [[0, 0, 10, 10]], decoded=decoded) == []
    assert decoded == []


def test_each_candidate_takes_its_best_class():
    [box] = run([[0.6, 0.8]], [[0, 0, 10, 10]])
    assert (box.label, box.score) == ("vehicle", pytest.approx(0.8))


def test_overlapping_boxes_of_one_class_keep_only_the_best_scored():
    boxes = run([[0.7, 0], [0.9, 0]], [[0, 0, 100, 100], [5, 5, 105, 105]])
    assert [(box.score, box.xyxy) for box in boxes] == [
        (pytest.approx(0.9), (5.0, 5.0, 105.0, 105.0))
    ]


def test_overlapping_boxes_of_different_classes_are_both_kept_best_first():
    boxes = run([[0.7, 0], [0, 0.9]], [[0, 0, 100, 100], [5, 5, 105, 105]])
    assert [box.class_name for box in boxes] == ["car", "person"]


def test_boxes_overlapping_less_than_the_iou_threshold_are_both_kept():
    boxes = run([[0.7, 0], [0.9, 0]], [[0, 0, 100, 100], [60, 0, 160, 100]])  # IoU 0.25
    assert len(boxes) == 2


def test_corners_are_scaled_back_to_the_image_and_clipped_to_it():
    # A 2000x1000 image letterboxed into a 1000-wide model input: scale 0.5.
    [inside, overhanging] = run(
        [[0.9, 0], [0.8, 0]],
        [[100, 50, 200, 150], [900, 450, 1100, 600]],
        scale=0.5,
        image_size=(2000, 1000),
    )
    assert inside.xyxy == (200.0, 100.0, 400.0, 300.0)
    assert overhanging.xyxy == (1800.0, 900.0, 2000.0, 1000.0)
