"""Switches and results in the catalog, and the CLI: camera set --detect, recordings redetect,
recordings list --json with labels."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from cli import main
from core.catalog import NotFound, atomic
from core.catalog.detections import (
    detection_boxes,
    detection_run,
    get_detection_switches,
    labels_by_recording,
    recording_labels,
    set_detection_switches,
    store_detection_results,
)
from core.catalog.recordings import get_recording, insert_recording
from core.detection.boxes import Box
from core.detection.results import ClipDetections, DetectionSwitches, FrameBoxes, LabelHit
from pipeline.detection.service import detect_stored_recording
from tests.conftest import MODELS


def add_recording(catalog, settings, camera, clip: Path, job: str = "job1") -> int:
    relpath = f"{camera['id']}/2024-05-01/{job}.mp4"
    target = settings.storage.recordings_dir / relpath
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(clip, target)
    with atomic(catalog):
        return insert_recording(
            catalog,
            {
                "camera_id": camera["id"],
                "job_id": job,
                "started_at": "2024-05-01T10:00:00+00:00",
                "received_at": "2024-05-01T10:00:20+00:00",
                "duration_s": 8.0,
                "width": 1280,
                "height": 720,
                "fps": 15.0,
                "frame_count": 120,
                "codec": "h264",
                "container": "mp4",
                "size_bytes": target.stat().st_size,
                "path": relpath,
            },
        )


def some_result(labels: list[str]) -> ClipDetections:
    box = Box("person", 0.9, (1, 2, 3, 4), "person")
    return ClipDetections(
        switches=DetectionSwitches(objects=True),
        duration_s=8.0,
        labels=[LabelHit(label, 0.9, 0.0, 2.0, 2) for label in labels],
        frames=[FrameBoxes(0.0, [box]), FrameBoxes(2.0, [box])],
    )


@pytest.fixture
def config(settings_dict: dict, tmp_path: Path) -> Path:
    import tomli_w

    path = tmp_path / "detect.toml"
    settings_dict["detection"] = {"models_dir": str(MODELS)}
    path.write_bytes(tomli_w.dumps(settings_dict).encode())
    return path


def test_new_cameras_have_every_detection_switch_off(catalog, make_camera):
    camera = make_camera()
    assert get_detection_switches(catalog, camera["id"]) == DetectionSwitches()


def test_storing_results_twice_replaces_them(catalog, settings, make_camera, vtest_clip):
    camera = make_camera()
    recording_id = add_recording(catalog, settings, camera, vtest_clip)
    store_detection_results(catalog, recording_id, some_result(["person", "vehicle"]))
    store_detection_results(catalog, recording_id, some_result(["person"]))
    assert [row["label"] for row in recording_labels(catalog, recording_id)] == ["person"]
    assert len(detection_boxes(catalog, recording_id)) == 2
    assert detection_run(catalog, recording_id)["switches"] == "objects"


def test_storing_for_an_unknown_recording_is_not_found(catalog):
    with pytest.raises(NotFound):
        store_detection_results(catalog, 999, some_result([]))


def test_camera_set_detect_switches_on_and_none_switches_all_off(
    config: Path, catalog, make_camera, capsys
):
    camera = make_camera()
    cid = str(camera["id"])
    assert main(["--config", str(config), "camera", "set", cid, "--detect", "objects,rain"]) == 0
    assert get_detection_switches(catalog, camera["id"]) == DetectionSwitches(
        objects=True, rain=True
    )
    assert main(["--config", str(config), "camera", "set", cid, "--detect", "none"]) == 0
    assert get_detection_switches(catalog, camera["id"]) == DetectionSwitches()
    assert main(["--config", str(config), "camera", "set", cid, "--detect", "faces"]) == 1
    assert "unknown detection switch" in capsys.readouterr().err


def test_nothing_runs_for_a_camera_with_no_switch_on(
    config: Path, settings, catalog, make_camera, vtest_clip, capsys
):
    camera = make_camera()
    recording_id = add_recording(catalog, settings, camera, vtest_clip)
    # No model is even loaded: these settings point at models that do not exist.
    broken = settings.model_copy(deep=True)
    broken.detection.models_dir = Path("/nonexistent/models")
    relpath = get_recording(catalog, recording_id)["path"]
    assert detect_stored_recording(broken, relpath, DetectionSwitches()) is None
    assert main(["--config", str(config), "recordings", "redetect", str(recording_id)]) == 1
    assert "no detection switched on" in capsys.readouterr().err
    assert recording_labels(catalog, recording_id) == []


def test_redetect_replaces_results_and_list_json_shows_labels(
    config: Path, settings, catalog, make_camera, vtest_clip, capsys
):
    camera = make_camera()
    recording_id = add_recording(catalog, settings, camera, vtest_clip)
    set_detection_switches(catalog, camera["id"], DetectionSwitches(objects=True))
    store_detection_results(catalog, recording_id, some_result(["animal"]))  # a stale result
    args = ["--config", str(config), "recordings", "redetect", str(recording_id), "--json"]
    assert main(args) == 0
    first = json.loads(capsys.readouterr().out)
    assert "person" in first["labels"] and "animal" not in first["labels"]
    rows = len(detection_boxes(catalog, recording_id))
    assert main(args) == 0
    capsys.readouterr()
    assert len(detection_boxes(catalog, recording_id)) == rows  # not duplicated
    assert [r["label"] for r in recording_labels(catalog, recording_id)].count("person") == 1
    recording = get_recording(catalog, recording_id)
    assert (settings.storage.thumbs_dir / recording["best_frame_path"]).is_file()
    assert labels_by_recording(catalog, [recording_id])[recording_id] == first["labels"]
    assert main(["--config", str(config), "recordings", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed[0]["labels"] == sorted(first["labels"])


def test_a_missing_model_on_redetect_is_an_error_naming_the_path(
    settings_dict: dict, tmp_path: Path, settings, catalog, make_camera, vtest_clip, capsys
):
    import tomli_w

    from pipeline.detection import service

    service._cache.clear()
    settings_dict["detection"] = {"models_dir": str(tmp_path / "no-models")}
    path = tmp_path / "missing.toml"
    path.write_bytes(tomli_w.dumps(settings_dict).encode())
    camera = make_camera()
    recording_id = add_recording(catalog, settings, camera, vtest_clip)
    set_detection_switches(catalog, camera["id"], DetectionSwitches(objects=True))
    assert main(["--config", str(path), "recordings", "redetect", str(recording_id)]) == 1
    assert str(tmp_path / "no-models" / "yolov8n_416x256.onnx") in capsys.readouterr().err


def test_camera_set_refuses_switches_whose_model_is_missing_naming_the_path(
    settings_dict: dict, tmp_path: Path, catalog, make_camera, capsys
):
    import tomli_w

    settings_dict["detection"] = {"models_dir": str(tmp_path / "no-models")}
    path = tmp_path / "missing.toml"
    path.write_bytes(tomli_w.dumps(settings_dict).encode())
    camera = make_camera()
    cid = str(camera["id"])
    assert main(["--config", str(path), "camera", "set", cid, "--detect", "objects"]) == 1
    assert str(tmp_path / "no-models" / "yolov8n_416x256.onnx") in capsys.readouterr().err
    assert get_detection_switches(catalog, camera["id"]) == DetectionSwitches()
    # Rain is computed from frame statistics and needs no model.
    assert main(["--config", str(path), "camera", "set", cid, "--detect", "rain"]) == 0


def test_pipeline_stage_skips_cameras_without_switches_and_stores_with_the_recording(
    settings, catalog, make_camera, vtest_clip
):
    from pipeline.detection.stage import DetectionStage

    settings.detection.models_dir = MODELS
    quiet, watched = make_camera(), make_camera()
    set_detection_switches(catalog, watched["id"], DetectionSwitches(objects=True))
    stage = DetectionStage(settings, catalog)
    quiet_id = add_recording(catalog, settings, quiet, vtest_clip, job="q")
    watched_id = add_recording(catalog, settings, watched, vtest_clip, job="w")
    assert stage.run(quiet["id"], get_recording(catalog, quiet_id)["path"]) is None
    result = stage.run(watched["id"], get_recording(catalog, watched_id)["path"])
    with atomic(catalog):
        stage.store(watched_id, result)
    assert "person" in labels_by_recording(catalog, [watched_id])[watched_id]


def test_pipeline_stage_refuses_to_start_without_models_when_a_camera_detects(
    settings, catalog, make_camera, tmp_path: Path
):
    from pipeline.detection import service
    from pipeline.detection.errors import ModelUnavailable
    from pipeline.detection.stage import DetectionStage

    service._cache.clear()
    settings.detection.models_dir = tmp_path / "empty"
    DetectionStage(settings, catalog)  # no camera detects: nothing to load, no error
    camera = make_camera()
    set_detection_switches(catalog, camera["id"], DetectionSwitches(rain=True))
    with pytest.raises(ModelUnavailable, match=re.escape(str(tmp_path / "empty"))):
        DetectionStage(settings, catalog)
