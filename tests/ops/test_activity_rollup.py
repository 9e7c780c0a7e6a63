"""The activity roll-up (alarms per camera and quarter hour, by the most telling label) and the
label counts per camera: equal to a recount after every way recordings and labels come and go,
filled in on upgrade, repaired by the totals check when they drift; a label filter finds the
same recordings while skipping the cameras that never saw the label."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from core.catalog import atomic, open_catalog
from core.catalog.activity import check_activity, slot_counts
from core.catalog.browse import RecordingFilter, search_recordings
from core.catalog.detections import delete_detection_results, store_detection_results
from core.catalog.retention import set_camera_retention
from core.catalog.time_zones import set_file_timezone
from core.catalog.totals import check_totals
from core.detection.results import ClipDetections, DetectionSwitches, LabelHit
from core.removal import remove_account, remove_camera, remove_recordings
from pipeline.scheduler import catalog_time
from pipeline.scheduler.retention import retention_by_days, retention_by_quota
from pipeline.scheduler.upkeep import database_upkeep
from tests.conftest import open_catalog_as_of
from tests.ops.conftest import NOW

# Most telling first, as the strips colour an alarm.
TELLING = ("person", "vehicle", "animal", "false_alarm")


def quarter_hour(started_at: str) -> str:
    moment = datetime.fromisoformat(started_at)
    return f"{moment:%Y-%m-%dT%H}:{moment.minute // 15 * 15:02d}"


def recount(catalog) -> tuple[dict, dict]:
    """Slots and label counts as reading every recording and label finds them."""
    labels: dict[int, set[str]] = {}
    cameras: dict[int, tuple[int, str]] = {}
    for recording_id, camera_id, started_at, label in catalog.execute(
        "SELECT r.id, r.camera_id, r.started_at, l.label FROM recordings r"
        " LEFT JOIN recording_labels l ON l.recording_id = r.id"
    ):
        cameras[recording_id] = (camera_id, started_at)
        labels.setdefault(recording_id, set())
        if label:
            labels[recording_id].add(label)
    slots: dict[tuple[int, str], list[int]] = {}
    counts: dict[tuple[int, str], int] = {}
    for recording_id, (camera_id, started_at) in cameras.items():
        seen = next((TELLING.index(x) for x in TELLING if x in labels[recording_id]), 4)
        slot = slots.setdefault((camera_id, quarter_hour(started_at)), [0] * 5)
        slot[seen] += 1
        for label in labels[recording_id]:
            counts[(camera_id, label)] = counts.get((camera_id, label), 0) + 1
    return {key: tuple(value) for key, value in slots.items()}, counts


def stored(catalog) -> tuple[dict, dict]:
    """The roll-up's rows, rows at zero left out."""
    slots = {
        (row[0], row[1]): tuple(row[2:])
        for row in catalog.execute(
            "SELECT camera_id, slot, person, vehicle, animal, false_alarm, motion"
            " FROM camera_activity"
        )
        if any(row[2:])
    }
    counts = {
        (row[0], row[1]): row[2]
        for row in catalog.execute("SELECT camera_id, label, recordings FROM camera_labels")
        if row[2]
    }
    return slots, counts


def assert_rollup_matches_a_recount(catalog) -> None:
    assert stored(catalog) == recount(catalog)
    assert check_activity(catalog, repair=False)["drift"] == []


def detect(catalog, recording_id: int, *labels: str) -> None:
    """Detection results of ``labels`` for the recording, as the analysis stores them."""
    store_detection_results(
        catalog,
        recording_id,
        ClipDetections(
            switches=DetectionSwitches(objects=True),
            duration_s=18.0,
            labels=[LabelHit(label, 0.9, 1.0, 4.0) for label in labels],
        ),
    )


def recording_rows(catalog, *recordings: dict) -> list[dict]:
    ids = [recording["id"] for recording in recordings]
    return [row for row in catalog.query("SELECT * FROM recordings") if row["id"] in ids]


