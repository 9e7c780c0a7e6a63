"""End to end: AlarmVault on several nodes against one PostgreSQL catalog and one media root.

The reference layout of docs/cluster.md, on loopback: two ingest nodes (127.0.0.1 and
127.0.0.2), each running ingestd and a pipeline daemon, and one web node. Every service is its
own process with its own TOML; all share one PostgreSQL database (`[storage] catalog`). Both
ways docs/cluster.md describes the folders: each node has its own data folder (an upload is
handed over into the spool of the node that received it and indexed from there) and the media
root is one shared folder (`[storage] media`); or every node has the same, shared data folder,
which is the media root too, so both pipelines see both nodes' spool and the claim lets one go on.

One pipeline is killed with SIGKILL while it holds a clip. With a data folder per node, its
spool is its own: it comes back as its unit's ``Restart=`` brings it back. With the shared data
folder it stays dead: the other node takes its clip over once the (short) lease ran out. Then
the dead node comes back, and the other one is paused (SIGSTOP) while it holds a clip, past its
lease: the first takes that clip over and indexes it, and the paused one, resumed, finds the
clip gone and stores nothing (fencing). Every upload the servers confirmed (226 / SFTP close)
must be one recording, with one set of files, visible through the web node, and each scheduled
job must have run once.
"""

from __future__ import annotations

import html
import io
import os
import re
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import paramiko
import psycopg
import pytest
import tomli_w

from pipeline.scheduler.job_table import scheduled_jobs
from tests.conftest import wait_for
from tests.e2e.conftest import RunningVault
from tests.e2e.test_ftp_to_browser import OWNER, ftp_upload
from tests.loopback import free_port, free_port_range, wait_listening
from tests.pipeline.rule_clips import SMALL

pytestmark = pytest.mark.slow

INGEST_HOSTS = {"node-a": "127.0.0.1", "node-b": "127.0.0.2"}
# Long intervals: within the test every scheduled job is due exactly once, at the start.
SCHEDULE = {
    name: 86_400
    for name in (
        "retention_interval_s",
        "accounts_interval_s",
        "quarantine_interval_s",
        "delayed_interval_s",
        "fair_use_interval_s",
        "storage_stats_interval_s",
        "upkeep_interval_s",
    )
}
CLIPS_PER_PROTOCOL = 3
KILL_WITHIN_S = 60
# Short, so a dead or paused node's clip is taken over within seconds (heartbeat every 1 s).
LEASE_S = 3
OPEN_STATES = ("received", "validated")


class Cluster:
    """The nodes' configs and their service processes (each in its own process group)."""

    def __init__(self, root: Path, catalog_url: str, shared_data_dir: bool) -> None:
        self.root = root
        self.catalog_url = catalog_url
        self.shared_data_dir = shared_data_dir
        self.media = root / ("shared" if shared_data_dir else "media")
        self.media.mkdir()
        self.processes: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, Path] = {}
        self.configs = {name: self._write_config(name, host) for name, host in INGEST_HOSTS.items()}
        self.configs["web"] = self._write_config("web", "127.0.0.1")

    def data_dir(self, node: str) -> Path:
        return self.media if self.shared_data_dir else self.root / node

    def _write_config(self, node: str, host: str) -> Path:
        low, high = free_port_range()
        storage = {"data_dir": str(self.data_dir(node)), "catalog": self.catalog_url}
        if not self.shared_data_dir:
            storage["media"] = str(self.media)
        settings = {
            "storage": {**storage, "min_free_mb": 0},
            "ftp": {"listen": f"{host}:{free_port()}", "passive_ports": f"{low}-{high}"},
            "sftp": {"listen": f"{host}:{free_port()}"},
            "web": {"listen": f"{host}:{free_port()}"},
            "pipeline": {
                "poll_interval_s": 0.5,
                "workers": 1,
                "node_name": node,
                "lease_s": LEASE_S,
            },
            "schedule": SCHEDULE,
            "logging": {"level": "INFO"},
        }
        path = self.root / f"{node}.toml"
        path.write_bytes(tomli_w.dumps(settings).encode())
        return path

    def start(
        self, node: str, service: str, ports: list[int], host: str = "127.0.0.1"
    ) -> subprocess.Popen:
        key = f"{node}-{service}"
        log = self.root / f"{key}.log"
        with log.open("ab") as handle:
            process = subprocess.Popen(
                [sys.executable, "-m", service, "--config", str(self.configs[node])],
                stdout=handle,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
                start_new_session=True,
            )
        self.processes[key], self.logs[key] = process, log
        if ports:
            wait_listening(process, ports, key, log=log, timeout=60, host=host)
        return process

    def vault(self, node: str) -> RunningVault:
        """The node as the e2e helpers know it (CLI, addresses, web login)."""
        return RunningVault(self.configs[node], self.processes.get(f"{node}-webui"), self.root)

    def kill(self, key: str) -> None:
        """SIGKILL the service and its media worker processes, as a dying node does."""
        process = self.processes[key]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def signal(self, key: str, number: signal.Signals) -> None:
        """Send the signal to the service and its media worker processes."""
        os.killpg(self.processes[key].pid, number)

    def log(self, key: str) -> str:
        return self.logs[key].read_text(errors="replace")

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def sftp_upload(vault: RunningVault, camera: dict, name: str, data: bytes) -> None:
    """Upload and close the file: returns only once the server confirmed the close."""
    transport = paramiko.Transport(vault.sftp_address)
    try:
        transport.connect(username=camera["username"], password=camera["password"])
        with paramiko.SFTPClient.from_transport(transport) as sftp:
            sftp.putfo(io.BytesIO(data), name, confirm=True)
    finally:
        transport.close()


