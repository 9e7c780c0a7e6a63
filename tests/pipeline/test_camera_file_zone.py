"""The pipeline reads a camera's file-name time in the zone its owner confirmed, and in the
global ``camera_timezone`` for a camera without one."""

from __future__ import annotations

from core.catalog.recordings import list_recordings
from core.catalog.time_zones import set_file_timezone
from pipeline.processor import ClipProcessor


def test_file_name_time_is_read_in_the_cameras_confirmed_zone(
    settings, catalog, make_camera, camera_clip, spool_upload
):
    berlin = make_camera(name="Berlin")
    unset = make_camera(name="Unset")
    set_file_timezone(catalog, berlin["id"], "Europe/Berlin", settings.pipeline.timestamp_patterns)
    processor = ClipProcessor(settings, catalog, "test:0")
    processor.process(spool_upload(camera_clip, berlin, name="A20261125_140501.mp4"))
    processor.process(spool_upload(camera_clip, unset, name="A20261125_140501.mp4"))
    started = {row["camera_name"]: row["started_at"] for row in list_recordings(catalog)}
    assert started == {
        "Berlin": "2026-11-25T13:05:01+00:00",
        "Unset": "2026-11-25T14:05:01+00:00",  # the global default, UTC
    }
