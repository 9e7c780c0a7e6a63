"""JPEG alarm snapshots through ClipProcessor: checked as real JPEGs of a size the camera's model
snaps, kept as stills of their alarm (with the clip of the same alarm in either order, else as a
snapshot-only recording), refused with a reason otherwise, and deleted with their recording."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from core.catalog import atomic, open_catalog
from core.catalog.recordings import list_recordings
from core.catalog.rejections import list_rejections
from core.catalog.retention import accounts_with_usage, delete_upload_records
from core.catalog.states import JobState, RecordingKind
from core.catalog.stills import file_still, stills_of
from core.catalog.totals import account_totals, check_totals
from core.clipstore import ClipStore
from core.removal import remove_account, remove_camera, remove_recordings
from pipeline.media.still import probe_still
from pipeline.media_worker import MediaWorker
from pipeline.processor import ClipProcessor
from pipeline.scheduler.retention import retention_by_days
from tests.pipeline.rule_clips import SMALL
from tests.pipeline.test_catalog_upgrade import old_catalog


def jpeg_bytes(width: int = 640, height: int = 360, **save: object) -> bytes:
    """A real camera-like JPEG: a gradient picture, so the encoder has something to code."""
    picture = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=85, **save)
    return buffer.getvalue()


def scan_replaced(entropy_data: bytes) -> bytes:
    """A JPEG whose headers are whole and whose coded picture is ``entropy_data``."""
    whole = jpeg_bytes()
    scan_header = whole.index(b"\xff\xda")
    length = int.from_bytes(whole[scan_header + 2 : scan_header + 4], "big")
    return whole[: scan_header + 2 + length] + entropy_data + b"\xff\xd9"


@pytest.fixture
def snapshot(tmp_path):
    def _write(data: bytes | None = None, name: str = "snap.jpg") -> Path:
        path = tmp_path / name
        path.write_bytes(jpeg_bytes() if data is None else data)
        return path

    return _write


@pytest.fixture
def processor(settings, catalog):
    return ClipProcessor(settings, catalog, "test:0")


def all_files(settings) -> list[Path]:
    roots = (settings.storage.recordings_dir, settings.storage.thumbs_dir)
    return sorted(p for root in roots if root.exists() for p in root.rglob("*") if p.is_file())


def test_a_real_jpeg_is_read_from_its_markers_and_decoded(snapshot):
    probe = probe_still(snapshot(jpeg_bytes(1280, 720, progressive=True)))

    assert probe.ok
    assert (probe.width, probe.height, probe.components, probe.progressive) == (1280, 720, 3, True)


@pytest.mark.parametrize(
    ("data", "truncated", "error_part"),
    [
        (b"\xff\xd8\xff\xe0" + b"garbage" * 200, False, "bad length"),
        (jpeg_bytes()[:-2000], True, None),
        (b"\xff\xd8\xff\xd9", False, "end-of-image marker before any scan"),
        (scan_replaced(bytes(2000)), False, "does not decode"),
        (scan_replaced(bytes(range(256)) * 8), False, "does not decode"),
        (scan_replaced(bytes(10)), False, "does not decode"),
    ],
    ids=["garbage-after-soi", "cut-off", "no-scan", "zeros-for-pixels", "noise", "short-scan"],
)
def test_a_broken_jpeg_says_what_is_wrong(snapshot, data, truncated, error_part):
    probe = probe_still(snapshot(data))

    assert not probe.ok
    assert (probe.truncation is not None) == truncated
    if error_part:
        assert error_part in (probe.error or "")


def test_a_snapshot_alone_becomes_a_snapshot_only_recording(
    settings, catalog, make_camera, spool_upload, processor, snapshot
):
    camera = make_camera(model="IN-8015")
    folder = spool_upload(snapshot(), camera, name="T20261125_130005.jpg")

    assert processor.process(folder) == JobState.INDEXED

    [recording] = list_recordings(catalog)
    assert recording["kind"] == RecordingKind.SNAPSHOT
    assert (recording["width"], recording["height"]) == (640, 360)
    assert recording["started_at"] == "2026-11-25T13:00:05+00:00"
    [still] = stills_of(catalog, recording["id"])
    stored = ClipStore(settings.storage).recording_file(still["path"])
    assert stored.read_bytes()[:3] == b"\xff\xd8\xff"
    assert recording["size_bytes"] == still["size_bytes"] == stored.stat().st_size
    assert recording["thumb_path"]  # its poster, for the list
    assert not folder.exists()


@pytest.mark.parametrize("snapshot_first", [True, False], ids=["snapshot-first", "clip-first"])
def test_a_snapshot_and_the_clip_of_its_alarm_make_one_recording(
    settings, catalog, make_camera, spool_upload, processor, snapshot, clip_factory, snapshot_first
):
    camera = make_camera(model="IN-8015")
    clip = clip_factory(**SMALL)
    uploads = [
        (snapshot(), "T20261125_130003.jpg"),
        (snapshot(jpeg_bytes(1920, 1080), "big.jpg"), "T20261125_130004.jpg"),
        (clip, "A20261125_130000.mp4"),
    ]
    if not snapshot_first:
        uploads.reverse()
    for source, name in uploads:
        assert processor.process(spool_upload(source, camera, name=name)) == JobState.INDEXED

    [recording] = list_recordings(catalog)
    assert recording["kind"] == RecordingKind.CLIP
    stills = stills_of(catalog, recording["id"])
    assert [s["original_name"] for s in stills] == ["T20261125_130003.jpg", "T20261125_130004.jpg"]
    assert recording["size_bytes"] == clip.stat().st_size + sum(s["size_bytes"] for s in stills)
    # Every still's upload now points at the clip; no poster of a merged snapshot event is left.
    job_recordings = {row[0] for row in catalog.execute("SELECT recording_id FROM jobs")}
    assert job_recordings == {recording["id"]}
    posters = [p for p in all_files(settings) if p.name.endswith(".poster.jpg")]
    assert [p.name for p in posters] == [Path(recording["thumb_path"]).name]
    # The running totals followed every step: one recording holding every byte.
    assert check_totals(catalog, repair=False)["drift"] == []
    assert account_totals(catalog, camera["owner_id"])["recordings"] == 1


def test_a_snapshot_outside_the_window_is_an_event_of_its_own(
    catalog, make_camera, spool_upload, processor, snapshot, clip_factory
):
    camera = make_camera(model="IN-8015")
    processor.process(spool_upload(clip_factory(**SMALL), camera, name="A20261125_130000.mp4"))
    processor.process(spool_upload(snapshot(), camera, name="T20261125_131000.jpg"))
    other_camera = make_camera(model="IN-8015", owner=camera["owner"])
    processor.process(spool_upload(snapshot(), other_camera, name="T20261125_130001.jpg"))

    kinds = sorted((r["camera_id"], r["kind"]) for r in list_recordings(catalog))
    assert kinds == [
        (camera["id"], RecordingKind.CLIP),
        (camera["id"], RecordingKind.SNAPSHOT),
        (other_camera["id"], RecordingKind.SNAPSHOT),
    ]


@pytest.mark.parametrize(
    ("data", "reason", "detail_part"),
    [
        (jpeg_bytes(800, 600), "profile_mismatch", "800x600 is not a snapshot size of IN-8015"),
        (b"\xff\xd8\xff" + b"not really a picture" * 40, "undecodable", "JPEG snapshot"),
        (jpeg_bytes()[:-3000], "truncated", "no end-of-image marker"),
    ],
    ids=["size-of-no-model", "garbage", "cut-off"],
)
def test_a_fake_snapshot_is_refused_with_its_reason(
    settings, catalog, make_camera, spool_upload, processor, snapshot, data, reason, detail_part
):
    camera = make_camera(model="IN-8015")
    folder = spool_upload(snapshot(data), camera, name="T20261125_130003.jpg")

    assert processor.process(folder) == JobState.REJECTED

    [rejection] = list_rejections(catalog)
    assert rejection["reason"] == reason
    assert detail_part in rejection["detail"]
    assert list_recordings(catalog) == []
    assert all_files(settings) == []
    assert not folder.exists()


def test_snapshots_switched_off_are_refused_as_snapshots_off(
    settings, catalog, make_camera, spool_upload, processor, snapshot
):
    camera = make_camera(model="IN-8015")
    catalog.execute("UPDATE cameras SET keep_snapshots = 0 WHERE id = ?", [camera["id"]])

    folder = spool_upload(snapshot(), camera, name="T20261125_130003.jpg")

    assert processor.process(folder) == JobState.REJECTED
    [rejection] = list_rejections(catalog)
    assert rejection["reason"] == "snapshots_off"
    assert all_files(settings) == []


@pytest.mark.parametrize("removal", ["recording", "camera", "account"])
def test_deleting_the_recording_camera_or_account_removes_its_stills(
    settings, catalog, make_camera, spool_upload, processor, snapshot, clip_factory, removal
):
    camera = make_camera(model="IN-8015")
    processor.process(spool_upload(clip_factory(**SMALL), camera, name="A20261125_130000.mp4"))
    processor.process(spool_upload(snapshot(), camera, name="T20261125_130003.jpg"))
    processor.process(spool_upload(snapshot(), camera, name="T20261125_140000.jpg"))
    assert len(list_recordings(catalog)) == 2
    assert len([p for p in all_files(settings) if p.suffix == ".jpg"]) >= 4  # 2 stills, 2 posters

    clips = ClipStore(settings.storage)
    if removal == "recording":
        remove_recordings(catalog, clips, list_recordings(catalog))
    elif removal == "camera":
        remove_camera(catalog, clips, settings.storage, camera)
    else:
        remove_account(catalog, clips, settings.storage, camera["owner"]["id"])

    assert all_files(settings) == []
    assert catalog.execute("SELECT count(*) FROM stills").fetchone()[0] == 0
    assert catalog.execute("SELECT count(*) FROM jobs").fetchone()[0] == 0


def test_stills_count_towards_the_quota_and_go_with_retention(
    settings, catalog, make_camera, spool_upload, processor, snapshot, clip_factory
):
    camera = make_camera(model="IN-8015")
    clip = clip_factory(**SMALL)
    processor.process(spool_upload(clip, camera, name="A20261125_130000.mp4"))
    processor.process(spool_upload(snapshot(), camera, name="T20261125_130003.jpg"))
    processor.process(spool_upload(snapshot(), camera, name="T20261125_150000.jpg"))
    stored = sum(p.stat().st_size for p in all_files(settings) if ".poster." not in p.name)

    [usage] = accounts_with_usage(catalog, settings.storage.default_quota_mb)
    assert usage["used_bytes"] == stored

    later = datetime.now(UTC) + timedelta(days=settings.schedule.retention_days + 1)
    assert retention_by_days(catalog, settings, later)["deleted"] == 2
    assert all_files(settings) == []
    assert catalog.execute("SELECT count(*) FROM stills").fetchone()[0] == 0


def test_the_upload_records_of_kept_stills_are_not_taken_for_orphans(
    settings, catalog, make_camera, spool_upload, processor, snapshot, clip_factory
):
    camera = make_camera(model="IN-8015")
    processor.process(spool_upload(clip_factory(**SMALL), camera, name="A20261125_130000.mp4"))
    processor.process(spool_upload(snapshot(), camera, name="T20261125_130003.jpg"))

    removed = delete_upload_records(catalog, "2000-01-01T00:00:00+00:00")

    assert removed["orphan_jobs"] == 0
    assert catalog.execute("SELECT count(*) FROM jobs").fetchone()[0] == 2


def test_a_catalog_from_before_stills_keeps_its_recordings_as_clips(tmp_path):
    path = tmp_path / "catalog.db"
    old_catalog(path, last=20)

    db = open_catalog(path)
    try:
        [recording] = list_recordings(db)
        assert (recording["kind"], recording["size_bytes"]) == (RecordingKind.CLIP, 1000)
        assert db.execute("SELECT keep_snapshots FROM cameras").fetchone()[0] == 1
        # A snapshot of that old clip's alarm joins it.
        with atomic(db):
            recording_id, made = file_still(
                db,
                {
                    "camera_id": recording["camera_id"],
                    "job_id": "new-snapshot",
                    "taken_at": "2026-01-01T10:00:03+00:00",
                    "received_at": "2026-01-01T10:00:30+00:00",
                    "width": 1280,
                    "height": 720,
                    "size_bytes": 200,
                    "path": "1/2026-01-01/new-snapshot.jpg",
                },
                window_s=30,
                longest_clip_s=600,
            )
        assert (recording_id, made) == (recording["id"], False)
        assert list_recordings(db)[0]["size_bytes"] == 1200
    finally:
        db.close()


def test_snapshots_are_read_in_the_media_worker_and_a_hang_costs_that_snapshot_only(
    settings, catalog, make_camera, spool_upload, snapshot, tmp_path
):
    settings.validation.probe_timeout_s = 1.0
    hanging = tmp_path / "hang.jpg"
    os.mkfifo(hanging)
    with MediaWorker(settings) as media:
        assert media.probe_still(hanging).error == "decoder timed out"
        processor = ClipProcessor(settings, catalog, "test:0", media=media)
        camera = make_camera(model="IN-8015")
        folder = spool_upload(snapshot(), camera, name="T20261125_130003.jpg")
        assert processor.process(folder) == JobState.INDEXED
        assert media.stats.timeouts == 1
    [recording] = list_recordings(catalog)
    assert recording["kind"] == RecordingKind.SNAPSHOT and recording["thumb_path"]
