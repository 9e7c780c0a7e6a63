"""Quarantined clips wait in the media store every node shares (the folder or the bucket), so
a clip one node quarantined is accepted through another node."""

from __future__ import annotations

from pathlib import Path

import pytest

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