@pytest.mark.both_engines
def test_rollup_follows_indexing_detection_and_deleting(
    catalog, clips, make_user, make_camera, store_recording
):
    owner = make_user()
    garden, door = make_camera(owner=owner), make_camera(owner=owner)
    first = store_recording(garden, timedelta(hours=5, minutes=50))  # 06:10: slot 06:00
    second = store_recording(garden, timedelta(hours=5, minutes=40))  # 06:20: slot 06:15
    third = store_recording(door, timedelta(hours=5, minutes=50))
    assert_rollup_matches_a_recount(catalog)
    garden_slot = (garden["id"], "2026-11-25T06:00")
    assert stored(catalog)[0][garden_slot] == (0, 0, 0, 0, 1)  # motion until analysed

    detect(catalog, first["id"], "vehicle", "person")
    detect(catalog, third["id"], "false_alarm")
    assert stored(catalog)[0][garden_slot] == (1, 0, 0, 0, 0)
    assert stored(catalog)[1][(garden["id"], "vehicle")] == 1
    assert_rollup_matches_a_recount(catalog)

    detect(catalog, first["id"], "animal")  # a re-run replaces what the first found
    assert stored(catalog)[0][garden_slot] == (0, 0, 1, 0, 0)
    assert (garden["id"], "person") not in stored(catalog)[1]
    assert_rollup_matches_a_recount(catalog)

    with atomic(catalog):
        delete_detection_results(catalog, third["id"])
    assert_rollup_matches_a_recount(catalog)

    detect(catalog, second["id"], "person")
    remove_recordings(catalog, clips, recording_rows(catalog, first, second))
    assert stored(catalog) == ({(door["id"], "2026-11-25T06:00"): (0, 0, 0, 0, 1)}, {})
    assert_rollup_matches_a_recount(catalog)


@pytest.mark.both_engines
def test_hourly_counts_are_the_sums_of_the_hours_quarter_hour_slots(
    catalog, make_user, make_camera, store_recording
):
    owner = make_user()
    garden, door = make_camera(owner=owner), make_camera(owner=owner)
    for back in (timedelta(hours=5, minutes=50), timedelta(hours=5, minutes=40)):
        store_recording(garden, back)  # 06:10 and 06:20: two slots of one hour
    seen = store_recording(garden, timedelta(hours=4, minutes=30))  # 07:30
    store_recording(door, timedelta(hours=5, minutes=50))
    store_recording(door, timedelta(hours=30))  # the day before: outside the window
    detect(catalog, seen["id"], "person")
    window = ("2026-11-25T00:00:00+00:00", "2026-11-26T00:00:00+00:00")
    cameras = [garden["id"], door["id"]]

    hourly = slot_counts(catalog, cameras, *window, by_hour=True)

    assert sorted(tuple(row) for row in hourly) == [
        (garden["id"], "2026-11-25T06:00", 0, 0, 0, 0, 2),
        (garden["id"], "2026-11-25T07:00", 1, 0, 0, 0, 0),
        (door["id"], "2026-11-25T06:00", 0, 0, 0, 0, 1),
    ]
    assert all(type(count) is int for row in hourly for count in row[2:])
    quarters = slot_counts(catalog, cameras, *window)
    assert sum(sum(row[2:]) for row in quarters) == sum(sum(row[2:]) for row in hourly) == 4


