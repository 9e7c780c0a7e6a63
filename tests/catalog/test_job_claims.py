"""Job claims with leases, and scheduled jobs, when several workers (nodes) share a catalog.

Every claimer has its own connection, as workers on different nodes do; on PostgreSQL they
really run side by side.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from core.catalog import Dialect, atomic, open_catalog
from core.catalog.errors import ClaimLost
from core.catalog.jobs import (
    advance_job,
    claim_job,
    claim_next_job,
    get_job,
    register_job,
    release_job,
    renew_leases,
)
from core.catalog.states import JobState
from pipeline.daemon import PipelineDaemon
from pipeline.leases import LeaseHeartbeat
from pipeline.scheduler.job_table import ScheduledJob
from pipeline.scheduler.runner import run_scheduled_job
from tests.conftest import wait_for

pytestmark = pytest.mark.both_engines


def _jobs(catalog, camera, count: int, state: JobState = JobState.ANALYSING) -> list[str]:
    ids = [f"job-{number:03d}" for number in range(count)]
    for job_id in ids:
        register_job(catalog, {"upload_id": job_id, "camera_id": camera["id"]})
        catalog.execute("UPDATE jobs SET state = ? WHERE id = ?", [state, job_id])
    return ids


def _on_own_connections(settings, count: int, work):
    """``work(db, number)`` in ``count`` threads at once, each on its own catalog connection."""
    start = threading.Barrier(count)

    def run(number: int):
        db = open_catalog(settings.storage.catalog_path, migrate=False)
        try:
            start.wait()
            return work(db, number)
        finally:
            db.close()

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def test_two_workers_claiming_one_job_at_once_one_wins(catalog, settings, make_camera):
    [job_id] = _jobs(catalog, make_camera(), 1)
    won = _on_own_connections(settings, 8, lambda db, n: claim_job(db, job_id, f"node{n}:1"))
    assert won.count(True) == 1
    assert get_job(catalog, job_id)["claimed_by"] == f"node{won.index(True)}:1"


def test_a_live_lease_keeps_the_job_and_an_expired_one_gives_it_over(catalog, make_camera):
    [job_id] = _jobs(catalog, make_camera(), 1)
    assert claim_job(catalog, job_id, "node-a:1", lease_s=600)
    assert not claim_job(catalog, job_id, "node-b:1")

    # node-a dies; its lease runs out (here: it was taken already expired).
    release_job(catalog, job_id)
    assert claim_job(catalog, job_id, "node-a:1", lease_s=-1)
    assert claim_job(catalog, job_id, "node-b:1")
    assert get_job(catalog, job_id)["claimed_by"] == "node-b:1"

    # node-a comes back: it may neither extend nor give back what is node-b's now.
    assert renew_leases(catalog, ["node-a:1"]) == 0
    release_job(catalog, job_id, "node-a:1")
    assert get_job(catalog, job_id)["claimed_by"] == "node-b:1"
    assert renew_leases(catalog, ["node-b:1"]) == 1


def test_concurrent_claimers_take_every_waiting_job_exactly_once(catalog, settings, make_camera):
    ids = _jobs(catalog, make_camera(), 40)
    _jobs_of_another_state = _jobs(catalog, make_camera(), 0)

    def drain(db, number: int) -> list[str]:
        taken = []
        while (job := claim_next_job(db, f"node{number}:1", JobState.ANALYSING)) is not None:
            taken.append(job["id"])
            db.execute("UPDATE jobs SET state = ? WHERE id = ?", [JobState.ANALYSED, job["id"]])
        return taken

    taken = [
        job_id for per_worker in _on_own_connections(settings, 8, drain) for job_id in per_worker
    ]
    assert Counter(taken) == Counter(ids)  # each job once, none left out
    assert _jobs_of_another_state == []


def test_the_next_job_is_the_longest_waiting_one_nobody_holds(catalog, make_camera):
    first, second, third = _jobs(catalog, make_camera(), 3)
    for number, job_id in enumerate((first, second, third)):
        catalog.execute(
            "UPDATE jobs SET updated_at = ? WHERE id = ?",
            [f"2026-01-0{number + 1}T00:00:00+00:00", job_id],
        )
    assert claim_job(catalog, first, "node-a:1")
    job = claim_next_job(catalog, "node-b:1", JobState.ANALYSING)
    assert job["id"] == second and job["claimed_by"] == "node-b:1" and job["lease_until"]
    assert claim_next_job(catalog, "node-b:2", JobState.INDEXED) is None


def test_a_worker_whose_lease_ran_out_cannot_complete_the_job_another_took_over(
    catalog, make_camera
):
    [job_id] = _jobs(catalog, make_camera(), 1, JobState.RECEIVED)
    assert claim_next_job(catalog, "node-a:1", JobState.RECEIVED, lease_s=-1)["id"] == job_id
    # node-a stalls past its lease; node-b takes the job over and is still working on it.
    assert claim_next_job(catalog, "node-b:1", JobState.RECEIVED)["id"] == job_id

    with pytest.raises(ClaimLost):
        advance_job(catalog, job_id, JobState.VALIDATED, probe={"from": "a"}, holder="node-a:1")
    assert get_job(catalog, job_id)["state"] == JobState.RECEIVED

    advance_job(catalog, job_id, JobState.VALIDATED, holder="node-b:1")
    assert get_job(catalog, job_id)["state"] == JobState.VALIDATED


def test_a_lost_claim_rolls_back_what_the_worker_wrote_with_its_result(catalog, make_camera):
    camera = make_camera()
    [job_id] = _jobs(catalog, camera, 1, JobState.RECEIVED)
    assert claim_job(catalog, job_id, "node-a:1", lease_s=-1)
    assert claim_job(catalog, job_id, "node-b:1")

    with pytest.raises(ClaimLost), atomic(catalog):
        catalog.execute("UPDATE cameras SET name = ? WHERE id = ?", ["late write", camera["id"]])
        advance_job(catalog, job_id, JobState.VALIDATED, holder="node-a:1")

    (name,) = catalog.execute("SELECT name FROM cameras WHERE id = ?", [camera["id"]]).fetchone()
    assert name == camera["name"]
    assert get_job(catalog, job_id)["state"] == JobState.RECEIVED


def test_a_job_completed_alone_waits_for_a_writer_that_holds_the_catalog(
    catalog, settings, make_camera
):
    # advance_job outside a transaction is one statement on PostgreSQL that takes the writer
    # lock itself: it must still wait for a write transaction in progress, as atomic() would.
    camera = make_camera()
    [job_id] = _jobs(catalog, camera, 1, JobState.RECEIVED)
    assert claim_job(catalog, job_id, "node-a:1")
    other = open_catalog(settings.storage.catalog_path, migrate=False)
    finished = threading.Event()

    def complete():
        advance_job(other, job_id, JobState.VALIDATED, holder="node-a:1")
        finished.set()

    try:
        with atomic(catalog):  # a write elsewhere: only the writer lock orders the two
            catalog.execute("UPDATE cameras SET name = ? WHERE id = ?", ["writer", camera["id"]])
            worker = threading.Thread(target=complete)
            worker.start()
            assert not finished.wait(0.5)
        worker.join(10)
        assert finished.is_set()
    finally:
        other.close()
    assert get_job(catalog, job_id)["state"] == JobState.VALIDATED


@pytest.mark.parametrize("catalog_engine", [Dialect.POSTGRESQL], indirect=True, ids=str)
def test_a_burst_of_waiting_jobs_is_claimed_from_the_index_without_sorting_the_backlog(
    catalog, make_camera
):
    # Statistics taken while no job waited, then a burst: the planner believes one job waits.
    # Before m0151 it read all of them through idx_jobs_state and sorted them for each claim.
    camera = make_camera()
    catalog.execute(
        "INSERT INTO jobs (id, camera_id, state, received_at, updated_at)"
        " SELECT 'done-' || CAST(i AS TEXT), ?, 'indexed', '2026', '2026'"
        " FROM generate_series(1, 5000) AS i",
        [camera["id"]],
    )
    catalog.execute("ANALYZE jobs")
    catalog.execute(
        "INSERT INTO jobs (id, camera_id, state, received_at, updated_at)"
        " SELECT 'new-' || CAST(i AS TEXT), ?, 'received', '2026', '2026'"
        " FROM generate_series(1, 2000) AS i",
        [camera["id"]],
    )
    plan = "\n".join(
        row[0]
        for row in catalog.execute(
            "EXPLAIN SELECT id FROM jobs WHERE state = ?"
            " AND (claimed_by IS NULL OR claimed_by = ? OR lease_until < ?)"
            " ORDER BY updated_at, id LIMIT 1 FOR UPDATE SKIP LOCKED",
            [JobState.RECEIVED, "node-a:1", "2026"],
        )
    )
    assert "idx_jobs_waiting" in plan and "Sort" not in plan, plan


def _counting_job(ran: Counter, hold: threading.Event) -> ScheduledJob:
    def retention(db, settings, now):
        ran["retention"] += 1
        hold.wait(2)  # keep the job running while the other nodes try
        return {"deleted": 0}

    return ScheduledJob("retention", retention, 3600)


@pytest.mark.parametrize("catalog_engine", [Dialect.POSTGRESQL], indirect=True, ids=str)
def test_a_scheduled_job_fired_on_every_node_at_once_runs_once(catalog, settings):
    ran, hold = Counter(), threading.Event()
    job = _counting_job(ran, hold)
    now = datetime.now(UTC)
    try:
        summaries = _on_own_connections(
            settings, 4, lambda db, n: run_scheduled_job(settings, job, now)
        )
    finally:
        hold.set()
    assert ran["retention"] == 1
    assert summaries.count({"deleted": 0}) == 1 and summaries.count(None) == 3


def test_a_node_whose_turn_comes_within_the_same_interval_leaves_the_job_out(catalog, settings):
    ran, hold = Counter(), threading.Event()
    hold.set()
    job = _counting_job(ran, hold)
    now = datetime.now(UTC)
    assert run_scheduled_job(settings, job, now) == {"deleted": 0}
    assert run_scheduled_job(settings, job, now + timedelta(minutes=5)) is None
    assert ran["retention"] == 1
    # The next interval's turn runs it again, on whichever node comes first.
    assert run_scheduled_job(settings, job, now + timedelta(hours=1)) == {"deleted": 0}
    assert ran["retention"] == 2


def test_a_restarted_pipeline_releases_its_own_nodes_claims_not_another_nodes_on_its_host(
    catalog, settings, make_camera
):
    # Two pipeline nodes on one host (as in the cluster test) tell their claims apart by
    # [pipeline] node_name; the host name alone would make them one claimer.
    node_a, node_b = settings.model_copy(deep=True), settings.model_copy(deep=True)
    node_a.pipeline.node_name, node_b.pipeline.node_name = "node-a", "node-b"
    daemon_a, daemon_b = PipelineDaemon(node_a), PipelineDaemon(node_b)
    held_by_a, left_by_b = _jobs(catalog, make_camera(), 2)
    assert claim_job(catalog, held_by_a, f"{daemon_a.worker_prefix}a0")
    assert claim_job(catalog, left_by_b, f"{daemon_b.worker_prefix}a0")
    assert not claim_job(catalog, held_by_a, f"{daemon_b.worker_prefix}a0")

    daemon_b.start_catalog()  # node B's pipeline starts again after it died

    assert get_job(catalog, held_by_a)["claimed_by"] == f"{daemon_a.worker_prefix}a0"
    assert get_job(catalog, left_by_b)["claimed_by"] is None


def test_a_worker_that_lost_its_job_stores_nothing_and_the_new_holder_goes_on(catalog, make_camera):
    [job_id] = _jobs(catalog, make_camera(), 1)
    assert claim_job(catalog, job_id, "node-a:1", lease_s=-1)  # node-a paused past its lease
    assert claim_job(catalog, job_id, "node-b:1")

    # node-a resumes and writes its result: the whole transaction is rolled back.
    with pytest.raises(ClaimLost), atomic(catalog):
        catalog.execute("UPDATE jobs SET detail = 'labels of node-a' WHERE id = ?", [job_id])
        advance_job(catalog, job_id, JobState.ANALYSED, holder="node-a:1")
    job = get_job(catalog, job_id)
    assert (job["state"], job["detail"], job["claimed_by"]) == (
        JobState.ANALYSING,
        None,
        "node-b:1",
    )

    advance_job(catalog, job_id, JobState.ANALYSED, detail="labels of node-b", holder="node-b:1")
    job = get_job(catalog, job_id)
    assert (job["state"], job["detail"]) == (JobState.ANALYSED, "labels of node-b")


def test_the_heartbeat_extends_its_own_workers_leases_only(catalog, make_camera):
    held_1, held_2, taken_over, others = _jobs(catalog, make_camera(), 4)
    for job_id, worker in (
        (held_1, "node-a:1"),
        (held_2, "node-a:2"),
        (taken_over, "node-b:3"),  # was node-a:3's; its lease ran out and node-b took it
        (others, "node-b:1"),
    ):
        assert claim_job(catalog, job_id, worker, lease_s=60)

    assert renew_leases(catalog, ["node-a:1", "node-a:2", "node-a:3"], lease_s=600) == 2

    def lease_left_s(job_id: str) -> float:
        until = datetime.fromisoformat(get_job(catalog, job_id)["lease_until"])
        return (until - datetime.now(UTC)).total_seconds()

    assert lease_left_s(held_1) > 500 and lease_left_s(held_2) > 500
    assert lease_left_s(taken_over) < 61 and lease_left_s(others) < 61
    assert get_job(catalog, taken_over)["claimed_by"] == "node-b:3"
    assert renew_leases(catalog, []) == 0


def test_a_live_daemon_keeps_its_clip_past_the_lease_and_a_dead_one_loses_it_within_it(
    catalog, settings, make_camera
):
    settings.pipeline.lease_s = 1.5
    [job_id] = _jobs(catalog, make_camera(), 1)
    stopped = threading.Event()
    heartbeat = LeaseHeartbeat(settings, stopped)
    beating = threading.Thread(target=heartbeat.run, daemon=True)
    beating.start()
    try:
        with heartbeat.holding("node-a:a0"):
            assert claim_job(catalog, job_id, "node-a:a0", lease_s=1.5)
            # One stage that runs for longer than the lease (a long detection).
            for _ in range(5):
                time.sleep(0.5)
                assert not claim_job(catalog, job_id, "node-b:a0")
            # node-a dies: nothing renews its lease any more. The catalog keeps times to the
            # second, so the lease runs out within lease_s + 1 s of the last beat.
            stopped.set()
            beating.join(timeout=5)
            taken = wait_for(
                lambda: claim_job(catalog, job_id, "node-b:a0"),
                timeout=1.5 + 1 + 0.5,
                interval=0.1,
                what="node-b took the dead node's clip over",
            )
    finally:
        stopped.set()
    assert taken and get_job(catalog, job_id)["claimed_by"] == "node-b:a0"
