"""The animated preview is made from the frames the analysis decodes anyway: real footage in,
a small animated WebP beside the best frame out, no frame decoded for it alone."""

from __future__ import annotations

import shutil
from pathlib import Path

from PIL import Image

from core.clipstore import ClipStore
from core.detection.results import DetectionSwitches
from pipeline.detection.analyzer import ClipAnalyzer

OBJECTS = DetectionSwitches(objects=True, false_alarm=True)


def test_analysis_writes_an_animated_webp_preview_of_its_frames(
    analyzer: ClipAnalyzer, people_clip: Path, tmp_path: Path
):
    result = analyzer.analyze(people_clip, OBJECTS, tmp_path, "clip")
    assert result.preview_path == tmp_path / "clip.preview.webp"
    size = result.preview_path.stat().st_size
    assert 2_000 < size <= analyzer.settings.preview_max_kb * 1024
    with Image.open(result.preview_path) as preview:
        assert preview.format == "WEBP"
        assert preview.width == analyzer.settings.preview_width
        # One picture per analysed frame (9 keyframes of an 18 s clip plus burst frames).
        analysed = result.keyframes_analysed + result.extra_frames_analysed
        assert 2 <= preview.n_frames <= max(analysed, 2) + 6
        assert preview.n_frames >= result.keyframes_analysed


def test_the_preview_costs_no_extra_decode(
    analyzer: ClipAnalyzer, people_clip: Path, tmp_path: Path
):
    with_preview = analyzer.analyze(people_clip, OBJECTS, tmp_path / "a", "clip")
    plain = ClipAnalyzer(
        analyzer.settings.model_copy(update={"preview_width": 0}),
        analyzer.object_detector,
    ).analyze(people_clip, OBJECTS, tmp_path / "b", "clip")
    assert plain.preview_path is None
    assert not (tmp_path / "b" / "clip.preview.webp").exists()
    assert with_preview.keyframes_analysed == plain.keyframes_analysed
    assert with_preview.extra_frames_analysed == plain.extra_frames_analysed
    assert with_preview.label_names() == plain.label_names()


def test_rain_only_analysis_makes_a_preview_too(
    analyzer: ClipAnalyzer, people_clip: Path, tmp_path: Path
):
    result = analyzer.analyze(people_clip, DetectionSwitches(rain=True), tmp_path, "clip")
    assert result.detector_runs == 0
    assert result.preview_path is not None and result.preview_path.is_file()


def test_the_preview_is_deleted_with_its_recording(
    analyzer: ClipAnalyzer, people_clip: Path, settings
):
    clips = ClipStore(settings.storage)
    relpath = clips.recording_relpath(1, "2026-11-25T13:05:01+00:00", "job", "mp4")
    clips.recording_file(relpath).parent.mkdir(parents=True)
    shutil.copyfile(people_clip, clips.recording_file(relpath))
    output_dir = clips.thumb_file(relpath).parent
    result = analyzer.analyze(clips.recording_file(relpath), OBJECTS, output_dir, "job")
    assert result.preview_path is not None and result.preview_path.is_file()
    clips.delete_recording_files({"path": relpath})
    assert not result.preview_path.exists()
