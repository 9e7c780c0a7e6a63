"""A paused account (the owner's right to block processing): its spooled clips wait untouched,
delayed clips are not released, nothing is delivered; after resuming, each clip is indexed once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core import spool
from core.catalog import NotFound, atomic, jobs
from core.catalog.accounts import set_account_state
from core.catalog.delayed import release_delayed
from core.catalog.notifications import add_target, queue_delivery
from core.catalog.recordings import list_recordings
from core.catalog.states import AccountState, JobState
from pipeline.integrations.dispatcher import NotificationDispatcher
from pipeline.processor import ClipProcessor
from tests.conftest import catalog_writes
from tests.pipeline.rule_clips import LONG


@pytest.fixture
def settings_dict(settings_dict):
    settings_dict["validation"] = {"delayed_lane_delay_min": 30}
    return settings_dict


def test_spooled_clip_of_a_paused_owner_waits_and_is_indexed_once_after_resuming(
    settings, catalog, make_camera, camera_clip, spool_upload
):
    camera = make_camera()
    set_account_state(catalog, camera["owner"]["id"], AccountState.PAUSED)
    folder = spool_upload(camera_clip, camera, name="A20261125_130501.mp4")
    processor = ClipProcessor(settings, catalog, "test:0")

    writes = catalog_writes(catalog)
    for _ in range(3):  # every spool rescan meets it again
        assert processor.process(folder) is None
    assert catalog_writes(catalog) == writes  # no job, no state change, nothing
    assert spool.clip_path(folder).read_bytes() == camera_clip.read_bytes()
    with pytest.raises(NotFound):
        jobs.get_job(catalog, folder.name)
    assert list_recordings(catalog) == []

    set_account_state(catalog, camera["owner"]["id"], AccountState.ACTIVE)
    assert processor.process(folder) == JobState.INDEXED
    assert processor.process(folder) is None  # the folder is gone: nothing twice
    [recording] = list_recordings(catalog)
    assert recording["job_id"] == folder.name
    assert not folder.exists()


def test_open_job_of_an_owner_paused_mid_way_is_left_as_it_is(
    settings, catalog, make_camera, camera_clip, spool_upload
):
    camera = make_camera()
    folder = spool_upload(camera_clip, camera)
    jobs.register_job(catalog, {**spool.read_upload(folder).__dict__, "camera_id": camera["id"]})
    set_account_state(catalog, camera["owner"]["id"], AccountState.PAUSED)
    processor = ClipProcessor(settings, catalog, "test:0")

    assert processor.process(folder) is None
    job = jobs.get_job(catalog, folder.name)
    assert job["state"] == JobState.RECEIVED and job["attempts"] == 0
    assert list_recordings(catalog) == []

    set_account_state(catalog, camera["owner"]["id"], AccountState.ACTIVE)
    assert processor.process(folder) == JobState.INDEXED
    assert len(list_recordings(catalog)) == 1


def test_delayed_clip_of_a_paused_owner_is_not_released(
    settings, catalog, make_camera, clip_factory, spool_upload
):
    camera = make_camera()
    folder = spool_upload(clip_factory(**LONG), camera)
    processor = ClipProcessor(settings, catalog, "test:0")
    assert processor.process(folder) == JobState.DELAYED
    set_account_state(catalog, camera["owner"]["id"], AccountState.PAUSED)
    later = datetime.now(UTC) + timedelta(minutes=31)

    assert release_delayed(catalog, later) == []
    catalog.execute("UPDATE jobs SET release_at = '2000-01-01T00:00:00+00:00'")
    assert processor.process(folder) is None  # the pipeline's own release waits too
    assert jobs.get_job(catalog, folder.name)["state"] == JobState.DELAYED

    set_account_state(catalog, camera["owner"]["id"], AccountState.ACTIVE)
    assert release_delayed(catalog, later) == [folder.name]
    assert processor.process(folder) == JobState.INDEXED
    assert len(list_recordings(catalog)) == 1


def test_nothing_is_delivered_for_a_paused_owner(settings, catalog, make_user):
    owner = make_user()
    target = add_target(catalog, owner["id"], kind="mqtt", name="all cameras")
    with atomic(catalog):
        queue_delivery(catalog, target["id"], "fairuse", "paused-test:1", {"camera": 1})
    set_account_state(catalog, owner["id"], AccountState.PAUSED)
    dispatcher = NotificationDispatcher(settings, db=catalog)
    try:
        assert dispatcher.deliver_due() == 0
        [delivery] = list(catalog.query("SELECT * FROM notification_deliveries"))
        assert (delivery["state"], delivery["attempts"]) == ("pending", 0)  # kept, untried

        set_account_state(catalog, owner["id"], AccountState.ACTIVE)
        dispatcher.deliver_due()  # MQTT is off in tests: tried once, and given up
        [delivery] = list(catalog.query("SELECT * FROM notification_deliveries"))
        assert delivery["attempts"] == 1
    finally:
        dispatcher.stop()
