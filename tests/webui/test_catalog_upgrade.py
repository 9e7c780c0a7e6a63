"""An old data folder opens: a catalog made before the review migration (m0020) is upgraded in
place when the web UI starts, keeps every row, and its pages work at once — recordings count as
unreviewed, cameras read file names in the global zone, users see UTC until they choose."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from core.catalog import atomic, open_catalog
from core.catalog.cameras import add_camera
from core.catalog.users import add_user
from tests.conftest import index_names, insert_old_recording, open_catalog_as_of
from tests.webui.conftest import AuthActions, BufferedClient
from webui import create_app

# Pages that read and write through the catalog: on SQLite and on PostgreSQL.
pytestmark = pytest.mark.both_engines

REVIEW_MIGRATION = 20


@pytest.fixture
def old_catalog(settings):
    """The catalog as a release before m0020 left it, with a user, a camera and a recording."""
    db = open_catalog_as_of(settings.storage.catalog_path, REVIEW_MIGRATION - 1)
    assert "reviewed_at" not in db["recordings"].columns_dict
    user = add_user(db, "old@example.com", "old customer's password")
    camera, _ = add_camera(db, user["id"], "Barn", "IN-8015")
    with atomic(db):
        recording_id = insert_old_recording(
            db,
            {
                "camera_id": camera["id"],
                "job_id": "old-job",
                "started_at": "2026-11-25T13:05:01+00:00",
                "received_at": "2026-11-25T13:05:40+00:00",
                "duration_s": 18.0,
                "width": 1280,
                "height": 720,
                "fps": 15.0,
                "frame_count": 270,
                "codec": "h264",
                "container": "mp4",
                "size_bytes": 1000,
                "path": f"{camera['id']}/2026/11/25/old-job.mp4",
                "original_name": "A20261125_140501.mp4",
            },
        )
    db.close()
    return user, camera, recording_id


def test_old_catalog_is_upgraded_in_place_and_keeps_its_rows(settings, old_catalog):
    create_app({"SETTINGS": settings, "TESTING": True})
    db = open_catalog(settings.storage.catalog_path, migrate=False)
    try:
        applied = {row[0] for row in db.execute("SELECT number FROM _migrations")}
        assert REVIEW_MIGRATION in applied
        assert db.execute("SELECT name, file_timezone FROM cameras").fetchall() == [("Barn", None)]
        assert db.execute("SELECT email, timezone FROM users").fetchall() == [
            ("old@example.com", None)
        ]
        assert db.execute("SELECT original_name, reviewed_at FROM recordings").fetchall() == [
            ("A20261125_140501.mp4", None)
        ]
        assert "idx_recordings_unreviewed" in index_names(db)
    finally:
        db.close()
    # Opening again applies nothing twice.
    again = open_catalog(settings.storage.catalog_path)
    again.close()


def test_upgraded_folder_serves_the_review_pages(settings, old_catalog):
    user, camera, recording_id = old_catalog
    app = create_app({"SETTINGS": settings, "TESTING": True})
    app.test_client_class = BufferedClient
    client = app.test_client()
    AuthActions(client).login_as({**user, "password": "old customer's password"})
    listing = client.get("/recordings").get_data(as_text=True)
    assert f'class="clip unreviewed" data-recording-id="{recording_id}"' in listing
    assert "13:05:01" in listing  # no zone chosen yet: UTC
    camera_page = client.get(f"/cameras/{camera['id']}").get_data(as_text=True)
    assert 'id="camera-zone">UTC<' in camera_page
    # One clip is not enough to suggest a zone.
    assert 'id="zone-suggestion"' not in camera_page


def test_upgraded_folder_has_no_previews_yet_and_its_statistics_count_old_alarms(
    settings, old_catalog
):
    user, camera, recording_id = old_catalog
    app = create_app({"SETTINGS": settings, "TESTING": True})
    app.test_client_class = BufferedClient
    db = open_catalog(settings.storage.catalog_path, migrate=False)
    try:
        applied = {row[0] for row in db.execute("SELECT number FROM _migrations")}
        assert {61, 62} <= applied
        assert db.execute("SELECT preview_path FROM recordings").fetchall() == [(None,)]
        assert db.execute("SELECT count(*) FROM storage_history").fetchone() == (0,)
    finally:
        db.close()
    client = app.test_client()
    AuthActions(client).login_as({**user, "password": "old customer's password"})
    listing = client.get("/recordings").get_data(as_text=True)
    assert f'data-recording-id="{recording_id}"' in listing and "data-preview" not in listing
    assert client.get(f"/recordings/{recording_id}/preview").status_code == 404
    statistics = client.get(f"/statistics?camera={camera['id']}").get_data(as_text=True)
    # The old alarm counts while it is inside the last 30 days (the viewer's zone is UTC).
    expected = 1 if (datetime.now(UTC).date() - date(2026, 11, 25)).days < 30 else 0
    assert f'id="stat-alarms">{expected}<' in statistics
