"""The optional ultralytics backend (``make test-ultralytics``; needs the extra, ~5.5 GB)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from core.detection.boxes import COCO_TO_LABEL
from core.detection.results import DetectionSwitches
from pipeline.detection.errors import ModelUnavailable
from tests.conftest import requires_shared

pytestmark = pytest.mark.ultralytics


@pytest.fixture(scope="module")
def ultralytics_detector_class():
    from pipeline.detection.ultralytics_detector import OFFLINE_ENV

    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
    pytest.importorskip("ultralytics", reason="the ultralytics extra is not installed")
    from pipeline.detection.ultralytics_detector import UltralyticsDetector

    return UltralyticsDetector


def test_ultralytics_runs_offline_and_finds_people_in_vtest(
    ultralytics_detector_class, vtest_clip: Path, tmp_path: Path
):
    from core.settings.detection import DetectionSettings
    from pipeline.detection.analyzer import ClipAnalyzer

    detector = ultralytics_detector_class(
        requires_shared("models", "yolov8n_fp32.onnx"), COCO_TO_LABEL
    )
    assert os.environ["YOLO_OFFLINE"] == "1" and os.environ["YOLO_AUTOINSTALL"] == "0"
    analyzer = ClipAnalyzer(DetectionSettings(backend="ultralytics"), detector)
    result = analyzer.analyze(vtest_clip, DetectionSwitches(objects=True), tmp_path, "u")
    assert result.label("person") is not None and result.label("person").best_score > 0.7


def test_ultralytics_refuses_a_model_whose_metadata_size_is_wrong(ultralytics_detector_class):
    # yolov8n_640x384.onnx had its input resized after export; ultralytics would feed it 640x640.
    with pytest.raises(ModelUnavailable, match="imgsz"):
        ultralytics_detector_class(requires_shared("models", "yolov8n_640x384.onnx"), COCO_TO_LABEL)


def test_ultralytics_missing_model_names_the_path_and_downloads_nothing(
    ultralytics_detector_class, tmp_path: Path
):
    with pytest.raises(ModelUnavailable, match=re.escape(str(tmp_path / "yolo11n.pt"))):
        ultralytics_detector_class(tmp_path / "yolo11n.pt", COCO_TO_LABEL)
    assert not (tmp_path / "yolo11n.pt").exists()
