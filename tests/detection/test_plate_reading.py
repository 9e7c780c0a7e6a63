"""Reading plates: the real recognition model (from the rapidocr-onnxruntime wheel) on the real
still plate_1.jpg, on SYNTHETIC plates rendered here with known text, and on a clip made from
the still with the camera zooming in, through the real analysis and catalog path."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from core.catalog import atomic
from core.catalog.detections import plate_crops, set_detection_switches
from core.catalog.plates import recording_plates
from core.catalog.recordings import get_recording, insert_recording
from core.detection.boxes import COCO_TO_LABEL, PLATE, Box
from core.detection.plate_text import normalise_plate, plate_key, plates_match
from core.detection.results import DetectionSwitches, PlateCrop
from core.settings.detection import DetectionSettings
from pipeline.detection.plate_reader import PlateReader, bundled_model_path
from pipeline.detection.plates import (
    PlateFinder,
    VehicleCrop,
    best_reads,
    crop_vehicles,
    vehicle_tracks,
)
from pipeline.detection.stage import DetectionStage
from pipeline.detection.yolo_onnx import YoloOnnxDetector
from tests.conftest import MODELS, requires_shared
from tests.detection import plate_synthetic

PLATE_1 = "RHA0A01"


@pytest.fixture(scope="module")
def reader() -> PlateReader:
    return PlateReader()


def one_confusion_from(text: str, expected: str) -> bool:
    """Equal, or different in one character that is a look-alike of the expected one."""
    if len(text) != len(expected):
        return False
    different = [(a, b) for a, b in zip(text, expected, strict=True) if a != b]
    return not different or (len(different) == 1 and plate_key(text) == plate_key(expected))


def plate_1_crop() -> np.ndarray:
    vehicles = YoloOnnxDetector(requires_shared("models", "yolov8n_640x384.onnx"), COCO_TO_LABEL)
    plates = YoloOnnxDetector(requires_shared("models", "platedet.onnx"), {"plate": PLATE})
    image = cv2.imread(str(requires_shared("stills", "plate_1.jpg")))
    finder = PlateFinder(plates, max_runs=1)
    finder.offer(crop_vehicles(image, vehicles.detect(image), 0.0, min_width_px=100))
    (_, _, crop), *_ = finder.find()
    return crop


def test_readings_are_normalised_and_match_up_to_look_alikes_and_one_missing_character():
    assert normalise_plate(" rha-0a 01 ") == "RHA0A01"
    assert plates_match("RHAOA01", "RHA0A01")  # O/0
    assert plates_match("B5Z1", "8S2I")  # B/8, S/5, Z/2, I/1
    assert plates_match("RHA0A1", "RHA0A01")  # one character lost
    assert plates_match("RHA0A001", "RHA0A01")  # one character too many
    assert not plates_match("RHA0A", "RHA0A01")  # two lost
    assert not plates_match("RHA0A02", "RHA0A01")  # a different character is a different plate
    assert not plates_match("", "RHA0A01")


def test_each_vehicle_keeps_its_best_reading():
    def crop(t_s: float, x: float) -> VehicleCrop:
        box = Box("vehicle", 0.9, (x, 100.0, x + 300.0, 300.0), "car")
        return VehicleCrop(t_s, box, np.zeros((4, 4, 3), np.uint8), (0, 0))

    # Two cars side by side at 2 s; at 4 s the left one moved a little, at 6 s it is far
    # on but its plate reads the same (a look-alike apart).
    crops = [crop(2.0, 0.0), crop(2.0, 900.0), crop(4.0, 40.0), crop(6.0, 500.0)]
    texts = ["RHA0A01", "KX7781", None, "RHAOA01"]
    assert vehicle_tracks(crops, texts) == [0, 1, 0, 0]
    plates = [
        PlateCrop(c.t_s, 0.8, (0, 0, 1, 1), Path(f"{i}.jpg"), t, s, track)
        for i, (c, t, s, track) in enumerate(
            zip(crops, texts, [0.7, 0.9, None, 0.95], [0, 1, 0, 0], strict=True)
        )
    ]
    reads = best_reads(plates)
    assert [(r.track, r.text, r.crop_index) for r in reads] == [
        (0, "RHAOA01", 3),
        (1, "KX7781", 1),
    ]


def test_recognition_model_comes_from_the_installed_wheel_and_loads_offline():
    path = bundled_model_path()
    assert path.is_file() and path.stat().st_size > 5_000_000
    assert "site-packages" in path.parts or "dist-packages" in path.parts


def test_plate_1_is_read_as_rha0a01_within_one_confusion(reader: PlateReader):
    (reading,) = reader.read([plate_1_crop()])
    assert reading is not None
    assert one_confusion_from(reading.text, PLATE_1), reading
    assert reading.score > 0.7


def test_an_empty_or_tiny_crop_reads_nothing(reader: PlateReader):
    blank = np.full((40, 160, 3), 128, np.uint8)
    assert reader.read([blank, np.zeros((2, 2, 3), np.uint8)]) == [None, None]


@pytest.mark.parametrize("width_px", [100, 160])
def test_synthetic_plates_of_readable_width_are_read(reader: PlateReader, width_px: int):
    if not plate_synthetic.fonts_available():
        pytest.skip("DejaVu fonts absent: run scripts/install-sysdeps")
    plates = plate_synthetic.plate_set(40, width_px)
    readings = reader.read([plate.image for plate in plates])
    whole = sum(
        reading is not None and plate_key(reading.text) == plate_key(plate.expected)
        for plate, reading in zip(plates, readings, strict=True)
    )
    assert whole / len(plates) >= 0.9, [
        (plate.expected, reading and reading.text)
        for plate, reading in zip(plates, readings, strict=True)
    ]


@pytest.fixture(scope="module")
def zoom_clip(clip_factory) -> Path:
    """18 s made from plate_1.jpg: the car small at first, the camera zooming in on it."""
    still = cv2.cvtColor(
        cv2.imread(str(requires_shared("stills", "plate_1.jpg"))), cv2.COLOR_BGR2RGB
    )
    return clip_factory(
        "vtest.mp4",
        name="plate-1-zooming-in",
        frame_filter=plate_synthetic.zoom_towards(
            still, plate_synthetic.PLATE_1_CENTRE, frames=18 * 15, end_zoom=1.6
        ),
        seconds=18,
        width=1280,
        height=720,
        fps=15,
        keyframe_s=2,
    )


def index_clip(catalog, settings, camera, clip: Path) -> tuple[int, str]:
    relpath = f"{camera['id']}/2024-05-01/zoom.mp4"
    target = settings.storage.recordings_dir / relpath
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(clip, target)
    with atomic(catalog):
        recording_id = insert_recording(
            catalog,
            {
                "camera_id": camera["id"],
                "job_id": "zoom",
                "started_at": "2024-05-01T10:00:00+00:00",
                "received_at": "2024-05-01T10:00:20+00:00",
                "duration_s": 18.0,
                "width": 1280,
                "height": 720,
                "fps": 15.0,
                "frame_count": 270,
                "codec": "h264",
                "container": "mp4",
                "size_bytes": target.stat().st_size,
                "path": relpath,
            },
        )
    return recording_id, relpath


def test_clip_zooming_in_on_a_plate_stores_its_reading_with_the_recording(
    settings, catalog, make_camera, zoom_clip, caplog
):
    caplog.set_level(logging.DEBUG)
    requires_shared("models", "platedet.onnx")
    settings.detection = DetectionSettings(models_dir=MODELS)
    camera = make_camera()
    switches = DetectionSwitches(plates=True)
    set_detection_switches(catalog, camera["id"], switches)
    recording_id, relpath = index_clip(catalog, settings, camera, zoom_clip)
    # The pipeline's own detection step: analysis, then storing with the recording.
    stage = DetectionStage(settings, catalog)
    result = stage.run(camera["id"], relpath)
    assert result is not None
    stage.store(recording_id, result)
    crops = [crop for crop in result.plates if crop.text]
    assert crops, result.plates
    assert all(one_confusion_from(crop.text, PLATE_1) for crop in crops)
    # One car, one track, one reading kept: the surest of its crops.
    assert len(result.plate_reads) == 1
    (read,) = result.plate_reads
    assert read.score == max(crop.text_score for crop in crops)
    stored = recording_plates(catalog, recording_id)
    assert [row["text"] for row in stored] == [read.text]
    assert {row["text"] for row in plate_crops(catalog, recording_id)} <= {c.text for c in crops}
    assert get_recording(catalog, recording_id)["id"] == recording_id
    # Plate text is personal data of others: the analysis logs labels and ids, never plates.
    assert read.text not in caplog.text


def test_no_text_is_read_for_a_camera_without_the_plate_switch(analyzer, zoom_clip, tmp_path):
    result = analyzer.analyze(zoom_clip, DetectionSwitches(objects=True), tmp_path, "car")
    assert result.plates == [] and result.plate_reads == []
