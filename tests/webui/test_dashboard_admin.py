"""The dashboard (per camera alarms, storage, notices) and the admin area (users, cameras with
fair-use suspend/resume and evidence, rejected uploads, released recordings, status)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from core.catalog import atomic, utcnow
from core.catalog.browse import set_released
from core.catalog.cameras import get_camera
from core.catalog.fairuse import fairuse_events, record_transition
from core.catalog.notices import insert_notice
from core.catalog.rejections import insert_rejection
from core.catalog.states import FairUseState

# Pages that read and write through the catalog: on SQLite and on PostgreSQL.
pytestmark = pytest.mark.both_engines


def test_dashboard_shows_last_alarm_todays_count_storage_and_fairuse_advice(
    client, auth, make_user, make_camera, store_recording, catalog
):
    owner = make_user()
    camera = make_camera(owner, name="Garden")
    now = datetime.now(UTC).replace(microsecond=0)
    store_recording(camera, "2020-01-01T10:00:00+00:00", poster=False)
    latest = store_recording(camera, now.isoformat(), poster=False)
    with atomic(catalog):
        record_transition(
            catalog,
            camera["id"],
            FairUseState.OK,
            FairUseState.WARNED,
            rules=["constant_alarm"],
            evidence={"minutes": 45},
            actor="pipeline",
            at=utcnow(),
        )
        insert_notice(
            catalog,
            user_id=owner["id"],
            camera_id=camera["id"],
            kind="long_clip",
            title="Garden sends long clips",
            body="Clips longer than 18 s arrive.",
            advice=["Set the alarm video length to 15 s."],
            evidence={},
            created_at=utcnow(),
            dedupe_key=None,
        )
    auth.login_as(owner)
    html = client.get("/dashboard").get_data(as_text=True)
    assert now.strftime("%Y-%m-%d %H:%M:%S") in html
    assert "Alarms today: <strong>1</strong>" in html
    quota, used = 10240 * 1024 * 1024, latest["size_bytes"] * 2
    assert f'<meter id="storage" min="0" max="{quota}" value="{used}"' in html
    assert "lower its motion sensitivity" in html
    assert "Garden sends long clips" in html and "Set the alarm video length to 15 s." in html


def test_admin_suspends_and_resumes_a_camera_with_the_step_recorded(
    client, auth, make_user, make_camera, catalog
):
    admin = make_user("root@example.com", is_admin=True)
    camera = make_camera(make_user())
    auth.login_as(admin)
    page = "/admin/cameras"
    assert (
        auth.post(
            f"/admin/cameras/{camera['id']}/fairuse", {"action": "suspend"}, form_page=page
        ).status_code
        == 302
    )
    assert get_camera(catalog, camera["id"])["fairuse_state"] == "suspended"
    auth.post(f"/admin/cameras/{camera['id']}/fairuse", {"action": "resume"}, form_page=page)
    assert get_camera(catalog, camera["id"])["fairuse_state"] == "ok"
    steps = fairuse_events(catalog, camera["id"])
    assert [(s["from_state"], s["to_state"], s["actor"]) for s in steps] == [
        ("suspended", "ok", f"admin:{admin['id']}"),
        ("ok", "suspended", f"admin:{admin['id']}"),
    ]
    html = client.get(page).get_data(as_text=True)
    assert "ok → suspended by admin:" in html


def test_admin_lists_users_rejections_released_recordings_and_status(
    client, auth, make_user, make_camera, store_recording, catalog
):
    admin = make_user("root@example.com", is_admin=True)
    owner = make_user("frank@example.com")
    camera = make_camera(owner)
    hidden = store_recording(camera, "2026-11-20T10:00:00+00:00")
    shared = store_recording(camera, "2026-11-21T10:00:00+00:00")
    set_released(catalog, [shared["id"]], True)
    job = {
        "id": "job-rejected-1",
        "camera_id": camera["id"],
        "protocol": "ftp",
        "original_name": "A20261125.mp4",
        "size_bytes": 1200,
        "received_at": "2026-11-25T10:00:00+00:00",
    }
    with atomic(catalog):
        insert_rejection(catalog, job, "not_video", "no container signature")
    auth.login_as(admin)
    users = client.get("/admin/users").get_data(as_text=True)
    assert "frank@example.com" in users
    rejections = client.get("/admin/rejections").get_data(as_text=True)
    assert "not_video" in rejections and "no container signature" in rejections
    released = client.get("/admin/released").get_data(as_text=True)
    assert f"/recordings/{shared['id']}" in released
    assert f"/recordings/{hidden['id']}" not in released
    status = client.get("/admin").get_data(as_text=True)
    assert "free of" in status and "Queue" in status
    assert json.dumps(owner["email"]) not in status


def test_admin_status_shows_a_media_folder_elsewhere_and_a_bucket_without_a_figure(
    client, auth, make_user, settings, small_file_system
):
    auth.login_as(make_user("root@example.com", is_admin=True))
    settings.storage.media = str(small_file_system.path)

    page = client.get("/admin").get_data(as_text=True)

    assert f"Recordings store <code>{small_file_system.path}</code>" in page
    assert '<meter min="0" max="1048576" value="0"' in page
    assert "0 B used, 1.0 MB free of 1.0 MB." in page
    assert f"Data folder <code>{settings.storage.data_dir}</code>" in page

    settings.storage.media = "s3://alarmvault-media/cluster"
    page = client.get("/admin").get_data(as_text=True)

    assert "Recordings store <code>s3://alarmvault-media/cluster</code>" in page
    assert "An object store: it has no free-space figure." in page
