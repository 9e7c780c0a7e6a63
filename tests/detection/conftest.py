"""Fixtures for detection tests: real models from ../shared/models, one analyzer per session
(models load once, as in the daemon), and real clips with synthetic effects where a test says
so."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings.detection import DetectionSettings
from pipeline.detection.analyzer import ClipAnalyzer
from tests.conftest import FOOTAGE, MODELS, STILLS, requires_shared
from tests.detection import synthetic

CLIP = {"seconds": 8, "width": 1280, "height": 720, "fps": 15, "keyframe_s": 2}


@pytest.fixture(scope="session")
def detection_settings() -> DetectionSettings:
    requires_shared("models", "yolov8n_640x384.onnx")
    return DetectionSettings(models_dir=MODELS)


@pytest.fixture(scope="session")
def analyzer(detection_settings: DetectionSettings) -> ClipAnalyzer:
    from pipeline.detection.service import build_analyzer

    return build_analyzer(detection_settings, MODELS.parent)


@pytest.fixture(scope="session")
def vtest_clip(clip_factory) -> Path:
    return clip_factory("vtest.mp4", **CLIP)


@pytest.fixture(scope="session")
def bikes_clip(clip_factory) -> Path:
    """All of bikes.mp4 at its own 25 fps; the bicycle is on screen at 4.4-5.4 s only, so
    this camera sends a keyframe every second."""
    return clip_factory("bikes.mp4", seconds=10, width=1280, height=720, fps=25, keyframe_s=1)


@pytest.fixture(scope="session")
def rainy_vtest_clip(clip_factory) -> Path:
    """vtest.mp4 with SYNTHETIC rain streaks drawn over every frame."""
    return clip_factory(
        "vtest.mp4", name="vtest-synthetic-rain", frame_filter=synthetic.synthetic_rain, **CLIP
    )


@pytest.fixture(scope="session")
def lighting_clip(clip_factory) -> Path:
    """A still real scene (vtest's empty lawn) that gets brighter at 5 s (synthetic jump)."""
    requires_shared("footage", "vtest.mp4")
    scene = synthetic.empty_scene(FOOTAGE / "vtest.mp4")
    return clip_factory(
        "vtest.mp4",
        name="still-lawn-lighting-jump",
        frame_filter=synthetic.lighting_jump(scene, at_frame=5 * CLIP["fps"]),
        **{**CLIP, "seconds": 10},
    )


@pytest.fixture(scope="session")
def still_clip(clip_factory) -> Path:
    """The same still lawn, nothing happening."""
    requires_shared("footage", "vtest.mp4")
    scene = synthetic.empty_scene(FOOTAGE / "vtest.mp4")
    return clip_factory(
        "vtest.mp4",
        name="still-lawn",
        frame_filter=synthetic.frozen_scene(scene),
        **{**CLIP, "seconds": 10},
    )


VISITOR_FRAMES = range(15 * 6 + 5, 15 * 7 + 5)  # 6.33 s to 7.33 s: between keyframes 6 and 8


@pytest.fixture(scope="session")
def short_visitor_clip(clip_factory) -> Path:
    """The still lawn crossed for one second, between two keyframes, by the person of
    stills/person.jpg pasted in (synthetic)."""
    requires_shared("footage", "vtest.mp4")
    requires_shared("stills", "person.jpg")
    scene = synthetic.empty_scene(FOOTAGE / "vtest.mp4")
    visitor = synthetic.person_patch(STILLS)
    return clip_factory(
        "vtest.mp4",
        name="still-lawn-short-visitor",
        frame_filter=synthetic.short_visitor(scene, visitor, VISITOR_FRAMES),
        **{**CLIP, "seconds": 10},
    )
