"""Operations tests: recordings with real files in a real catalog, and a controlled clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from core.catalog import atomic
from core.catalog.jobs import advance_job, register_job
from core.catalog.recordings import insert_recording
from core.catalog.states import JobState
from core.clipstore import ClipStore
from pipeline.scheduler import catalog_time

NOW = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def clips(settings) -> ClipStore:
    return ClipStore(settings.storage)


@pytest.fixture
def store_recording(catalog, clips) -> Callable[..., dict]:
    """An indexed upload of ``camera`` received ``age`` before NOW: job row, recording row,
    clip file of ``size`` bytes and a poster, as the pipeline leaves them."""
    counter = iter(range(1, 100_000))

    def _store(camera: dict, age: timedelta, size: int = 1000) -> dict:
        number = next(counter)
        received_at = catalog_time(NOW - age)
        job_id = f"job{number:05d}"
        register_job(
            catalog,
            {"upload_id": job_id, "camera_id": camera["id"], "completed_at": received_at},
        )
        relpath = clips.recording_relpath(camera["id"], received_at, job_id, "mp4")
        clip = clips.recording_file(relpath)
        clip.parent.mkdir(parents=True, exist_ok=True)
        clip.write_bytes(b"\0" * size)
        thumb_rel = clips.thumb_relpath(relpath)
        thumb = clips.thumb_file(thumb_rel)
        thumb.parent.mkdir(parents=True, exist_ok=True)
        thumb.write_bytes(b"jpeg")
        with atomic(catalog):
            recording_id = insert_recording(
                catalog,
                {
                    "camera_id": camera["id"],
                    "job_id": job_id,
                    "started_at": received_at,
                    "received_at": received_at,
                    "duration_s": 18.0,
                    "width": 1280,
                    "height": 720,
                    "fps": 15.0,
                    "frame_count": 270,
                    "codec": "h264",
                    "container": "mp4",
                    "size_bytes": size,
                    "path": relpath,
                    "thumb_path": thumb_rel,
                },
            )
            advance_job(catalog, job_id, JobState.INDEXED, recording_id=recording_id)
        return {"id": recording_id, "job_id": job_id, "clip": clip, "thumb": thumb}

    return _store


def recording_ids(catalog) -> set[int]:
    return {row["id"] for row in catalog.query("SELECT id FROM recordings")}


def record_detection_run(catalog, recording_id: int, elapsed_ms: int, runs: int) -> None:
    with atomic(catalog):
        catalog["detection_runs"].insert(
            {
                "recording_id": recording_id,
                "analyzed_at": catalog_time(NOW),
                "switches": "objects",
                "model": "yolov8n",
                "keyframes": runs,
                "extra_frames": 0,
                "detector_runs": runs,
                "elapsed_ms": elapsed_ms,
            }
        )
