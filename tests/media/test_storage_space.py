"""What the node's storage has room for (`core.storage_space`): the data folder, and the media
folder where it is another file system; a bucket has no free-space figure."""

from __future__ import annotations

import shutil

from core.storage_space import OBJECT_STORE, StorageArea, storage_spaces

MIB = 1024 * 1024


def test_the_data_folder_alone_when_the_media_are_kept_in_it(settings):
    settings.storage.data_dir.mkdir(parents=True)

    [data] = storage_spaces(settings.storage)

    assert data.area is StorageArea.DATA
    assert data.location == str(settings.storage.data_dir)
    assert data.free_bytes == shutil.disk_usage(settings.storage.data_dir).free


def test_a_media_folder_on_the_data_folders_file_system_is_not_counted_twice(settings, tmp_path):
    settings.storage.data_dir.mkdir(parents=True)
    settings.storage.media = str(tmp_path / "shared")
    (tmp_path / "shared").mkdir()

    assert [space.area for space in storage_spaces(settings.storage)] == [StorageArea.DATA]


def test_a_media_folder_on_another_file_system_is_measured_apart(settings, small_file_system):
    settings.storage.data_dir.mkdir(parents=True)
    settings.storage.media = str(small_file_system.path)

    data, media = storage_spaces(settings.storage)

    assert data.area is StorageArea.DATA and data.total_bytes != MIB
    assert media.area is StorageArea.MEDIA
    assert media.location == str(small_file_system.path)
    assert (media.total_bytes, media.free_bytes) == (MIB, MIB)
    assert media.short_of(2 * MIB) and not media.short_of(MIB // 2)


def test_a_bucket_is_an_object_store_without_a_figure(settings):
    settings.storage.data_dir.mkdir(parents=True)
    settings.storage.media = "s3://alarmvault-media/node-a"

    _, media = storage_spaces(settings.storage)

    assert media.area is StorageArea.MEDIA and media.location == "s3://alarmvault-media/node-a"
    assert media.object_store and media.note == OBJECT_STORE
    assert media.free_bytes is None and media.total_bytes is None
    assert not media.short_of(10**15)  # never refused for a number it does not have


def test_a_media_folder_that_cannot_be_read_says_so(settings, tmp_path):
    settings.storage.data_dir.mkdir(parents=True)
    settings.storage.media = str(tmp_path / "gone-mount")

    _, media = storage_spaces(settings.storage)

    assert media.free_bytes is None and not media.object_store
    assert media.note == "cannot be read: No such file or directory"
