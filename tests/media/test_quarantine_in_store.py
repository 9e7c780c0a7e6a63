"""Quarantined clips wait in the media store every node shares (the folder or the bucket), so
a clip one node quarantined is accepted through another node."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import pytest

from core import spool
from core.catalog.quarantine import list_quarantined
from core.catalog.recordings import get_recording
from core.catalog.states import JobState
from core.settings import Settings
from pipeline.processor import ClipProcessor
from pipeline.quarantine import accept_quarantined
from tests.pipeline.rule_clips import OTHER_ENCODER, SMALL


@pytest.fixture
def settings_dict(settings_dict):
    settings_dict["validation"] = {"fingerprint_clips": 2}
    return settings_dict


def second_node(settings: Settings, tmp_path: Path) -> Settings:
    """Another node: its own data folder; the same catalog and media store."""
    node = settings.model_copy(deep=True)
    node.storage.data_dir = tmp_path / "node-b"
    node.storage.catalog = settings.storage.catalog_path
    node.storage.media = settings.storage.media or str(settings.storage.data_dir)
    return node


def test_a_clip_quarantined_on_one_node_is_accepted_through_another(
    store, store_kind, settings, catalog, make_camera, clip_factory, spool_upload, tmp_path
):
    camera = make_camera()
    processor = ClipProcessor(settings, catalog, "node-a:0")
    for name in ("A20261125_130000.mp4", "A20261125_130100.mp4"):
        folder = spool_upload(clip_factory(**SMALL), camera, name=name)
        assert processor.process(folder) == JobState.INDEXED
    folder = spool_upload(clip_factory(**OTHER_ENCODER), camera, name="A20261125_130200.mp4")
    assert processor.process(folder) == JobState.QUARANTINED
    [held] = list_quarantined(catalog)
    assert store.exists(f"quarantine/{held['path']}")
    if store_kind == "s3":
        assert not (settings.storage.data_dir / "quarantine").exists()  # nothing left on node A

    recording_id = accept_quarantined(catalog, second_node(settings, tmp_path), held["id"])

    recording = get_recording(catalog, recording_id)
    assert store.stat(f"recordings/{recording['path']}").size == (
        clip_factory(**OTHER_ENCODER).stat().st_size
    )
    assert list(store.list("quarantine/")) == []
    assert list_quarantined(catalog) == []
    assert not any((tmp_path / "node-b").rglob("*.mp4"))  # no working copy left on node B


def test_a_clip_quarantined_while_the_media_folder_is_full_waits_in_the_spool(
    settings, catalog, make_camera, clip_factory, spool_upload, small_file_system
):
    """The quarantine is in the shared media folder, here a real 1 MiB file system filled up:
    the quarantined clip stays in the spool (no error escapes to the worker) until there is
    room, then moves in."""
    settings.storage.media = str(small_file_system.path)
    settings.pipeline.poll_interval_s = 0.1
    camera = make_camera()
    processor = ClipProcessor(settings, catalog, "node-a:0")
    for name in ("A20261125_130000.mp4", "A20261125_130100.mp4"):
        folder = spool_upload(clip_factory(**SMALL), camera, name=name)
        assert processor.process(folder) == JobState.INDEXED
    filler = small_file_system.path / "filler"
    with filler.open("wb", buffering=0) as handle, contextlib.suppress(OSError):
        while handle.write(b"x" * 4096):
            pass  # until ENOSPC: the file system is full
    odd_clip = clip_factory(**OTHER_ENCODER)
    folder = spool_upload(odd_clip, camera, name="A20261125_130200.mp4")

    for _ in range(3):
        assert processor.process(folder) in (None, JobState.QUARANTINED)
        assert spool.clip_path(folder).read_bytes() == odd_clip.read_bytes()
        time.sleep(settings.pipeline.poll_interval_s)  # a try per rescan

    [job] = list(catalog.query("SELECT state FROM jobs WHERE original_name LIKE '%130200%'"))
    assert job["state"] == JobState.QUARANTINED
    filler.unlink()
    time.sleep(settings.pipeline.poll_interval_s)
    assert processor.process(folder) == JobState.QUARANTINED
    assert not folder.exists()
    [held] = list_quarantined(catalog)
    stored = small_file_system.path / "quarantine" / held["path"]
    assert stored.read_bytes() == odd_clip.read_bytes()
