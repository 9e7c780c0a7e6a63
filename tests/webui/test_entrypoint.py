"""``python -m webui``: waitress on ``[web] listen``, a key file made once, SIGTERM stops it."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
import urllib.request

from tests.conftest import REPO


def _wait_until_serving(url: str, process: subprocess.Popen, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read().decode()
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                return response
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer within {timeout} s")


def test_python_m_webui_serves_with_waitress_and_stops_on_sigterm(config_file, settings):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("CREDENTIALS_DIRECTORY", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "webui", "--config", str(config_file)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        response = _wait_until_serving(f"http://{settings.web.listen}/login", process)
        assert response.status == 200
        assert "Werkzeug" not in (response.headers.get("Server") or "")  # not the dev server
        key_file = settings.storage.keys_dir / "web_secret_key"
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert len(key_file.read_text().strip()) >= 32
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        output = process.stdout.read().decode()
        process.stdout.close()
    assert "web UI listening on" in output


def test_secret_key_comes_from_systemd_credentials_when_present(settings, tmp_path, monkeypatch):
    from webui.secret_key import load_secret_key

    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "web_secret_key").write_text("from-systemd-credentials\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(credentials))
    assert load_secret_key(settings) == "from-systemd-credentials"
    assert not (settings.storage.keys_dir / "web_secret_key").exists()


def test_generated_secret_key_stays_the_same_across_restarts(settings, monkeypatch):
    from webui.secret_key import load_secret_key

    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    assert load_secret_key(settings) == load_secret_key(settings)
