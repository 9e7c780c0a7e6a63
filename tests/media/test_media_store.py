"""One suite for every media store: the data folder (or a shared mount) and an S3 bucket on a
local S3-protocol server. Whole objects or none, idempotent moves, ranges, links that carry no
keys, deletion and orphan cleanup."""

from __future__ import annotations

import errno
import io
import os
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cli import main as cli_main
from core.media_store import PosixMediaStore, S3MediaStore, media_store
from core.removal import remove_orphan_media
from pipeline.scheduler.upkeep import database_upkeep
from tests.media.conftest import ACCESS_KEY, BUCKET, SECRET_KEY

CLIP = bytes(range(256)) * 4096  # 1 MiB, every byte value, so ranges are checkable


class DiesMidway(io.BytesIO):
    """A source whose reading fails after the first chunk: a node dying mid-upload."""

    def read(self, size: int = -1) -> bytes:
        if self.tell() > 0:
            raise OSError("the node died in the middle of the copy")
        return super().read(65536 if size is None or size < 0 else min(size, 65536))


def test_default_store_is_the_data_folder_layout(settings):
    store = media_store(settings.storage)
    assert isinstance(store, PosixMediaStore)
    assert (
        store.path("recordings/1/2026-01-01/a.mp4")
        == (settings.storage.recordings_dir / "1/2026-01-01/a.mp4").resolve()
    )


def test_check_config_warns_when_the_catalog_is_shared_but_the_recordings_are_not(tmp_path, capsys):
    config = tmp_path / "alarmvault.toml"
    shared_catalog = '[storage]\ncatalog = "postgresql://alarmvault@db.internal/alarmvault"\n'
    config.write_text(shared_catalog, encoding="utf-8")
    assert cli_main(["--config", str(config), "check-config", "--offline"]) == 0
    warned = capsys.readouterr().out
    assert "[storage] media is not set: recordings stay in this node's data folder" in warned

    config.write_text(shared_catalog + 'media = "/srv/alarmvault-media"\n', encoding="utf-8")
    assert cli_main(["--config", str(config), "check-config", "--offline"]) == 0
    assert "media is not set" not in capsys.readouterr().out


def test_an_s3_address_gives_a_bucket_store_with_keys_from_the_credentials(store, store_kind):
    if store_kind == "s3":
        assert isinstance(store, S3MediaStore)
        assert store.client._request_signer._credentials.access_key == ACCESS_KEY


def test_an_unknown_media_address_is_a_clear_error(settings):
    settings.storage.media = "ftp://example.org/media"
    with pytest.raises(ValueError, match="must be a folder or s3://bucket/prefix"):
        media_store(settings.storage)


def test_a_stored_clip_reads_back_whole_and_by_range(store, tmp_path):
    source = tmp_path / "clip.mp4"
    source.write_bytes(CLIP)
    store.put_file(source, "recordings/1/2026-01-01/job1.mp4")

    fetched = tmp_path / "fetched.mp4"
    store.fetch("recordings/1/2026-01-01/job1.mp4", fetched)
    assert fetched.read_bytes() == CLIP
    assert store.stat("recordings/1/2026-01-01/job1.mp4").size == len(CLIP)
    assert store.read_range("recordings/1/2026-01-01/job1.mp4", 1000, 1099) == CLIP[1000:1100]
    assert store.stat("recordings/1/2026-01-01/nothing.mp4") is None


def test_an_upload_that_dies_midway_leaves_nothing_under_the_key(store):
    with pytest.raises(OSError, match="died in the middle"):
        store.put(DiesMidway(CLIP), "recordings/1/2026-01-01/cut.mp4")

    assert store.stat("recordings/1/2026-01-01/cut.mp4") is None
    assert [item.key for item in store.list("recordings/")] == []


def test_move_in_is_idempotent_after_a_crash(store, tmp_path):
    source = tmp_path / "spooled.mp4"
    source.write_bytes(CLIP)
    store.move_in(source, "recordings/1/2026-01-01/job2.mp4")
    assert not source.exists()
    # The node died after the move, before the row: the retry finds the clip stored.
    store.move_in(source, "recordings/1/2026-01-01/job2.mp4")
    assert store.stat("recordings/1/2026-01-01/job2.mp4").size == len(CLIP)
    with pytest.raises(FileNotFoundError):
        store.move_in(tmp_path / "never.mp4", "recordings/1/2026-01-01/never.mp4")


def test_keys_cannot_leave_the_store(store):
    with pytest.raises(ValueError, match="leaves"):
        store.put(io.BytesIO(b"x"), "../outside.mp4")


