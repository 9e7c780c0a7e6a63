"""Short versions of the load and crash suites (the full runs are scripts/soak and
scripts/crash-suite, with their defaults)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO, requires_shared


def run_script(name: str, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    requires_shared("footage")
    return subprocess.run(
        [sys.executable, str(REPO / "scripts" / name), *args],
        capture_output=True, text=True, timeout=timeout, check=False,
    )


def test_kill_9_of_pipeline_and_ingestd_during_uploads_loses_and_duplicates_nothing():
    result = run_script("crash-suite", "--kills", "6", "--target", "both", "--seed", "3")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "result              PASS" in result.stdout
    assert "missing             0" in result.stdout


def test_soak_with_mixed_protocols_and_browsing_indexes_every_clip_once():
    result = run_script("soak", "--cameras", "6", "--clips", "2", "--clip-seconds", "4",
                        "--seconds", "240")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "lost            0" in result.stdout
    assert "duplicates      0" in result.stdout
