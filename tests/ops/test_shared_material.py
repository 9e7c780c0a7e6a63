"""Test material in ../shared: without it, the tests that need it skip and say why; under CI
(``CI=true``) a missing ../shared stops the run before any test, naming what is missing, so
that a green CI run never means "most video tests were skipped"."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import tests.conftest
from tests.conftest import REPO, SHARED_FOLDERS, requires_shared

# Any quick test file: the check happens at session start, before the tests run.
QUICK_TESTS = "tests/rules/test_lanes.py"


def run_pytest(shared: Path, ci: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CI": ci, "ALARMVAULT_SHARED": str(shared)}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", QUICK_TESTS],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_ci_run_without_shared_stops_at_start_naming_the_missing_folders(tmp_path: Path):
    missing = tmp_path / "no-shared"
    result = run_pytest(missing, ci="true")
    output = result.stdout + result.stderr
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, output
    for name in SHARED_FOLDERS:
        assert str(missing / name) in output
    assert " passed" not in output


def test_ci_run_with_shared_present_runs_the_tests(tmp_path: Path):
    for name in SHARED_FOLDERS:
        (tmp_path / name).mkdir()
    result = run_pytest(tmp_path, ci="true")
    assert result.returncode == pytest.ExitCode.OK, result.stdout + result.stderr


def test_without_ci_a_test_needing_absent_material_skips_with_the_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(tests.conftest, "SHARED", tmp_path)
    with pytest.raises(pytest.skip.Exception, match=r"yolov8n_416x256\.onnx is absent"):
        requires_shared("models", "yolov8n_416x256.onnx")


def test_under_ci_a_test_needing_absent_material_fails(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    monkeypatch.setenv("CI", "true")
    monkeypatch.setattr(tests.conftest, "SHARED", tmp_path)
    with pytest.raises(pytest.fail.Exception, match=r"person\.jpg is absent.*CI=true"):
        requires_shared("stills", "person.jpg")
