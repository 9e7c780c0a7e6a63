from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core import spool
from core.catalog import utcnow


@pytest.fixture
def spool_upload(settings, tmp_path):
    """Hand a file to the spool the way ingestd does; returns the upload folder."""
    spool.ensure_spool(settings.storage.spool_dir)
    jail = settings.storage.uploads_dir / "jail"
    jail.mkdir(parents=True, exist_ok=True)

    def _spool(source: Path, camera: dict, name: str = "A20261125_130000.mp4") -> Path:
        staged = jail / name
        shutil.copyfile(source, staged)
        meta = spool.UploadMeta(
            upload_id=spool.new_upload_id(),
            camera_id=camera["id"],
            username=camera["username"],
            protocol="ftp",
            remote_addr="127.0.0.0/24",
            original_name=name,
            original_path=name,
            size_bytes=staged.stat().st_size,
            started_at=utcnow(),
            completed_at=utcnow(),
        )
        return spool.spool_completed_upload(settings.storage.spool_dir, staged, meta)

    return _spool
