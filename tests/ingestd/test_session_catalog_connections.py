"""ingestd keeps the same catalog connections however many camera sessions come and go: each
SFTP session runs in a thread of its own, and one that left its connection open after the
handover's check would have a busy node run PostgreSQL out of connections (SQLite out of
files), one more for every upload."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from core.catalog import Dialect, dialect_of
from core.settings import Settings
from tests.ingestd.conftest import spooled, wait_until

pytestmark = pytest.mark.both_engines


def _catalog_connections(catalog, settings: Settings) -> int:
    """Open connections to the test's catalog besides ``catalog`` itself: PostgreSQL server
    processes on its database, or this process's descriptors of the SQLite file (ingestd runs
    in the test's process)."""
    if dialect_of(catalog) is Dialect.POSTGRESQL:
        database = str(settings.storage.catalog_path).rsplit("/", 1)[1]
        return catalog.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = ? AND pid != pg_backend_pid()",
            [database],
        ).fetchone()[0]
    catalog_file = os.path.realpath(settings.storage.catalog_path)
    descriptors = Path("/proc/self/fd")
    return sum(
        1 for fd in descriptors.iterdir() if os.path.realpath(fd, strict=False) == catalog_file
    )


def test_sftp_sessions_that_come_and_go_leave_no_catalog_connection_behind(
    sftp_connect, make_camera, catalog, ingest_settings
):
    camera = make_camera()

    def one_session(name: str) -> None:
        sftp = sftp_connect(camera)
        sftp.putfo(io.BytesIO(b"\0" * 2048), name, confirm=False)
        sftp.get_channel().get_transport().close()

    one_session("first.mp4")
    assert wait_until(lambda: len(spooled(ingest_settings)) == 1)
    settled = _catalog_connections(catalog, ingest_settings)

    for number in range(5):
        one_session(f"clip{number}.mp4")
    assert wait_until(lambda: len(spooled(ingest_settings)) == 6)

    assert _catalog_connections(catalog, ingest_settings) == settled
