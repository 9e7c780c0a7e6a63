"""ClipAnalyzer with real models on real footage (some with synthetic effects, said where)."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest

from core.detection.results import DetectionSwitches
from pipeline.detection.timeline import LIGHTING
from tests.conftest import requires_shared
from tests.detection.conftest import CLIP, VISITOR_FRAMES

EVERYTHING = DetectionSwitches(objects=True, plates=True, rain=True, false_alarm=True)
OBJECTS = DetectionSwitches(objects=True)


def classes_seen(result) -> set[str]:
    return {box.class_name for frame in result.frames for box in frame.boxes}


def test_people_are_found_in_vtest(analyzer, vtest_clip: Path, tmp_path: Path):
    result = analyzer.analyze(vtest_clip, OBJECTS, tmp_path, "vtest")
    person = result.label("person")
    assert person is not None and person.best_score > 0.7
    assert person.first_s == 0.0 and person.last_s >= 6.0
    assert result.false_alarm_cause is None


def test_frame_times_come_from_pts_and_keyframes_are_all_analysed(
    analyzer, vtest_clip: Path, tmp_path: Path
):
    result = analyzer.analyze(vtest_clip, OBJECTS, tmp_path, "vtest")
    keyframe_times = [frame.t_s for frame in result.frames if frame.keyframe]
    interval = CLIP["keyframe_s"]
    assert keyframe_times == [i * interval for i in range(CLIP["seconds"] // interval)]


def test_car_and_bicycle_are_found_in_bikes(analyzer, bikes_clip: Path, tmp_path: Path):
    result = analyzer.analyze(bikes_clip, OBJECTS, tmp_path, "bikes")
    assert {"car", "bicycle"} <= classes_seen(result)
    assert result.label("vehicle") is not None


def test_best_frame_thumbnail_is_written_with_boxes(analyzer, vtest_clip: Path, tmp_path: Path):
    result = analyzer.analyze(vtest_clip, OBJECTS, tmp_path, "rec1")
    assert result.best_frame_path == tmp_path / "rec1.detect.jpg"
    image = cv2.imread(str(result.best_frame_path))
    assert image.shape[1] == 640
    # Boxes are drawn in the label colours: person green (60, 200, 60) in BGR.
    green = (
        (abs(image[:, :, 0].astype(int) - 60) < 30)
        & (image[:, :, 1] > 170)
        & (image[:, :, 2] < 100)
    )
    assert green.sum() > 100


def test_a_sudden_brightness_change_on_a_still_scene_is_a_false_alarm_of_lighting(
    analyzer, lighting_clip: Path, tmp_path: Path
):
    result = analyzer.analyze(lighting_clip, EVERYTHING, tmp_path, "light")
    assert result.false_alarm_cause == LIGHTING
    assert "false_alarm" in result.label_names()
    assert result.label("rain") is None


def test_synthetic_rain_over_real_footage_is_rain(analyzer, rainy_vtest_clip: Path, tmp_path: Path):
    # The streaks are SYNTHETIC (tests/detection/synthetic.py); the footage under them is real.
    result = analyzer.analyze(rainy_vtest_clip, DetectionSwitches(rain=True), tmp_path, "wet")
    assert result.rain_score is not None and result.rain_score >= 0.8
    assert result.label_names() == ["rain"]


def test_the_same_footage_without_synthetic_rain_is_not_rain(
    analyzer, vtest_clip: Path, bikes_clip: Path, tmp_path: Path
):
    for clip in (vtest_clip, bikes_clip):
        result = analyzer.analyze(clip, DetectionSwitches(rain=True), tmp_path, clip.stem)
        assert result.rain_score < 0.5, clip.name
        assert result.label_names() == []


def test_rain_alone_runs_no_detector(analyzer, vtest_clip: Path, tmp_path: Path):
    result = analyzer.analyze(vtest_clip, DetectionSwitches(rain=True), tmp_path, "rain-only")
    assert result.detector_runs == 0
    assert result.frames == [] and result.best_frame_path is None


def test_a_visitor_between_two_keyframes_is_caught_by_the_motion_gate(
    analyzer, short_visitor_clip: Path, still_clip: Path, tmp_path: Path
):
    # The pasted-in person (synthetic) is on screen 6.33-7.33 s; keyframes are at 6 and 8 s.
    result = analyzer.analyze(short_visitor_clip, EVERYTHING, tmp_path, "visitor")
    person = result.label("person")
    assert person is not None
    start, stop = VISITOR_FRAMES.start / CLIP["fps"], VISITOR_FRAMES.stop / CLIP["fps"]
    assert start <= person.first_s <= person.last_s <= stop
    assert result.extra_frames_analysed >= 1
    assert result.false_alarm_cause is None  # seen in two frames: it persisted
    # The same still scene without the visitor needs nothing but its keyframes.
    quiet = analyzer.analyze(still_clip, EVERYTHING, tmp_path, "quiet")
    assert quiet.extra_frames_analysed == 0
    assert quiet.label("person") is None


def test_plate_crop_is_saved_from_a_clip_of_a_parked_car(analyzer, clip_factory, tmp_path: Path):
    from tests.detection.synthetic import frozen_scene

    still = cv2.cvtColor(
        cv2.imread(str(requires_shared("stills", "plate_1.jpg"))), cv2.COLOR_BGR2RGB
    )
    clip = clip_factory(
        "vtest.mp4",
        name="plate-1-still",
        frame_filter=frozen_scene(still),
        **{**CLIP, "seconds": 4},
    )
    result = analyzer.analyze(clip, DetectionSwitches(plates=True), tmp_path, "car")
    assert result.label_names() == ["plate"]
    assert len(result.plates) == analyzer.settings.max_plate_runs
    crop = cv2.imread(str(result.plates[0].path))
    assert crop is not None and crop.shape[1] > 2 * crop.shape[0]
    # Plates only: no person/vehicle boxes are kept for a camera without the objects switch.
    assert {box.label for frame in result.frames for box in frame.boxes} == {"plate"}


@pytest.mark.parametrize("name", ["objects", "plates", "rain", "false_alarm"])
def test_each_switch_alone_reports_only_its_own_labels(
    analyzer, vtest_clip: Path, tmp_path: Path, name: str
):
    result = analyzer.analyze(vtest_clip, DetectionSwitches(**{name: True}), tmp_path, name)
    allowed = {
        "objects": {"person", "vehicle", "animal"},
        "plates": {"plate"},
        "rain": {"rain"},
        "false_alarm": {"false_alarm"},
    }[name]
    assert set(result.label_names()) <= allowed
