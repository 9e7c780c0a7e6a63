"""The admin commands: rejections list, camera suspend/resume (recorded fair-use steps) and
quarantine list/accept/discard."""

from __future__ import annotations

import json

import pytest

from cli import main
from core.catalog.cameras import get_camera
from core.catalog.fairuse import fairuse_events
from core.catalog.notices import list_notices
from core.catalog.quarantine import list_quarantined
from core.catalog.recordings import list_recordings
from core.catalog.states import JobState
from pipeline.processor import ClipProcessor
from tests.pipeline.rule_clips import OTHER_ENCODER, SMALL


@pytest.fixture
def settings_dict(settings_dict):
    settings_dict["validation"] = {"fingerprint_clips": 1}
    return settings_dict


@pytest.fixture
def cli(config_file, capsys):
    def _run(*args: str) -> tuple[int, str, str]:
        code = main(["--config", str(config_file), *args])
        out, err = capsys.readouterr()
        return code, out, err

    return _run


def test_rejections_list_json_has_camera_reason_and_received_at(
    settings, catalog, make_camera, spool_upload, tmp_path, cli
):
    camera = make_camera()
    text = tmp_path / "notes.mp4"
    text.write_text("not a video")
    ClipProcessor(settings, catalog, "test:0").process(spool_upload(text, camera))

    code, out, _ = cli("rejections", "list", "--json")

    assert code == 0
    [row] = json.loads(out)
    assert (row["camera_id"], row["reason"]) == (camera["id"], "not_video")
    assert row["received_at"]
    code, out, _ = cli("rejections", "list")
    assert "not_video" in out


def test_camera_suspend_and_resume_are_recorded_steps_by_an_admin(catalog, make_camera, cli):
    camera = make_camera()

    code, out, _ = cli("camera", "suspend", str(camera["id"]))
    assert code == 0
    assert get_camera(catalog, camera["id"])["fairuse_state"] == "suspended"
    code, _, err = cli("camera", "suspend", str(camera["id"]))
    assert code == 1
    assert "suspended already" in err

    code, out, _ = cli("fairuse", "status", "--json")
    [status] = json.loads(out)
    assert status["state"] == "suspended"
    assert status["history"][0]["actor"] == "admin"

    assert cli("camera", "resume", str(camera["id"]))[0] == 0
    assert get_camera(catalog, camera["id"])["fairuse_state"] == "ok"
    assert [e["to_state"] for e in fairuse_events(catalog, camera["id"])] == ["ok", "suspended"]
    assert [n["kind"] for n in list_notices(catalog)] == ["fairuse_ok", "fairuse_suspended"]
    assert cli("camera", "resume", str(camera["id"]))[0] == 1
    assert cli("camera", "suspend", "999")[0] == 1


def test_quarantine_list_accept_and_discard(
    settings, catalog, make_camera, clip_factory, spool_upload, cli
):
    camera = make_camera()
    processor = ClipProcessor(settings, catalog, "test:0")
    assert processor.process(spool_upload(clip_factory(**SMALL), camera)) == JobState.INDEXED
    for name in ("A1.mp4", "A2.mp4"):
        folder = spool_upload(clip_factory(**OTHER_ENCODER), camera, name=name)
        assert processor.process(folder) == JobState.QUARANTINED

    code, out, _ = cli("quarantine", "list", "--json")
    first, second = json.loads(out)
    assert first["reason"] == "fingerprint_mismatch"
    assert first["camera_id"] == camera["id"]

    assert cli("quarantine", "accept", str(first["id"]))[0] == 0
    assert len(list_recordings(catalog)) == 2
    assert cli("quarantine", "discard", str(second["id"]))[0] == 0
    assert list_quarantined(catalog) == []
    code, _, err = cli("quarantine", "accept", "12345")
    assert (code, "no quarantined clip" in err) == (1, True)
