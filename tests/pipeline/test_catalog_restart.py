"""The pipeline daemon, a real process on a PostgreSQL catalog that restarts: it connects again by
itself, tells the outage once, and every upload (one spooled while the server was down, one
after) is indexed once, none failed, without restarting the pipeline.

The catalog is on a PostgreSQL server of this module alone, stopped and started by its test."""

from __future__ import annotations

import contextlib
import signal

import pytest

from core import spool
from tests.conftest import wait_for
from tests.pipeline.test_daemon import count, start_pipeline

pytestmark = pytest.mark.postgres_of_its_own
on_postgresql = pytest.mark.parametrize("catalog_engine", ["postgresql"], indirect=True)

LOST = "pipeline: the catalog cannot be asked: "
BACK = "pipeline: the catalog answers again"


@on_postgresql
def test_the_pipeline_connects_again_after_a_catalog_restart_and_indexes_every_upload(
    own_postgres, settings, config_file, catalog, make_camera, camera_clip, spool_upload, tmp_path
):
    camera = make_camera()
    catalog.close()
    log = tmp_path / "pipeline.log"
    process = start_pipeline(config_file, log)
    try:
        spool_upload(camera_clip, camera, name="A20261125_130000.mp4")
        wait_for(lambda: count(settings, "SELECT count(*) FROM recordings") == 1, timeout=30)

        # The test server commits without waiting for its WAL (synchronous_commit off), which a
        # crash may lose; a production server's commits are on disk before they are confirmed.
        own_postgres.admin("CHECKPOINT")
        own_postgres.halt()  # every connection breaks, as when the server crashes
        try:
            spool_upload(camera_clip, camera, name="A20261125_130100.mp4")
            # Down until the pipeline met the outage (a worker tried that upload), or a while.
            with contextlib.suppress(AssertionError):
                wait_for(lambda: LOST in log.read_text(), timeout=5)
        finally:
            own_postgres.run()
        wait_for(lambda: count(settings, "SELECT count(*) FROM recordings") == 2, timeout=30)
        spool_upload(camera_clip, camera, name="A20261125_130200.mp4")
        wait_for(lambda: count(settings, "SELECT count(*) FROM recordings") == 3, timeout=30)
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0

    assert count(settings, "SELECT count(*) FROM jobs WHERE state != 'indexed'") == 0
    assert count(settings, "SELECT count(*) FROM jobs WHERE claimed_by IS NOT NULL") == 0
    assert spool.list_incoming(settings.storage.spool_dir) == []
    text = log.read_text()
    assert text.count(LOST) == 1 and text.count(BACK) == 1, text
    assert text.index(LOST) < text.index(BACK)
    assert "Traceback" not in text and "ERROR" not in text, text
