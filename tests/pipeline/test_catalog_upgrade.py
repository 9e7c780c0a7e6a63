"""Upgrading in place: a catalog written before a migration opens with the new code, its rows
intact. The old data folder is made by applying only the migrations that existed then."""

from __future__ import annotations

from pathlib import Path

from core.catalog import atomic, migrations, open_catalog
from core.catalog.browse import RecordingFilter, search_recordings
from core.catalog.cameras import add_camera
from core.catalog.detections import plate_crops, store_detection_results
from core.catalog.plates import add_known_plate, recording_plates
from core.catalog.users import add_user
from core.detection.results import ClipDetections, DetectionSwitches, PlateCrop, PlateRead
from tests.conftest import insert_old_recording, open_catalog_as_of


def old_catalog(path: Path, last: int) -> None:
    """A catalog as the release with migrations up to ``last`` left it, with an owner, a
    camera, a recording and a plate crop (of the time: no text)."""
    db = open_catalog_as_of(path, last)
    owner = add_user(db, "owner@example.com", "correct horse 1")
    camera, _ = add_camera(db, owner["id"], "Drive", "IN-8015")
    with atomic(db):
        recording_id = insert_old_recording(
            db,
            {
                "camera_id": camera["id"],
                "job_id": "old-job",
                "started_at": "2026-01-01T10:00:00+00:00",
                "received_at": "2026-01-01T10:00:20+00:00",
                "duration_s": 18.0,
                "width": 1280,
                "height": 720,
                "fps": 15.0,
                "frame_count": 270,
                "codec": "h264",
                "container": "mp4",
                "size_bytes": 1000,
                "path": f"{camera['id']}/2026-01-01/old-job.mp4",
            },
        )
        db.execute(
            "INSERT INTO plate_crops (recording_id, t_s, score, x1, y1, x2, y2, path)"
            " VALUES (?, 2.0, 0.8, 1, 2, 3, 4, 'old.plate0.jpg')",
            [recording_id],
        )
    db.close()


def test_a_catalog_from_before_plate_reading_opens_with_its_plate_crops(tmp_path):
    path = tmp_path / "catalog.db"
    old_catalog(path, last=8)
    db = open_catalog(path)
    try:
        assert {row["number"] for row in db.query("SELECT number FROM _migrations")} >= {9}
        [crop] = plate_crops(db, 1)
        assert crop["path"] == "old.plate0.jpg" and crop["text"] is None and crop["track"] == 0
        assert recording_plates(db, 1) == []
        owner_id = db.execute("SELECT id FROM users").fetchone()[0]
        # The new tables work on the old rows: a re-run stores text, search and names find it.
        result = ClipDetections(
            switches=DetectionSwitches(plates=True),
            duration_s=18.0,
            plates=[PlateCrop(2.0, 0.8, (1, 2, 3, 4), Path("old.plate0.jpg"), "RHA0A01", 0.9)],
            plate_reads=[PlateRead(0, "RHA0A01", 0.9, 2.0, 0)],
        )
        store_detection_results(db, 1, result)
        add_known_plate(db, owner_id, "RHA0A01", "our car")
        page = search_recordings(db, RecordingFilter(owner_id=owner_id, plate="RHAOA01"))
        assert [row["id"] for row in page.rows] == [1]
        assert page.rows[0]["plates"] == [
            {"text": "RHA0A01", "name": "our car", "known_plate_id": 1}
        ]
    finally:
        db.close()


def test_opening_an_upgraded_catalog_again_applies_nothing(tmp_path):
    path = tmp_path / "catalog.db"
    old_catalog(path, last=8)
    open_catalog(path).close()
    db = open_catalog(path, migrate=False)
    try:
        assert migrations.apply_migrations(db) == []
    finally:
        db.close()
