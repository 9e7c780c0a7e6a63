"""Fingerprint stage on real files: a clip from other encoder settings after the fingerprint
was learned is quarantined; its owner accepts (fingerprint widened, clip indexed) or discards
it, or it expires."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.catalog import NotFound, jobs
from core.catalog.fingerprints import get_fingerprint
from core.catalog.quarantine import list_quarantined
from core.catalog.recordings import list_recordings
from core.catalog.rejections import list_rejections
from core.catalog.states import JobState
from core.clipstore import ClipStore
from core.settings import Settings, settings_from_dict
from pipeline.daemon import PipelineDaemon
from pipeline.processor import ClipProcessor
from pipeline.quarantine import accept_quarantined, discard_quarantined, expire_quarantine
from tests.pipeline.rule_clips import OTHER_ENCODER, SMALL


@pytest.fixture
def settings_dict(settings_dict):
    settings_dict["validation"] = {"fingerprint_clips": 2, "quarantine_expiry_h": 24}
    return settings_dict


@pytest.fixture
def learned_camera(settings, catalog, make_camera, clip_factory, spool_upload):
    """A camera whose fingerprint was learned from two genuine clips."""
    camera = make_camera()
    processor = ClipProcessor(settings, catalog, "test:0")
    for name in ("A20261125_130000.mp4", "A20261125_130100.mp4"):
        assert processor.process(spool_upload(clip_factory(**SMALL), camera, name=name)) == (
            JobState.INDEXED
        )
    assert get_fingerprint(catalog, camera["id"]).samples == 2
    return camera


def quarantine_one(settings, catalog, camera, clip_factory, spool_upload, name="A2.mp4"):
    folder = spool_upload(clip_factory(**OTHER_ENCODER), camera, name=name)
    assert ClipProcessor(settings, catalog, "test:0").process(folder) == JobState.QUARANTINED
    assert not folder.exists()
    return folder.name


def test_clip_from_a_second_encoder_setting_is_quarantined_not_deleted(
    settings, catalog, learned_camera, clip_factory, spool_upload
):
    job_id = quarantine_one(settings, catalog, learned_camera, clip_factory, spool_upload)

    job = jobs.get_job(catalog, job_id)
    assert (job["state"], job["reason"]) == ("quarantined", "fingerprint_mismatch")
    [held] = list_quarantined(catalog)
    assert held["job_id"] == job_id
    assert any(m.startswith("profile 'Constrained Baseline'") for m in held["mismatches"])
    assert any(m.startswith("gop_frames 20") for m in held["mismatches"])
    assert ClipStore(settings.storage).quarantine_file(held["path"]).read_bytes() == (
        clip_factory(**OTHER_ENCODER).read_bytes()
    )
    assert len(list_recordings(catalog)) == 2
    assert list_rejections(catalog) == []


def test_accepting_indexes_the_clip_and_teaches_the_fingerprint(
    settings, catalog, learned_camera, clip_factory, spool_upload
):
    quarantine_one(settings, catalog, learned_camera, clip_factory, spool_upload)
    [held] = list_quarantined(catalog)

    recording_id = accept_quarantined(catalog, settings, held["id"])

    assert list_quarantined(catalog) == []
    assert recording_id in [r["id"] for r in list_recordings(catalog)]
    assert not ClipStore(settings.storage).quarantine_file(held["path"]).exists()
    assert (
        "Constrained Baseline" in get_fingerprint(catalog, learned_camera["id"]).values["profile"]
    )
    # The camera's new settings now pass.
    folder = spool_upload(clip_factory(**OTHER_ENCODER), learned_camera, name="A3.mp4")
    assert ClipProcessor(settings, catalog, "test:0").process(folder) == JobState.INDEXED


def test_accept_is_refused_for_another_owners_clip(
    settings, catalog, learned_camera, clip_factory, spool_upload, make_user
):
    quarantine_one(settings, catalog, learned_camera, clip_factory, spool_upload)
    [held] = list_quarantined(catalog)
    with pytest.raises(NotFound):
        accept_quarantined(catalog, settings, held["id"], owner_id=make_user()["id"])


def test_discarding_deletes_the_clip_and_keeps_a_rejection_row(
    settings, catalog, learned_camera, clip_factory, spool_upload
):
    job_id = quarantine_one(settings, catalog, learned_camera, clip_factory, spool_upload)
    [held] = list_quarantined(catalog)
    store = ClipStore(settings.storage)

    discard_quarantined(catalog, store, held["id"])

    assert not store.quarantine_file(held["path"]).exists()
    [rejection] = list_rejections(catalog)
    assert (rejection["job_id"], rejection["reason"]) == (job_id, "fingerprint_mismatch")
    assert "discarded by its owner" in rejection["detail"]
    assert jobs.get_job(catalog, job_id)["state"] == JobState.REJECTED


def test_quarantine_expires_after_the_setting_and_not_before(
    settings, catalog, learned_camera, clip_factory, spool_upload
):
    job_id = quarantine_one(settings, catalog, learned_camera, clip_factory, spool_upload)
    store = ClipStore(settings.storage)
    now = datetime.now(UTC)

    assert expire_quarantine(catalog, store, now + timedelta(hours=23)) == []
    assert expire_quarantine(catalog, store, now + timedelta(hours=24, seconds=5)) == [job_id]

    assert list_quarantined(catalog) == []
    [rejection] = list_rejections(catalog)
    assert rejection["reason"] == "fingerprint_mismatch"
    assert "in time" in rejection["detail"]
    assert not any((settings.storage.data_dir / "quarantine").rglob("*.mp4"))


def test_crash_between_quarantine_commit_and_move_is_finished_on_retry(
    settings, catalog, learned_camera, clip_factory, spool_upload, monkeypatch
):
    folder = spool_upload(clip_factory(**OTHER_ENCODER), learned_camera, name="A4.mp4")
    processor = ClipProcessor(settings, catalog, "test:0")

    def crash(*args, **kwargs):
        raise RuntimeError("simulated crash before the move")

    monkeypatch.setattr(processor, "_finish_quarantine", crash)
    assert processor.process(folder) is None
    monkeypatch.undo()
    assert folder.exists()

    assert ClipProcessor(settings, catalog, "test:1").process(folder) == JobState.QUARANTINED
    assert not folder.exists()
    [held] = list_quarantined(catalog)
    assert ClipStore(settings.storage).quarantine_file(held["path"]).exists()


def other_node(settings: Settings, tmp_path: Path) -> Settings:
    """A second node: its own data folder, the same catalog and media root as ``settings``."""
    media = tmp_path / "shared-media"
    return settings_from_dict(
        {
            "storage": {
                "data_dir": str(tmp_path / "node-b"),
                "catalog": str(settings.storage.catalog_path),
                "media": str(media),
            },
            "validation": {"fingerprint_clips": 2},
        },
        tmp_path,
    )


@pytest.fixture
def shared_media_settings(settings_dict, tmp_path):
    """Node A: its own data folder (spool), recordings on a media root every node shares."""
    settings_dict["storage"]["media"] = str(tmp_path / "shared-media")
    return settings_dict


def test_a_clip_quarantined_on_one_node_is_accepted_on_another(
    shared_media_settings, settings, catalog, learned_camera, clip_factory, spool_upload, tmp_path
):
    quarantine_one(settings, catalog, learned_camera, clip_factory, spool_upload)
    [held] = list_quarantined(catalog)
    assert (tmp_path / "shared-media" / "quarantine" / held["path"]).is_file()
    assert not (settings.storage.data_dir / "quarantine").exists()

    node_b = other_node(settings, tmp_path)
    recording_id = accept_quarantined(catalog, node_b, held["id"])

    [recording] = [r for r in list_recordings(catalog) if r["id"] == recording_id]
    stored = tmp_path / "shared-media" / "recordings" / recording["path"]
    assert stored.read_bytes() == clip_factory(**OTHER_ENCODER).read_bytes()
    assert list_quarantined(catalog) == []
    assert not any((tmp_path / "shared-media" / "quarantine").rglob("*.mp4"))
    assert jobs.get_job(catalog, held["job_id"])["claimed_by"] is None


def test_a_clip_an_older_version_quarantined_in_the_node_folder_moves_to_the_media_root(
    shared_media_settings, settings, catalog, learned_camera, clip_factory, spool_upload, tmp_path
):
    quarantine_one(settings, catalog, learned_camera, clip_factory, spool_upload)
    [held] = list_quarantined(catalog)
    # Where the clip was kept before this version: the data folder of the node that got it.
    old_place = settings.storage.data_dir / "quarantine" / held["path"]
    old_place.parent.mkdir(parents=True)
    (tmp_path / "shared-media" / "quarantine" / held["path"]).rename(old_place)

    PipelineDaemon(settings).start_spool()  # node A's pipeline starts after the upgrade

    assert not old_place.exists()
    assert (tmp_path / "shared-media" / "quarantine" / held["path"]).is_file()
    recording_id = accept_quarantined(catalog, other_node(settings, tmp_path), held["id"])
    assert recording_id in [r["id"] for r in list_recordings(catalog)]
    assert list_quarantined(catalog) == []
