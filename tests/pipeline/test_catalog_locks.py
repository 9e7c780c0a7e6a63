"""The catalog shared by three processes: a long reader or a brief exclusive lock (a backup,
an admin's sqlite3 shell) delays clips but never loses one. The long reader runs on both
engines (`ALARMVAULT_TEST_CATALOG=postgresql`); the exclusive lock is SQLite's file lock."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from core.catalog import open_catalog, read_snapshot
from core.catalog.recordings import list_recordings
from core.catalog.states import JobState
from pipeline.processor import ClipProcessor


def test_clip_is_indexed_while_a_reader_holds_a_long_read_transaction(
    settings, catalog, make_camera, camera_clip, spool_upload
):
    camera = make_camera()
    reader = open_catalog(settings.storage.catalog_path, migrate=False)  # another process's
    try:
        with read_snapshot(reader):
            assert reader.execute("SELECT count(*) FROM recordings").fetchone()[0] == 0
            folder = spool_upload(camera_clip, camera)
            assert ClipProcessor(settings, catalog, "test:0").process(folder) == JobState.INDEXED
            # The reader still sees its snapshot; a new read sees the clip.
            assert reader.execute("SELECT count(*) FROM recordings").fetchone()[0] == 0
    finally:
        reader.close()
    assert len(list_recordings(catalog)) == 1


@pytest.mark.sqlite_only(
    reason="BEGIN EXCLUSIVE (an admin's sqlite3 shell, a file copy) locks the SQLite file"
    " itself, readers included"
)
def test_clip_waits_for_an_exclusive_lock_and_is_indexed_once_it_is_released(
    settings, catalog, make_camera, camera_clip, spool_upload
):
    camera = make_camera()
    folder = spool_upload(camera_clip, camera)
    locker = sqlite3.connect(
        settings.storage.catalog_path, isolation_level=None, check_same_thread=False
    )
    locker.execute("BEGIN EXCLUSIVE")
    released = threading.Event()

    def release_later() -> None:
        time.sleep(1.5)
        locker.execute("COMMIT")
        locker.close()
        released.set()

    thread = threading.Thread(target=release_later)
    thread.start()
    started = time.monotonic()
    state = ClipProcessor(settings, catalog, "test:0").process(folder)
    thread.join()
    assert released.is_set()
    assert time.monotonic() - started >= 1.0  # it waited rather than failing
    assert state == JobState.INDEXED
    assert len(list_recordings(catalog)) == 1