def catalog_rows(url: str, query: str, *params) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(query, params).fetchall()


@pytest.fixture(params=["spool_per_node", "shared_data_dir"])
def cluster(request, tmp_path: Path, postgres_catalog_url: str):
    running = Cluster(tmp_path, postgres_catalog_url, request.param == "shared_data_dir")
    try:
        yield running
    finally:
        running.stop_all()


def open_clips_held(conn: psycopg.Connection, node: str) -> list[str]:
    """The clips the node's pipeline holds that it has not stored yet."""
    rows = conn.execute(
        "SELECT id FROM jobs WHERE claimed_by LIKE %s AND state IN (%s, %s)",
        [f"pipeline@{node}:%", *OPEN_STATES],
    ).fetchall()
    return [job_id for (job_id,) in rows]


def kill_while_holding_a_clip(cluster: Cluster, node: str) -> list[str]:
    """SIGKILL the node's pipeline as soon as it holds a clip; the clips it left unfinished
    (none if it held none within ``KILL_WITHIN_S``, or stored it between look and kill)."""
    deadline = time.monotonic() + KILL_WITHIN_S
    with psycopg.connect(cluster.catalog_url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            if open_clips_held(conn, node):
                cluster.kill(f"{node}-pipeline")
                return open_clips_held(conn, node)
            time.sleep(0.01)
    return []


def pause_while_holding_a_clip(cluster: Cluster, node: str) -> str | None:
    """SIGSTOP the node's pipeline while it holds a clip it has not stored, outside a catalog
    transaction (a paused transaction would hold the catalog's writer lock: a real partition
    ends that with the connection); the clip, or None if none came within ``KILL_WITHIN_S``."""
    key = f"{node}-pipeline"
    deadline = time.monotonic() + KILL_WITHIN_S
    with psycopg.connect(cluster.catalog_url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            if not open_clips_held(conn, node):
                time.sleep(0.01)
                continue
            cluster.signal(key, signal.SIGSTOP)
            time.sleep(0.5)
            held = open_clips_held(conn, node)
            [(stuck,)] = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND state LIKE 'idle in transaction%%'"
                " AND state_change < now() - interval '0.3 seconds'"
            ).fetchall()
            if held and not stuck:
                return held[0]
            cluster.signal(key, signal.SIGCONT)  # stored meanwhile, or paused mid-write
    return None


def upload_batch(
    cluster: Cluster,
    cameras: dict[str, dict],
    batch: int,
    clip: bytes,
    per_protocol: int = CLIPS_PER_PROTOCOL,
) -> list[str]:
    """``per_protocol`` clips over FTP and as many over SFTP to each ingest node; the names of
    those the server confirmed (226 / the SFTP close answered)."""
    confirmed = []
    for number, (node, camera) in enumerate(cameras.items()):
        vault = cluster.vault(node)
        for index in range(per_protocol):
            name = f"A20261125_{batch}{number}{index}000.mp4"
            reply = ftp_upload(vault, camera, [], name, clip)
            assert reply.startswith("226"), reply
            confirmed.append(name)
            name = f"A20261125_{batch}{number}{index}300.mp4"
            sftp_upload(vault, camera, name, clip)
            confirmed.append(name)
    return confirmed


def test_two_ingest_and_pipeline_nodes_and_a_web_node_index_every_confirmed_clip_once(
    cluster, clip_factory
):
    web = cluster.vault("web")
    web.add_user(*OWNER)
    cameras = {node: web.add_camera(OWNER[0]) for node in INGEST_HOSTS}
    clip = clip_factory(**{**SMALL, "seconds": 18}, faststart=True).read_bytes()

    for node, host in INGEST_HOSTS.items():
        vault = cluster.vault(node)
        cluster.start(node, "ingestd", [vault.ftp_address[1], vault.sftp_address[1]], host)
        cluster.start(node, "pipeline", [])
    web_port = int(web.settings.web.listen.rsplit(":", 1)[1])
    cluster.start("web", "webui", [web_port])

    # Node B's pipeline dies while it holds one of the first clips (watched for while they
    # are uploaded: a clip is held for a fraction of a second); node B's ingestd goes on
    # taking uploads.
    confirmed: list[str] = []
    for batch in range(1, 4):
        with ThreadPoolExecutor(1) as watcher:
            killed = watcher.submit(kill_while_holding_a_clip, cluster, "node-b")
            confirmed += upload_batch(cluster, cameras, batch, clip)
            held = killed.result(timeout=KILL_WITHIN_S + 5)
        if held:
            break
        cluster.start("node-b", "pipeline", [])  # it stored its clip just before it died
    assert held, f"node B's pipeline held no clip within {KILL_WITHIN_S} s"
    confirmed += upload_batch(cluster, cameras, 5, clip)
    if cluster.shared_data_dir:
        # Nobody restarts node B: node A takes its clip over once the lease ran out.
        wait_for(
            lambda: all(
                f"job={job_id} outcome=indexed" in cluster.log("node-a-pipeline") for job_id in held
            ),
            timeout=LEASE_S + 30,
            what="node A indexed the clip node B held when it died",
        )
    # Node B comes back (with its own spool, the only way its waiting uploads are indexed).
    cluster.start("node-b", "pipeline", [])
    if cluster.shared_data_dir:
        # Node A is paused (SIGSTOP: a hung host, a partition) past its lease while it holds a
        # clip; node B takes it over; node A, resumed, must not store it a second time.
        with ThreadPoolExecutor(1) as watcher:
            pausing = watcher.submit(pause_while_holding_a_clip, cluster, "node-a")
            confirmed += upload_batch(cluster, cameras, 6, clip, per_protocol=2)
            paused = pausing.result(timeout=KILL_WITHIN_S + 5)
        assert paused, f"node A's pipeline held no clip within {KILL_WITHIN_S} s"
        wait_for(
            lambda: f"job={paused} outcome=indexed" in cluster.log("node-b-pipeline"),
            timeout=LEASE_S + 30,
            what="node B indexed the clip paused node A held",
        )
        cluster.signal("node-a-pipeline", signal.SIGCONT)
        wait_for(
            lambda: f"job {paused}: lost the clip" in cluster.log("node-a-pipeline"),
            timeout=30,
            what="node A, resumed, saw that it lost the clip",
        )
        assert cluster.processes["node-a-pipeline"].poll() is None, "node A goes on"

    def indexed() -> list[tuple]:
        rows = catalog_rows(
            cluster.catalog_url,
            "SELECT original_name, count(*) FROM recordings GROUP BY original_name",
        )
        return rows if sum(count for _, count in rows) >= len(confirmed) else []

    rows = wait_for(indexed, timeout=60, what="every confirmed upload indexed")
    counts = {Path(name).name: count for name, count in rows}
    assert counts == dict.fromkeys(confirmed, 1), f"held by node B when it died: {held}"
    unfinished = catalog_rows(
        cluster.catalog_url,
        "SELECT original_name, state, claimed_by FROM jobs"
        " WHERE state NOT IN ('indexed', 'analysed') OR claimed_by IS NOT NULL",
    )
    assert unfinished == []
    for node in INGEST_HOSTS:
        assert not list((cluster.data_dir(node) / "spool" / "incoming").iterdir()), node

    # The shared media root holds each recording's video and poster, and nothing half-written.
    recordings = catalog_rows(
        cluster.catalog_url, "SELECT id, camera_id, path, thumb_path FROM recordings ORDER BY id"
    )
    stored = {
        path.relative_to(cluster.media)
        for folder in ("recordings", "thumbs")
        for path in (cluster.media / folder).rglob("*")
        if path.is_file()
    }
    expected = {Path("recordings", path) for _, _, path, _ in recordings}
    expected |= {Path("thumbs", thumb) for _, _, _, thumb in recordings}
    assert stored == expected

    # The web node lists every recording and plays those either ingest node received.
    owner = web.web_login(*OWNER)
    listed, url = "", f"{web.web_url}/recordings"
    while url:  # page by page, the older ones behind "next"
        page = owner.get(url, timeout=10)
        assert page.status_code == 200
        listed += page.text
        older = re.search(r'href="([^"]+)" rel="next"', page.text)
        url = f"{web.web_url}{html.unescape(older.group(1))}" if older else ""
    linked = {int(found) for found in re.findall(r'href="/recordings/(\d+)[?"]', listed)}
    assert linked == {recording_id for recording_id, *_ in recordings}
    for camera in cameras.values():
        recording_id = next(r for r, camera_id, *_ in recordings if camera_id == camera["id"])
        video = owner.get(f"{web.web_url}/recordings/{recording_id}/video", timeout=10)
        assert video.status_code == 200
        assert video.content == clip

    # Every scheduled job ran, once, on one of the two pipeline nodes (none of them is due
    # again within the test, so the restarted node runs none).
    runs = dict(catalog_rows(cluster.catalog_url, "SELECT job, last_error FROM scheduled_runs"))
    assert set(runs) == {job.name for job in scheduled_jobs(web.settings)}
    assert all(error is None for error in runs.values()), runs
    pipeline_logs = "".join(
        log.read_text(errors="replace") for key, log in cluster.logs.items() if "pipeline" in key
    )
    for job in runs:
        assert pipeline_logs.count(f"scheduled job={job} outcome=ok") == 1, job
