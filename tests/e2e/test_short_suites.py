"""Short versions of the load and crash suites (the full runs are scripts/soak and
scripts/crash-suite, with their defaults)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO


def run_script(name: str, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(REPO / "scripts" / name), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_kill_9_of_pipeline_and_ingestd_during_uploads_loses_and_duplicates_nothing():
    result = run_script("crash-suite", "--kills", "6", "--target", "both", "--seed", "3")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "result              PASS" in result.stdout
    assert "missing             0" in result.stdout


def test_soak_with_mixed_protocols_and_browsing_indexes_every_clip_once():
    result = run_script(
        "soak", "--cameras", "6", "--clips", "2", "--clip-seconds", "4", "--seconds", "240"
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "lost            0" in result.stdout
    assert "duplicates      0" in result.stdout


def test_ingest_benchmark_measures_every_protocol_both_ways_beside_its_baselines(tmp_path):
    summary = tmp_path / "ingest.json"
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "bench-ingest"), "--no-install",
         "--size-mb", "4", "--clients", "2", "--clips", "2", "--clip-mb", "1",
         "--repeat", "1", "--repeat-single", "1", "--json", str(summary)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    rows = json.loads(summary.read_text())
    measured = {(row["protocol"], row["measure"].split(" ")[0]) for row in rows}
    for protocol in ("FTP", "FTPS", "SFTP"):
        assert {(protocol, "single"), (protocol, "2x2x1")} <= measured
    assert len(rows) == 9 and all(row["ours"] > 0 for row in rows)
    targets = {(row["protocol"], row["measure"]): row["target"] for row in rows if row["target"]}
    # One target per README target row, on the measure its baseline in docs/cameras.md
    # (Upload speed) was taken with.
    assert targets == {
        ("FTP", "single 4 MB (MB/s)"): 1.0,
        ("FTP", "2x2x1 MB, a session each (clips/s)"): 3.0,
        ("SFTP", "single 4 MB (MB/s)"): 1.5,
        ("SFTP", "2x2x1 MB, login per clip (clips/s)"): 3.0,
    }
    # The baselines run wherever they are installed (vsftpd also needs root): a ratio beside them.
    for row in rows:
        assert (row["ratio"] is None) == (row["baseline"] is None)
    assert "protocol measure" in result.stdout