@pytest.mark.both_engines
def test_rollup_follows_retention_by_days_and_by_quota(
    catalog, settings, make_user, make_camera, store_recording
):
    mb = 1024 * 1024
    settings.schedule.retention_days = 30
    settings.storage.default_quota_mb = 2
    owner = make_user()
    garden, door = make_camera(owner=owner), make_camera(owner=owner)
    set_camera_retention(catalog, door["id"], 7)
    old = store_recording(garden, timedelta(days=31), size=mb)
    detect(catalog, old["id"], "person")
    detect(catalog, store_recording(door, timedelta(days=8), size=mb)["id"], "animal")
    for days in (6, 5, 4):
        detect(catalog, store_recording(garden, timedelta(days=days), size=mb)["id"], "vehicle")
    store_recording(door, timedelta(days=3), size=mb // 2)

    assert retention_by_days(catalog, settings, NOW)["deleted"] == 2
    assert_rollup_matches_a_recount(catalog)
    assert retention_by_quota(catalog, settings, NOW)["deleted"] == 2
    assert_rollup_matches_a_recount(catalog)
    slots, counts = stored(catalog)
    assert counts == {(garden["id"], "vehicle"): 1}
    assert sum(sum(figures) for figures in slots.values()) == 2


@pytest.mark.both_engines
def test_rollup_follows_camera_and_account_removal(
    catalog, settings, clips, make_user, make_camera, store_recording
):
    owner, other = make_user(), make_user()
    garden, door = make_camera(owner=owner), make_camera(owner=owner)
    others_camera = make_camera(owner=other)
    for camera in (garden, door, others_camera):
        detect(catalog, store_recording(camera, timedelta(days=1))["id"], "person")

    remove_camera(catalog, clips, settings.storage, door)
    assert {camera_id for camera_id, _ in stored(catalog)[0]} == {
        garden["id"],
        others_camera["id"],
    }
    assert_rollup_matches_a_recount(catalog)

    remove_account(catalog, clips, settings.storage, owner["id"])
    assert stored(catalog) == (
        {(others_camera["id"], "2026-11-24T12:00"): (1, 0, 0, 0, 0)},
        {(others_camera["id"], "person"): 1},
    )
    assert_rollup_matches_a_recount(catalog)


@pytest.mark.both_engines
def test_rollup_follows_recordings_refiled_in_the_cameras_zone(
    catalog, settings, make_camera, store_recording
):
    camera = make_camera()
    refiled = store_recording(camera, timedelta(hours=5, minutes=50))  # 06:10 UTC
    store_recording(camera, timedelta(hours=5))
    with atomic(catalog):
        catalog.execute(
            "UPDATE recordings SET original_name = 'A20261125_061000.mp4' WHERE id = ?",
            [refiled["id"]],
        )
    # The name's 06:10 was Kolkata's (+05:30): the recording started at 00:40 UTC.
    set_file_timezone(catalog, camera["id"], "Asia/Kolkata", settings.pipeline.timestamp_patterns)

    assert stored(catalog)[0] == {
        (camera["id"], "2026-11-25T00:30"): (0, 0, 0, 0, 1),
        (camera["id"], "2026-11-25T07:00"): (0, 0, 0, 0, 1),
    }
    assert_rollup_matches_a_recount(catalog)


@pytest.mark.both_engines
def test_check_totals_and_upkeep_repair_a_drifted_rollup(
    catalog, settings, make_user, make_camera, store_recording
):
    owner = make_user()
    garden, door = make_camera(owner=owner), make_camera(owner=owner)
    detect(catalog, store_recording(garden, timedelta(days=1))["id"], "animal")
    store_recording(door, timedelta(hours=2))

    def drift() -> None:
        with atomic(catalog):
            catalog.execute(
                "UPDATE camera_activity SET person = 7 WHERE camera_id = ?", [door["id"]]
            )
            catalog.execute("DELETE FROM camera_labels WHERE camera_id = ?", [garden["id"]])

    drift()
    found = check_totals(catalog, repair=False)
    assert {(item["kind"], item["id"]) for item in found["drift"]} == {
        ("activity", door["id"]),
        ("labels", garden["id"]),
    }
    assert found["activity"] == 1 and found["labels"] == 1
    assert stored(catalog) != recount(catalog)  # a dry run changes nothing

    assert check_totals(catalog, repair=True)["activity"] == 1
    assert_rollup_matches_a_recount(catalog)
    # The filter finds the animal again once its camera's count is back.
    animals = search_recordings(catalog, RecordingFilter(owner_id=owner["id"], label="animal"))
    assert len(animals.rows) == 1

    drift()
    assert database_upkeep(catalog, settings, NOW)["activity_repaired"] == 2
    assert_rollup_matches_a_recount(catalog)
    assert database_upkeep(catalog, settings, NOW)["activity_repaired"] == 0


@pytest.mark.both_engines
def test_label_filter_finds_the_same_recordings_skipping_cameras_without_the_label(
    catalog, clips, make_user, make_camera, store_recording
):
    owner = make_user()
    garden, door, porch = (make_camera(owner=owner) for _ in range(3))
    animals = []
    for hours in range(1, 7):
        recording = store_recording(garden, timedelta(hours=hours))
        if hours % 2:
            detect(catalog, recording["id"], "animal")
            animals.append(recording["id"])
        detect(catalog, store_recording(door, timedelta(hours=hours))["id"], "person")
    store_recording(porch, timedelta(hours=1))
    label = RecordingFilter(owner_id=owner["id"], label="animal")

    first = search_recordings(catalog, label, limit=2)
    rest = search_recordings(catalog, label, after=first.next_cursor, limit=2)
    assert [row["id"] for row in first.rows + rest.rows] == animals
    assert rest.next_cursor is None
    assert (
        search_recordings(catalog, RecordingFilter(owner_id=owner["id"], label="vehicle")).rows
        == []
    )

    remove_recordings(catalog, clips, recording_rows(catalog, *({"id": i} for i in animals)))
    assert search_recordings(catalog, label).rows == []
    assert_rollup_matches_a_recount(catalog)


def test_upgrade_fills_the_rollup_from_existing_recordings_and_labels(tmp_path):
    path = tmp_path / "old.db"
    old = open_catalog_as_of(path, 111)
    with atomic(old):
        old.execute(
            "INSERT INTO users (id, email, password_hash, created_at)"
            " VALUES (1, 'u1@example.org', 'x', '2026-01-01')"
        )
        for camera_id in (10, 11):
            old.execute(
                "INSERT INTO cameras (id, owner_id, name, model, username, password_hash,"
                " created_at) VALUES (?, 1, 'c', 'IN-8015', ?, 'x', '2026-01-01')",
                [camera_id, f"cam{camera_id}"],
            )
        for number, (camera_id, minute, labels) in enumerate(
            [(10, 5, ("person", "vehicle")), (10, 14, ()), (10, 15, ("animal",)), (11, 59, ())]
        ):
            started_at = catalog_time(NOW.replace(minute=minute))
            old.execute(
                "INSERT INTO recordings (id, camera_id, job_id, started_at, received_at,"
                " duration_s, width, height, fps, frame_count, codec, container, size_bytes,"
                " path, created_at) VALUES (?, ?, ?, ?, ?, 18, 1280, 720, 15, 270, 'h264',"
                " 'mp4', 100, 'x.mp4', '2026-01-01')",
                [number + 1, camera_id, f"job{number}", started_at, started_at],
            )
            for label in labels:
                old.execute(
                    "INSERT INTO recording_labels (recording_id, label, best_score, first_s,"
                    " last_s) VALUES (?, ?, 0.9, 1, 4)",
                    [number + 1, label],
                )
    old.close()

    upgraded = open_catalog(path)

    assert stored(upgraded) == (
        {
            (10, "2026-11-25T12:00"): (1, 0, 0, 0, 1),
            (10, "2026-11-25T12:15"): (0, 0, 1, 0, 0),
            (11, "2026-11-25T12:45"): (0, 0, 0, 0, 1),
        },
        {(10, "person"): 1, (10, "vehicle"): 1, (10, "animal"): 1},
    )
    assert_rollup_matches_a_recount(upgraded)
    upgraded.close()
