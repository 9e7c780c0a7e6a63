"""The detectors on real stills with real models (../shared/models)."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import pytest

from core.detection.boxes import COCO_TO_LABEL, PLATE
from pipeline.detection.errors import ModelUnavailable
from pipeline.detection.nanodet_onnx import NanoDetOnnxDetector
from pipeline.detection.plates import PlateFinder, crop_vehicles
from pipeline.detection.yolo_onnx import YoloOnnxDetector
from tests.conftest import requires_shared


def still(name: str):
    return cv2.imread(str(requires_shared("stills", name)))


def classes(boxes) -> set[str]:
    return {box.class_name for box in boxes}


def test_yolo_rectangular_model_reads_its_input_size_and_class_names():
    detector = YoloOnnxDetector(requires_shared("models", "yolov8n_640x384.onnx"), COCO_TO_LABEL)
    assert detector.input_size == (640, 384)
    assert detector.names[0] == "person" and detector.names[2] == "car"


def test_yolo_finds_person_dog_and_horse_mapped_to_product_labels():
    detector = YoloOnnxDetector(requires_shared("models", "yolov8n_640x384.onnx"), COCO_TO_LABEL)
    boxes = detector.detect(still("person.jpg"))
    assert {"person", "dog", "horse"} <= classes(boxes)
    assert {box.label for box in boxes} == {"person", "animal"}
    person = next(box for box in boxes if box.class_name == "person")
    # The person in person.jpg stands at about x 190-275, y 100-376 (640x424 image).
    assert person.xyxy[0] == pytest.approx(190, abs=15)
    assert person.xyxy[3] == pytest.approx(376, abs=15)


def test_yolo_keeps_only_mapped_classes_and_boxes_inside_the_image():
    detector = YoloOnnxDetector(requires_shared("models", "yolov8n_fp32.onnx"), COCO_TO_LABEL)
    image = still("dog.jpg")
    boxes = detector.detect(image)
    assert {"dog", "bicycle"} <= classes(boxes)
    height, width = image.shape[:2]
    for box in boxes:
        assert box.class_name in COCO_TO_LABEL
        assert 0 <= box.xyxy[0] < box.xyxy[2] <= width
        assert 0 <= box.xyxy[1] < box.xyxy[3] <= height


def test_nanodet_finds_the_people_and_the_bus():
    detector = NanoDetOnnxDetector(
        requires_shared("models", "nanodet_m.onnx"),
        COCO_TO_LABEL,
        requires_shared("models", "coco.names"),
    )
    boxes = detector.detect(still("bus.jpg"))
    assert "bus" in classes(boxes)
    assert sum(box.class_name == "person" for box in boxes) >= 3


def test_plate_is_found_on_the_vehicle_crop_of_plate_1():
    vehicles = YoloOnnxDetector(requires_shared("models", "yolov8n_640x384.onnx"), COCO_TO_LABEL)
    plates = YoloOnnxDetector(requires_shared("models", "platedet.onnx"), {"plate": PLATE})
    image = still("plate_1.jpg")
    finder = PlateFinder(plates, max_runs=1)
    finder.offer(crop_vehicles(image, vehicles.detect(image), 0.0, min_width_px=100))
    found = finder.find()
    assert len(found) == 1
    _, plate, crop = found[0]
    assert plate.score > 0.6
    # The plate sits in the lower middle of the car (about x 490-920, y 520-650).
    assert 400 < (plate.xyxy[0] + plate.xyxy[2]) / 2 < 1000
    assert 450 < (plate.xyxy[1] + plate.xyxy[3]) / 2 < 700
    assert crop.shape[1] > 2 * crop.shape[0]  # a plate is wide


def test_a_missing_model_is_an_error_naming_its_path(tmp_path: Path):
    missing = tmp_path / "models" / "yolo.onnx"
    with pytest.raises(ModelUnavailable, match=re.escape(str(missing))):
        YoloOnnxDetector(missing, COCO_TO_LABEL)


def test_an_unreadable_model_is_an_error_naming_its_path(tmp_path: Path):
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"this is not an onnx model")
    with pytest.raises(ModelUnavailable, match=r"broken\.onnx.*cannot be loaded"):
        YoloOnnxDetector(broken, COCO_TO_LABEL)


def test_a_model_without_class_names_needs_a_names_file(tmp_path: Path):
    with pytest.raises(ModelUnavailable, match=r"coco\.names"):
        NanoDetOnnxDetector(
            requires_shared("models", "nanodet_m.onnx"), COCO_TO_LABEL, tmp_path / "coco.names"
        )
