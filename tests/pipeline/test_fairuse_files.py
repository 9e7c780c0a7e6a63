"""Fair use through the processor with real clips and tight thresholds: a burst of
back-to-back clips warns owner and admins with advice, a normal clip right after is indexed as
usual, a camera that goes on past the grace period is throttled (its clips delayed), and it
returns to ok once the window is clean."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from cli import main
from core.catalog import jobs
from core.catalog.cameras import get_camera
from core.catalog.fairuse import fairuse_events
from core.catalog.notices import list_notices
from core.catalog.recordings import list_recordings
from core.catalog.states import JobState
from core.mailer import read_outbox
from pipeline.fairuse import evaluate_fair_use
from pipeline.fairuse.advice import PIR_LINK
from pipeline.processor import ClipProcessor
from tests.pipeline.rule_clips import SMALL, alarm_names

CLIP_S = SMALL["seconds"]


@pytest.fixture
def settings_dict(settings_dict):
    # G = 5 s, W = 12 s: the fourth 4-second clip in a row makes a constant alarm.
    settings_dict["fairuse"] = {
        "constant_alarm_gap_s": 5,
        "constant_alarm_min": 0.2,
        "window_h": 1,
        "throttle_delay_min": 10,
    }
    return settings_dict


def run_burst(settings, catalog, camera, clip_factory, spool_upload, names):
    processor = ClipProcessor(settings, catalog, "test:0")
    folders = [spool_upload(clip_factory(**SMALL), camera, name=name) for name in names]
    return [processor.process(folder) for folder in folders], folders


def test_burst_of_back_to_back_clips_warns_owner_and_admins_then_a_normal_clip_is_indexed(
    settings,
    catalog,
    make_camera,
    make_user,
    clip_factory,
    spool_upload,
    caplog,
    capsys,
    config_file,
):
    admin = make_user(is_admin=True)
    camera = make_camera()
    start = datetime.now(UTC) - timedelta(minutes=5)
    names = alarm_names(7, CLIP_S, start)

    states, folders = run_burst(settings, catalog, camera, clip_factory, spool_upload, names[:6])

    assert states == [JobState.INDEXED] * 6, "warned cameras' clips are processed as usual"
    assert get_camera(catalog, camera["id"])["fairuse_state"] == "warned"
    [event] = fairuse_events(catalog, camera["id"])
    assert (event["from_state"], event["to_state"], event["actor"]) == ("ok", "warned", "system")
    assert event["rules"] == ["constant_alarm"]
    evidence = event["evidence"]["constant_alarm"]
    # Warned at the fourth clip: 4 x 4 s > 12 s, and those four clips are the evidence.
    assert evidence["job_ids"] == [folder.name for folder in folders[:4]]
    assert evidence["clips"] == 4
    [notice] = list_notices(catalog, user_id=camera["owner_id"])
    assert notice["kind"] == "fairuse_warned"
    assert PIR_LINK in notice["advice"]
    assert notice["title"] == f"Camera {camera['name']}: please check its alarm settings"
    assert notice["evidence"]["constant_alarm"]["job_ids"] == evidence["job_ids"]
    mails = read_outbox(settings.storage.outbox_dir)
    assert sorted(mail["To"] for mail in mails) == sorted(
        [camera["owner"]["email"], admin["email"]]
    )
    assert all("PIR" in mail.get_content() for mail in mails)
    assert camera["owner"]["email"] not in caplog.text
    assert admin["email"] not in caplog.text

    # A normal clip after a pause: indexed in the normal lane; the camera stays warned (the run
    # is still in the window) and nobody is mailed twice.
    pause_name = (start + timedelta(seconds=6 * CLIP_S + 60)).strftime("A%Y%m%d_%H%M%S.mp4")
    folder = spool_upload(clip_factory(**SMALL), camera, name=pause_name)
    assert ClipProcessor(settings, catalog, "test:0").process(folder) == JobState.INDEXED
    assert list_recordings(catalog)[0]["lane"] == "normal"
    assert get_camera(catalog, camera["id"])["fairuse_state"] == "warned"
    assert len(read_outbox(settings.storage.outbox_dir)) == 2

    assert main(["--config", str(config_file), "fairuse", "status", "--json"]) == 0
    [status] = json.loads(capsys.readouterr().out)
    assert (status["camera_id"], status["state"]) == (camera["id"], "warned")
    assert status["evidence"]["constant_alarm"]["job_ids"] == evidence["job_ids"]

    # Once the run has left the window, the scheduler's evaluation returns it to ok.
    [step] = evaluate_fair_use(catalog, settings, datetime.now(UTC) + timedelta(hours=1, minutes=5))
    assert (step.from_state, step.to_state) == ("warned", "ok")
    assert get_camera(catalog, camera["id"])["fairuse_state"] == "ok"
    assert list_notices(catalog, user_id=camera["owner_id"])[0]["kind"] == "fairuse_ok"


@pytest.mark.parametrize("grace_h", [0])
def test_camera_alarming_past_the_grace_period_is_throttled_and_its_clips_delayed(
    settings, catalog, make_camera, clip_factory, spool_upload, grace_h
):
    settings.fairuse.grace_period_h = grace_h
    camera = make_camera()
    names = alarm_names(6, CLIP_S, datetime.now(UTC))

    states, folders = run_burst(settings, catalog, camera, clip_factory, spool_upload, names)

    # Clip 4 warns, clip 5 (still alarming, grace over) throttles, clip 6 waits.
    assert states == [JobState.INDEXED] * 5 + [JobState.DELAYED]
    assert [e["to_state"] for e in reversed(fairuse_events(catalog, camera["id"]))] == [
        "warned",
        "throttled",
    ]
    delayed = jobs.get_job(catalog, folders[-1].name)
    assert (delayed["lane"], delayed["reason"]) == ("delayed", "fairuse_throttled")
    assert folders[-1].exists()
    kinds = [n["kind"] for n in list_notices(catalog, user_id=camera["owner_id"])]
    assert kinds == ["fairuse_throttled", "fairuse_warned"]


def test_fair_use_can_be_switched_off(settings, catalog, make_camera, clip_factory, spool_upload):
    settings.fairuse.enabled = False
    camera = make_camera()
    names = alarm_names(5, CLIP_S, datetime.now(UTC))
    run_burst(settings, catalog, camera, clip_factory, spool_upload, names)
    assert get_camera(catalog, camera["id"])["fairuse_state"] == "ok"
    assert evaluate_fair_use(catalog, settings, datetime.now(UTC)) == []