def test_deleting_removes_the_objects_and_ignores_missing_ones(store):
    keys = [f"thumbs/1/2026-01-01/job{n}.poster.jpg" for n in range(3)]
    for key in keys:
        store.put(io.BytesIO(b"jpeg"), key)
    store.delete([*keys[:2], "thumbs/1/2026-01-01/gone.jpg"])
    assert [item.key for item in store.list("thumbs/")] == [keys[2]]


def test_playback_is_a_short_lived_link_without_the_keys_or_a_local_file(
    store, store_kind, tmp_path
):
    source = tmp_path / "clip.mp4"
    source.write_bytes(CLIP)
    store.put_file(source, "recordings/1/2026-01-01/job3.mp4")

    url = store.playback_url(
        "recordings/1/2026-01-01/job3.mp4", content_type="video/mp4", filename="job3.mp4"
    )

    if store_kind == "posix":
        assert url is None  # the web node streams it with range requests
        assert store.local_path("recordings/1/2026-01-01/job3.mp4").read_bytes() == CLIP
        return
    assert SECRET_KEY not in url
    assert "Expires=300" in url or "X-Amz-Expires=300" in url
    request = urllib.request.Request(url, headers={"Range": "bytes=0-99"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 206
        assert response.headers["Content-Type"] == "video/mp4"
        assert response.read() == CLIP[:100]


def test_orphans_older_than_the_grace_period_are_removed(
    store, catalog, make_camera, index_recording_row
):
    camera = make_camera()
    recording_id = index_recording_row(camera)
    path = catalog.execute("SELECT path FROM recordings WHERE id = ?", [recording_id]).fetchone()[0]
    stem = path.split(".", 1)[0]
    owned = [f"recordings/{path}", f"thumbs/{stem}.poster.jpg", f"thumbs/{stem}.plate0.jpg"]
    orphaned = [
        f"recordings/{camera['id']}/x/died-before-commit.mp4",
        f"thumbs/{camera['id']}/x/died-before-commit.poster.jpg",
    ]
    for key in owned + orphaned:
        store.put(io.BytesIO(b"data"), key)

    now = time.time()
    # Everything is younger than the grace period: a row may be on its way.
    assert remove_orphan_media(catalog, store, now, grace_s=3600) == 0
    assert remove_orphan_media(catalog, store, now + 7200, grace_s=3600) == 2

    assert sorted(item.key for area in ("recordings/", "thumbs/") for item in store.list(area)) == (
        sorted(owned)
    )


def test_a_move_onto_another_mount_copies_aside_then_renames(tmp_path, monkeypatch):
    """A shared media folder on NFS is another file system than the spool: rename fails with
    EXDEV, and the clip is copied aside, synced, renamed into place and only then removed."""
    source = tmp_path / "spool" / "clip.mp4"
    source.parent.mkdir()
    source.write_bytes(CLIP)
    store = PosixMediaStore(tmp_path / "shared")
    real_replace = os.replace

    def across_mounts(src, dst):
        if Path(src) == source:
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        real_replace(src, dst)

    monkeypatch.setattr("core.media_store.os.replace", across_mounts)
    store.move_in(source, "recordings/1/2026-01-01/job.mp4")

    assert not source.exists()
    assert store.path("recordings/1/2026-01-01/job.mp4").read_bytes() == CLIP
    assert [item.key for item in store.list()] == ["recordings/1/2026-01-01/job.mp4"]


def test_upkeep_removes_what_a_dead_node_left_in_a_shared_store(
    store, store_kind, settings, catalog, make_camera, tmp_path
):
    if store_kind == "posix":
        settings.storage.media = str(tmp_path / "shared")  # an NFS mount is just a path
        store = media_store(settings.storage)
    camera = make_camera()
    key = f"recordings/{camera['id']}/2026-01-01/node-died.mp4"
    store.put(io.BytesIO(b"data"), key)

    assert database_upkeep(catalog, settings, datetime.now(UTC))["media_orphans"] == 0
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    assert database_upkeep(catalog, settings, tomorrow)["media_orphans"] == 1
    assert store.stat(key) is None


def test_upkeep_leaves_the_data_folder_to_the_nodes_own_retries(settings, catalog, make_camera):
    camera = make_camera()
    stray = settings.storage.recordings_dir / str(camera["id"]) / "2026-01-01" / "spooled.mp4"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"data")
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    assert database_upkeep(catalog, settings, tomorrow)["media_orphans"] == 0
    assert stray.exists()


def left_behind(root: Path, camera_id: int, modified: float) -> list[Path]:
    """What copies a node died in the middle of leave in each media area under ``root``: a
    store copy (``.partial-<pid>``), a playback copy (``.partial``), a poster (``.tmp``) and a
    quarantined clip, last changed at ``modified``."""
    partials = [
        root / f"recordings/{camera_id}/2026-11-25/job.mp4.partial-4242",
        root / f"recordings/{camera_id}/2026-11-25/job.playback.mp4.partial",
        root / f"thumbs/{camera_id}/2026-11-25/job.poster.tmp",
        root / f"quarantine/{camera_id}/held.mp4.partial-4242",
    ]
    for path in partials:
        made_at(path, modified)
    return partials


def made_at(path: Path, modified: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"half a clip")
    os.utime(path, (modified, modified))
    return path


def test_upkeep_removes_old_partial_files_and_keeps_fresh_and_whole_ones(
    store, store_kind, settings, catalog
):
    """The data folder (the store's own areas), or beside a bucket this node's working copies."""
    now = datetime.now(UTC)
    two_hours_ago = (now - timedelta(hours=2)).timestamp()
    data = settings.storage.data_dir
    old = left_behind(data, 7, two_hours_ago)
    live = made_at(data / "recordings/7/2026-11-25/live.mp4.partial-999", now.timestamp())
    whole = [
        made_at(data / "recordings/7/2026-11-25/job.mp4", two_hours_ago),
        made_at(data / "thumbs/7/2026-11-25/job.poster.jpg", two_hours_ago),
    ]
    # A camera's upload jail is ingestd's: a file named like a partial there is not the store's.
    uploaded = made_at(data / "uploads/cam7/clip.mp4.partial-1", two_hours_ago)

    summary = database_upkeep(catalog, settings, now)

    assert [path for path in old if path.exists()] == []
    assert live.exists() and uploaded.exists() and all(path.exists() for path in whole)
    assert summary["partial_files"] == len(old)


def test_upkeep_removes_partial_files_from_a_shared_folder_and_the_nodes_old_quarantine(
    settings, catalog, tmp_path
):
    settings.storage.media = str(tmp_path / "shared")
    now = datetime.now(UTC)
    two_hours_ago = (now - timedelta(hours=2)).timestamp()
    old = [
        *left_behind(tmp_path / "shared", 7, two_hours_ago),
        made_at(settings.storage.data_dir / "quarantine/7/kept-here.mp4.partial-5", two_hours_ago),
    ]
    # Younger than the orphan grace period: kept whether or not a row owns it.
    whole = made_at(tmp_path / "shared/recordings/7/2026-11-25/job.mp4", two_hours_ago)
    an_hour_later = now + timedelta(hours=1)
    live = made_at(
        tmp_path / "shared/thumbs/7/2026-11-25/job.plate0.jpg.tmp", an_hour_later.timestamp()
    )

    summary = database_upkeep(catalog, settings, an_hour_later)

    assert [path for path in old if path.exists()] == []
    assert live.exists() and whole.exists()
    assert summary["partial_files"] == len(old)


@pytest.mark.parametrize("store_kind", ["s3"])
def test_upkeep_aborts_unfinished_uploads_under_the_stores_areas_only(store, settings, catalog):
    client = store.client
    ours = [
        f"{store.prefix}recordings/7/2026-11-25/died.mp4",
        f"{store.prefix}quarantine/7/died.mp4",
    ]
    others = [
        f"{store.prefix.rstrip('/')}-other/recordings/7/2026-11-25/died.mp4",  # a neighbour
        f"{store.prefix}backup/catalog.tar",  # not a media area
    ]
    for key in ours + others:
        upload = client.create_multipart_upload(Bucket=BUCKET, Key=key)
        client.upload_part(
            Bucket=BUCKET, Key=key, UploadId=upload["UploadId"], PartNumber=1, Body=b"part"
        )

    def unfinished() -> set[str]:
        return {
            upload["Key"]
            for upload in client.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])
        }

    # moto reports every upload as begun at 2010-11-10T20:48:33Z, so none can be made fresh;
    # a fresh one is one begun after the cutoff: here a cutoff just before that moment.
    before_motos_date = datetime(2010, 11, 10, 20, 48, tzinfo=UTC).timestamp()
    for area in ("recordings/", "quarantine/"):
        assert store.abort_unfinished_uploads(area, before_motos_date) == 0
    assert set(ours) <= unfinished()

    summary = database_upkeep(catalog, settings, datetime.now(UTC))

    assert not set(ours) & unfinished()
    assert set(others) <= unfinished()
    assert summary["uploads_aborted"] == len(ours)
