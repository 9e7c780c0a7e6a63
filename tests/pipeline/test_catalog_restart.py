"""The pipeline daemon, a real process on a PostgreSQL catalog that restarts or ends its session:
it connects again by itself, tells the outage once, and every upload (one spooled while the
server was down, one after, one cut off mid-way) is indexed once, none failed, without
restarting the pipeline.

The catalog is on a PostgreSQL server of this module alone, stopped and started by its test."""

from __future__ import annotations

import contextlib
import signal

import pytest
import tomli_w

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


# The session of whoever stores the first recording is ended by the server in mid-transaction
# (as an operator's pg_terminate_backend, a failover or the idle-in-transaction timeout would);
# the sequence counts outside the transaction, so it happens once.
CUT_OFF_FIRST_RECORDING = (
    "CREATE SEQUENCE cut_off_count",
    "CREATE FUNCTION cut_off_once() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
    " IF nextval('cut_off_count') = 1 THEN PERFORM pg_terminate_backend(pg_backend_pid());"
    " END IF; RETURN NEW; END $$",
    "CREATE TRIGGER cut_off BEFORE INSERT ON recordings FOR EACH ROW"
    " EXECUTE FUNCTION cut_off_once()",
)


@on_postgresql
def test_an_upload_cut_off_mid_way_is_taken_up_again_by_its_worker_at_once(
    settings_dict, settings, catalog, make_camera, camera_clip, spool_upload, tmp_path
):
    camera = make_camera()
    for statement in CUT_OFF_FIRST_RECORDING:
        catalog.pg.execute(statement)
    catalog.close()
    # Two index workers and the default lease (600 s): the worker that held the clip must take
    # it up again itself; another would have to wait for the lease to run out.
    settings_dict["pipeline"] |= {"workers": 2}
    config_file = tmp_path / "two-workers.toml"
    config_file.write_bytes(tomli_w.dumps(settings_dict).encode())
    log = tmp_path / "pipeline.log"
    process = start_pipeline(config_file, log)
    try:
        spool_upload(camera_clip, camera)
        wait_for(lambda: count(settings, "SELECT count(*) FROM recordings") == 1, timeout=30)
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0

    assert count(settings, "SELECT nextval('cut_off_count')") == 3  # cut off once, then stored
    assert count(settings, "SELECT count(*) FROM jobs WHERE state = 'indexed'") == 1
    assert count(settings, "SELECT count(*) FROM jobs WHERE claimed_by IS NOT NULL") == 0
    assert spool.list_incoming(settings.storage.spool_dir) == []
    text = log.read_text()
    assert text.count(f"{LOST}terminating connection due to administrator command") == 1, text
    assert text.count(BACK) == 1, text
    assert "Traceback" not in text and "ERROR" not in text, text
