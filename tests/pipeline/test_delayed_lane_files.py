"""The 18 s rule on real files: a 25 s clip is stored, waits in the delayed lane, its owner is
told once per day, and it is indexed after its release."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.catalog import jobs
from core.catalog.delayed import release_delayed
from core.catalog.notices import list_notices
from core.catalog.recordings import list_recordings
from core.catalog.states import JobState
from core.catalog.times import parse_iso
from core.mailer import read_outbox
from pipeline.processor import ClipProcessor
from tests.conftest import catalog_writes
from tests.pipeline.rule_clips import LONG, SMALL


@pytest.fixture
def settings_dict(settings_dict):
    settings_dict["validation"] = {"delayed_lane_delay_min": 30}
    return settings_dict


def job_of(catalog, folder):
    return jobs.get_job(catalog, folder.name)


def test_25_s_clip_is_stored_in_the_delayed_lane_and_the_owner_is_told(
    settings, catalog, make_camera, clip_factory, spool_upload, caplog
):
    camera = make_camera()
    folder = spool_upload(clip_factory(**LONG), camera)

    state = ClipProcessor(settings, catalog, "test:0").process(folder)

    assert state == JobState.DELAYED
    job = job_of(catalog, folder)
    assert (job["lane"], job["reason"]) == ("delayed", "long_clip")
    wait = parse_iso(job["release_at"]) - datetime.now(UTC)
    assert timedelta(minutes=29) < wait <= timedelta(minutes=30)
    assert folder.exists(), "a delayed clip is kept until it is processed"
    assert list_recordings(catalog) == []
    [notice] = list_notices(catalog, user_id=camera["owner_id"])
    assert notice["kind"] == "long_clip"
    assert notice["camera_id"] == camera["id"]
    assert "25 s" in notice["body"]
    [mail] = read_outbox(settings.storage.outbox_dir)
    assert mail["To"] == camera["owner"]["email"]
    assert "longer than 18 seconds" in mail["Subject"]
    assert camera["owner"]["email"] not in caplog.text


def test_owner_is_told_once_per_day_per_camera(
    settings, catalog, make_camera, clip_factory, spool_upload
):
    camera = make_camera()
    other = make_camera(owner=camera["owner"], name="Gate")
    processor = ClipProcessor(settings, catalog, "test:0")
    for cam, name in ((camera, "A1.mp4"), (camera, "A2.mp4"), (other, "A3.mp4")):
        assert processor.process(spool_upload(clip_factory(**LONG), cam, name=name)) == (
            JobState.DELAYED
        )

    notices = list_notices(catalog, user_id=camera["owner_id"])
    assert sorted(n["camera_id"] for n in notices) == sorted([camera["id"], other["id"]])
    assert len(read_outbox(settings.storage.outbox_dir)) == 2


def test_delayed_clip_waits_until_released_then_is_indexed_in_the_delayed_lane(
    settings, catalog, make_camera, clip_factory, spool_upload
):
    camera = make_camera()
    folder = spool_upload(clip_factory(**LONG), camera)
    processor = ClipProcessor(settings, catalog, "test:0")
    processor.process(folder)

    # The spool scan meets it again before its time: nothing happens, not even a write.
    writes = catalog_writes(catalog)
    assert processor.process(folder) == JobState.DELAYED
    assert catalog_writes(catalog) == writes
    assert release_delayed(catalog, datetime.now(UTC)) == []

    released = release_delayed(catalog, datetime.now(UTC) + timedelta(minutes=31))
    assert released == [folder.name]
    assert job_of(catalog, folder)["state"] == JobState.VALIDATED
    assert processor.process(folder) == JobState.INDEXED

    [recording] = list_recordings(catalog)
    assert recording["lane"] == "delayed"
    assert abs(recording["duration_s"] - 25.0) < 0.3
    assert not folder.exists()


def test_processor_releases_a_due_clip_itself_without_the_scheduler(
    settings, catalog, make_camera, clip_factory, spool_upload
):
    camera = make_camera()
    folder = spool_upload(clip_factory(**LONG), camera)
    processor = ClipProcessor(settings, catalog, "test:0")
    processor.process(folder)
    catalog.execute("UPDATE jobs SET release_at = '2000-01-01T00:00:00+00:00'")

    assert processor.process(folder) == JobState.INDEXED


def test_standard_clip_is_not_delayed_and_tells_nobody(
    settings, catalog, make_camera, clip_factory, spool_upload
):
    camera = make_camera()
    folder = spool_upload(clip_factory(**SMALL), camera)

    assert ClipProcessor(settings, catalog, "test:0").process(folder) == JobState.INDEXED
    assert list_notices(catalog) == []
    assert read_outbox(settings.storage.outbox_dir) == []
