"""Merging over time and the false-alarm verdict, with a detector double and real clips."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.detection.results import DetectionSwitches, FrameBoxes
from core.settings.detection import DetectionSettings
from pipeline.detection.analyzer import ClipAnalyzer
from pipeline.detection.scene import SceneMeter
from pipeline.detection.timeline import (
    CLOSE_TO_LENS,
    FOLIAGE_OR_UNKNOWN,
    LIGHTING,
    false_alarm_cause,
    is_static_scenery,
    merge_labels,
    persistent_objects,
)
from tests.detection.fakes import FakeDetector, car_at, person_at

FALSE_ALARM_ONLY = DetectionSwitches(false_alarm=True)


def verdict(frames, scene=None):
    return false_alarm_cause(
        frames, scene or SceneMeter(), min_frames=2, rain_threshold=0.5, lighting_change=18
    )


def test_labels_merge_best_score_and_first_last_second():
    frames = [
        FrameBoxes(0.0, [person_at(score=0.6)]),
        FrameBoxes(2.0, [person_at(x=150, score=0.9), car_at()]),
        FrameBoxes(4.0, [person_at(x=200, score=0.7)]),
    ]
    person, vehicle = merge_labels(frames, ("person", "vehicle", "animal"))
    assert (person.label, person.best_score, person.first_s, person.last_s, person.frames) == (
        "person",
        0.9,
        0.0,
        4.0,
        3,
    )
    assert (vehicle.first_s, vehicle.last_s, vehicle.frames) == (2.0, 2.0, 1)


def test_an_object_seen_once_is_not_persistent_and_the_clip_is_a_false_alarm():
    frames = [FrameBoxes(0.0, []), FrameBoxes(2.0, [person_at()]), FrameBoxes(4.0, [])]
    assert persistent_objects(frames, min_frames=2) == []
    assert verdict(frames) == FOLIAGE_OR_UNKNOWN


def test_a_walking_person_is_not_a_false_alarm():
    frames = [FrameBoxes(t, [person_at(x=50 * t)]) for t in (0.0, 2.0, 4.0)]
    assert verdict(frames) is None


def test_a_parked_car_in_every_frame_is_scenery_not_a_reason_for_the_alarm():
    frames = [FrameBoxes(t, [car_at(x=300 + t)]) for t in (0.0, 2.0, 4.0, 6.0)]
    assert is_static_scenery(frames, "vehicle")
    assert verdict(frames) == FOLIAGE_OR_UNKNOWN


def test_a_car_that_drives_in_is_not_scenery():
    frames = [FrameBoxes(0.0, [])] + [FrameBoxes(t, [car_at(x=100 * t)]) for t in (2.0, 4.0)]
    assert not is_static_scenery(frames, "vehicle")
    assert verdict(frames) is None


def test_a_jump_in_brightness_is_the_cause_lighting():
    scene = SceneMeter()
    rng = np.random.default_rng(1)
    base = rng.integers(40, 120, (360, 640), dtype=np.uint8)
    scene.add(base, 0.0)
    scene.add(np.clip(base.astype(int) + 60, 0, 255).astype(np.uint8), 2.0)
    assert verdict([FrameBoxes(0.0, []), FrameBoxes(2.0, [])], scene) == LIGHTING


def test_a_big_blurry_change_is_something_close_to_the_lens():
    import cv2

    rows, columns = np.mgrid[0:360, 0:640]
    sharp = (((rows // 8 + columns // 8) % 2) * 120 + 60).astype(np.uint8)  # fine detail
    scene = SceneMeter()
    scene.add(sharp, 0.0)
    covered = sharp.copy()
    # A soft bright blob over a third of the frame, like a moth lit by the IR lamp.
    blob = np.zeros_like(sharp, dtype=np.float32)
    cv2.circle(blob, (200, 180), 150, 1.0, -1)
    blob = cv2.GaussianBlur(blob, (0, 0), 25)
    covered = (covered * (1 - blob) + 230 * blob).astype(np.uint8)
    scene.add(covered, 2.0)
    assert verdict([FrameBoxes(0.0, []), FrameBoxes(2.0, [])], scene) == CLOSE_TO_LENS


def test_analyzer_with_a_fake_detector_flags_a_single_sighting_as_false_alarm(
    vtest_clip: Path, tmp_path: Path
):
    # The fake sees a "person" on its second call only: not persistent.
    fake = FakeDetector(lambda call, image: [person_at()] if call == 1 else [])
    analyzer = ClipAnalyzer(DetectionSettings(), fake)
    result = analyzer.analyze(vtest_clip, FALSE_ALARM_ONLY, tmp_path, "fake")
    assert result.false_alarm_cause is not None
    assert result.label_names() == ["false_alarm"]
    # Only the false-alarm switch is on: no person label and no boxes are kept.
    assert all(frame.boxes == [] for frame in result.frames)
    assert result.best_frame_path is None


def test_analyzer_gives_the_detector_frames_fitted_to_its_input(vtest_clip: Path, tmp_path: Path):
    fake = FakeDetector(lambda call, image: [person_at(x=10 * call)], input_size=(416, 256))
    analyzer = ClipAnalyzer(DetectionSettings(), fake)
    result = analyzer.analyze(vtest_clip, DetectionSwitches(objects=True), tmp_path, "fit")
    assert {image.shape for image in fake.images} == {(234, 416, 3)}  # 16:9 in 416x256
    # Boxes come back in the clip's pixels (1280x720): scaled by 1280/416.
    first = result.frames[0].boxes[0]
    assert first.xyxy[0] == 0 and round(first.xyxy[2]) == round(40 * 1280 / 416)
    assert result.label("person").frames == len(fake.images)
