"""Running totals per camera and account (recordings, bytes, unreviewed): equal to a recount
after every way recordings come and go, filled in on upgrade, repaired when they drift."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

from core.catalog import atomic, open_catalog
from core.catalog.browse import RecordingFilter, bytes_used, mark_reviewed, set_reviewed
from core.catalog.jobs import register_job
from core.catalog.recordings import insert_recording
from core.catalog.retention import set_camera_retention
from core.catalog.totals import account_totals, check_totals
from core.removal import remove_account, remove_camera, remove_recordings
from pipeline.scheduler.retention import retention_by_days, retention_by_quota
from pipeline.scheduler.upkeep import database_upkeep
from tests.conftest import open_catalog_as_of
from tests.ops.conftest import NOW


def recount(catalog) -> tuple[dict, dict]:
    """The totals as a whole-table aggregation finds them (what the views used to run)."""
    cameras = {
        row[0]: tuple(row[1:])
        for row in catalog.execute(
            "SELECT camera_id, count(*), sum(size_bytes),"
            " sum(CASE WHEN reviewed_at IS NULL THEN 1 ELSE 0 END)"
            " FROM recordings GROUP BY camera_id"
        )
    }
    accounts = {
        row[0]: tuple(row[1:])
        for row in catalog.execute(
            "SELECT c.owner_id, count(*), sum(r.size_bytes),"
            " sum(CASE WHEN r.reviewed_at IS NULL THEN 1 ELSE 0 END)"
            " FROM recordings r JOIN cameras c ON c.id = r.camera_id GROUP BY c.owner_id"
        )
    }
    return cameras, accounts


def stored(catalog) -> tuple[dict, dict]:
    """The running totals, rows of nothing left out (a camera or account at zero)."""
    cameras = {
        row[0]: tuple(row[1:])
        for row in catalog.execute(
            "SELECT camera_id, recordings, bytes, unreviewed FROM camera_totals"
            " WHERE recordings <> 0 OR bytes <> 0 OR unreviewed <> 0"
        )
    }
    accounts = {
        row[0]: tuple(row[1:])
        for row in catalog.execute(
            "SELECT user_id, recordings, bytes, unreviewed FROM account_totals"
            " WHERE recordings <> 0 OR bytes <> 0 OR unreviewed <> 0"
        )
    }
    return cameras, accounts


def assert_totals_match_a_recount(catalog) -> None:
    assert stored(catalog) == recount(catalog)
    assert check_totals(catalog, repair=False)["drift"] == []


def test_totals_follow_indexing_and_deleting_recordings(
    catalog, settings, clips, make_user, make_camera, store_recording
):
    owner = make_user()
    garden, door = make_camera(owner=owner), make_camera(owner=owner)
    other = make_camera()
    first = store_recording(garden, timedelta(days=3), size=1000)
    store_recording(garden, timedelta(days=2), size=2000)
    store_recording(door, timedelta(days=1), size=4000)
    store_recording(other, timedelta(days=1), size=500)

    assert account_totals(catalog, owner["id"]) == {
        "recordings": 3,
        "bytes": 7000,
        "unreviewed": 3,
    }
    assert bytes_used(catalog, owner["id"]) == 7000
    assert_totals_match_a_recount(catalog)

    rows = list(catalog.query("SELECT * FROM recordings WHERE id = ?", [first["id"]]))
    remove_recordings(catalog, clips, rows)

    assert account_totals(catalog, owner["id"])["bytes"] == 6000
    assert_totals_match_a_recount(catalog)


def test_a_repeated_index_of_the_same_job_counts_once(catalog, make_camera, store_recording):
    camera = make_camera()
    stored_once = store_recording(camera, timedelta(days=1), size=1000)
    row = dict(next(catalog.query("SELECT * FROM recordings WHERE id = ?", [stored_once["id"]])))
    del row["id"]
    with atomic(catalog):
        assert insert_recording(catalog, row) == stored_once["id"]
    assert account_totals(catalog, camera["owner"]["id"])["recordings"] == 1
    assert_totals_match_a_recount(catalog)


def test_totals_follow_retention_by_days_and_by_quota(
    catalog, settings, make_user, make_camera, store_recording
):
    mb = 1024 * 1024
    settings.schedule.retention_days = 30
    settings.storage.default_quota_mb = 2
    owner = make_user()
    garden, door = make_camera(owner=owner), make_camera(owner=owner)
    set_camera_retention(catalog, door["id"], 7)
    store_recording(garden, timedelta(days=31), size=mb)
    store_recording(door, timedelta(days=8), size=mb)
    for days in (6, 5, 4):
        store_recording(garden, timedelta(days=days), size=mb)
    store_recording(door, timedelta(days=3), size=mb // 2)

    assert retention_by_days(catalog, settings, NOW)["deleted"] == 2
    assert_totals_match_a_recount(catalog)
    assert account_totals(catalog, owner["id"])["bytes"] == 3 * mb + mb // 2

    assert retention_by_quota(catalog, settings, NOW)["deleted"] == 2
    assert_totals_match_a_recount(catalog)
    assert account_totals(catalog, owner["id"]) == {
        "recordings": 2,
        "bytes": mb + mb // 2,
        "unreviewed": 2,
    }


def test_totals_follow_camera_and_account_removal(
    catalog, settings, clips, make_user, make_camera, store_recording
):
    owner, other = make_user(), make_user()
    garden, door = make_camera(owner=owner), make_camera(owner=owner)
    others_camera = make_camera(owner=other)
    store_recording(garden, timedelta(days=2), size=1000)
    store_recording(door, timedelta(days=1), size=3000)
    store_recording(door, timedelta(days=1), size=3000)
    store_recording(others_camera, timedelta(days=1), size=10)

    remove_camera(catalog, clips, settings.storage, door)

    assert account_totals(catalog, owner["id"]) == {
        "recordings": 1,
        "bytes": 1000,
        "unreviewed": 1,
    }
    assert catalog.execute(
        "SELECT count(*) FROM camera_totals WHERE camera_id = ?", [door["id"]]
    ).fetchone() == (0,)
    assert_totals_match_a_recount(catalog)

    remove_account(catalog, clips, settings.storage, owner["id"])

    assert catalog.execute(
        "SELECT count(*) FROM account_totals WHERE user_id = ?", [owner["id"]]
    ).fetchone() == (0,)
    assert account_totals(catalog, other["id"])["bytes"] == 10
    assert_totals_match_a_recount(catalog)


def test_unreviewed_totals_follow_review_marks(catalog, make_user, make_camera, store_recording):
    owner = make_user()
    garden, door = make_camera(owner=owner), make_camera(owner=owner)
    ids = [store_recording(garden, timedelta(days=1))["id"] for _ in range(3)]
    store_recording(door, timedelta(days=1))

    set_reviewed(catalog, ids[:2], "2026-01-01T00:00:00+00:00")
    set_reviewed(catalog, ids[:2], "2026-01-02T00:00:00+00:00")  # already reviewed: no change
    assert account_totals(catalog, owner["id"])["unreviewed"] == 2
    assert_totals_match_a_recount(catalog)

    set_reviewed(catalog, ids[1:], None)
    assert account_totals(catalog, owner["id"])["unreviewed"] == 3
    assert_totals_match_a_recount(catalog)

    assert mark_reviewed(catalog, RecordingFilter(owner_id=owner["id"]), "2026-01-03") == 3
    assert account_totals(catalog, owner["id"])["unreviewed"] == 0
    assert_totals_match_a_recount(catalog)


def write_recording_behind_the_catalogs_back(catalog, camera: dict, job_id: str) -> None:
    """A recording row written without `insert_recording` (by hand, or by a bug)."""
    register_job(catalog, {"upload_id": job_id, "camera_id": camera["id"]})
    with atomic(catalog):
        catalog.execute(
            "INSERT INTO recordings (camera_id, job_id, started_at, received_at, duration_s,"
            " width, height, fps, frame_count, codec, container, size_bytes, path, created_at)"
            " VALUES (?, ?, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00', 18,"
            " 1280, 720, 15, 270, 'h264', 'mp4', 777, 'x.mp4', '2026-01-01T00:00:00+00:00')",
            [camera["id"], job_id],
        )


def test_check_totals_finds_and_repairs_drift(catalog, make_user, make_camera, store_recording):
    owner = make_user()
    garden, door = make_camera(owner=owner), make_camera(owner=owner)
    store_recording(garden, timedelta(days=1), size=1000)
    write_recording_behind_the_catalogs_back(catalog, door, "by-hand")
    with atomic(catalog):
        catalog.execute("UPDATE camera_totals SET bytes = 5 WHERE camera_id = ?", [garden["id"]])

    found = check_totals(catalog, repair=False)
    assert {(item["kind"], item["id"]) for item in found["drift"]} == {
        ("camera", garden["id"]),
        ("camera", door["id"]),
        ("account", owner["id"]),  # its row missed the hand-written recording
        ("activity", door["id"]),  # so did the door's activity slots
    }
    assert stored(catalog) != recount(catalog)  # a dry run changes nothing

    repaired = check_totals(catalog, repair=True)

    assert repaired["cameras"] == 2 and repaired["accounts"] == 1
    assert account_totals(catalog, owner["id"]) == {
        "recordings": 2,
        "bytes": 1777,
        "unreviewed": 2,
    }
    assert_totals_match_a_recount(catalog)


def test_upkeep_repairs_drifted_totals(catalog, settings, make_camera):
    camera = make_camera()
    write_recording_behind_the_catalogs_back(catalog, camera, "by-hand")

    assert database_upkeep(catalog, settings, NOW)["totals_repaired"] == 2  # camera + account
    assert_totals_match_a_recount(catalog)
    assert database_upkeep(catalog, settings, NOW)["totals_repaired"] == 0


def test_check_totals_command_reports_then_repairs(catalog, config_file, make_camera):
    camera = make_camera()
    write_recording_behind_the_catalogs_back(catalog, camera, "by-hand")
    command = [sys.executable, "-m", "cli", "--config", str(config_file), "check-totals"]

    dry = subprocess.run([*command, "--dry-run"], capture_output=True, text=True, check=False)
    assert dry.returncode == 1, dry.stderr
    assert f"camera {camera['id']}: recordings 0 -> 1, bytes 0 -> 777" in dry.stdout

    fixed = subprocess.run(command, capture_output=True, text=True, check=False)
    assert fixed.returncode == 0, fixed.stderr
    assert "repaired: 1 camera rows, 1 account rows" in fixed.stdout
    assert_totals_match_a_recount(catalog)
    again = subprocess.run([*command, "--dry-run"], capture_output=True, text=True, check=False)
    assert again.returncode == 0 and "found: 0 camera rows, 0 account rows" in again.stdout


def test_upgrade_fills_the_totals_from_existing_recordings(tmp_path, settings):
    path = tmp_path / "old.db"
    old = open_catalog_as_of(path, 20)
    with atomic(old):
        for user_id in (1, 2):
            old.execute(
                "INSERT INTO users (id, email, password_hash, created_at)"
                " VALUES (?, ?, 'x', '2026-01-01')",
                [user_id, f"u{user_id}@example.org"],
            )
        for camera_id, owner_id in ((10, 1), (11, 1), (12, 2)):
            old.execute(
                "INSERT INTO cameras (id, owner_id, name, model, username, password_hash,"
                " created_at) VALUES (?, ?, 'c', 'IN-8015', ?, 'x', '2026-01-01')",
                [camera_id, owner_id, f"cam{camera_id}"],
            )
        for number, (camera_id, size, reviewed) in enumerate(
            [(10, 100, None), (10, 200, "2026-01-02"), (11, 400, None), (12, 800, None)]
        ):
            old.execute(
                "INSERT INTO recordings (camera_id, job_id, started_at, received_at, duration_s,"
                " width, height, fps, frame_count, codec, container, size_bytes, path,"
                " created_at, reviewed_at) VALUES (?, ?, '2026-01-01', '2026-01-01', 18, 1280,"
                " 720, 15, 270, 'h264', 'mp4', ?, 'x.mp4', '2026-01-01', ?)",
                [camera_id, f"job{number}", size, reviewed],
            )
    old.close()

    upgraded = open_catalog(path)

    assert account_totals(upgraded, 1) == {"recordings": 3, "bytes": 700, "unreviewed": 2}
    assert account_totals(upgraded, 2) == {"recordings": 1, "bytes": 800, "unreviewed": 1}
    assert_totals_match_a_recount(upgraded)
    upgraded.close()
