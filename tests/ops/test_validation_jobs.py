"""The validation engineer's rules as scheduled jobs: quarantine expiry and the delayed lane."""

from __future__ import annotations

from datetime import timedelta

from core.catalog import atomic
from core.catalog.delayed import set_release_at
from core.catalog.jobs import advance_job, get_job, register_job
from core.catalog.quarantine import insert_quarantined
from core.catalog.states import JobState
from pipeline.scheduler import catalog_time
from pipeline.scheduler.validation_jobs import expire_quarantined_clips, release_delayed_lane
from tests.ops.conftest import NOW


def test_delayed_clip_is_released_when_its_time_has_come(catalog, settings, make_camera):
    camera = make_camera()
    register_job(catalog, {"upload_id": "long1", "camera_id": camera["id"]})
    with atomic(catalog):
        advance_job(catalog, "long1", JobState.DELAYED, lane="delayed")
        set_release_at(catalog, "long1", catalog_time(NOW + timedelta(hours=1)))

    assert release_delayed_lane(catalog, settings, NOW) == {"released": 0}
    assert get_job(catalog, "long1")["state"] == JobState.DELAYED
    assert release_delayed_lane(catalog, settings, NOW + timedelta(hours=2)) == {"released": 1}
    assert get_job(catalog, "long1")["state"] == JobState.VALIDATED
    assert release_delayed_lane(catalog, settings, NOW + timedelta(hours=2)) == {"released": 0}


def test_unconfirmed_quarantined_clip_expires_with_its_file(catalog, settings, clips, make_camera):
    camera = make_camera()
    job = register_job(catalog, {"upload_id": "odd1", "camera_id": camera["id"]})
    relpath = clips.quarantine_relpath(camera["id"], "odd1", "mp4")
    held = clips.quarantine_file(relpath)
    held.parent.mkdir(parents=True)
    held.write_bytes(b"clip")
    with atomic(catalog):
        advance_job(catalog, "odd1", JobState.QUARANTINED, reason="fingerprint_mismatch")
        insert_quarantined(
            catalog,
            job,
            relpath,
            ["fps"],
            catalog_time(NOW),
            catalog_time(NOW + timedelta(days=7)),
        )

    assert expire_quarantined_clips(catalog, settings, NOW + timedelta(days=6)) == {"expired": 0}
    assert held.exists()
    assert expire_quarantined_clips(catalog, settings, NOW + timedelta(days=8)) == {"expired": 1}
    assert not held.exists()
    assert get_job(catalog, "odd1")["state"] == JobState.REJECTED
    assert expire_quarantined_clips(catalog, settings, NOW + timedelta(days=8)) == {"expired": 0}
