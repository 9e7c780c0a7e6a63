"""scripts/client-matrix, which makes the README's compatibility table, runs and judges."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO
from tests.ingestd.clients import needs_tool


def test_client_matrix_uploads_with_curl_in_every_mode_and_prints_the_table(tmp_path):
    needs_tool("curl")
    needs_tool("ffmpeg")
    outcomes_file = tmp_path / "matrix.json"
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "client-matrix"), "--only", "curl",
         "--json", str(outcomes_file)],
        capture_output=True, text=True, timeout=180, check=False, cwd=REPO,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    outcomes = json.loads(outcomes_file.read_text())
    assert {o["mode"] for o in outcomes} == {"FTP", "FTPS", "SFTP", "temp + rename"}
    assert all(o["ok"] and o["result"] == "✓" for o in outcomes), outcomes
    assert result.stdout.startswith("| Client (Debian 12) | Version | FTP | FTPS | SFTP |")
    assert "| curl | " in result.stdout
