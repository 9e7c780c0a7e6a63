"""A whole AlarmVault (`alarmvault run`: ingestd, pipeline, webui) on free loopback ports."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from core.settings import load_settings, settings_from_dict
from ingestd.keys import ensure_ssh_host_keys, ensure_tls_certificate
from tests.loopback import wait_listening

ALARMVAULT = [sys.executable, "-m", "cli"]


@dataclass
class RunningVault:
    config: Path
    process: subprocess.Popen
    log: Path

    @property
    def settings(self):
        return load_settings(self.config)

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*ALARMVAULT, "--config", str(self.config), *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def cli_json(self, *args: str):
        result = self.cli(*args, "--json")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def add_user(self, email: str, password: str) -> None:
        result = self.cli("user", "add", email, stdin=password + "\n")
        assert result.returncode == 0, result.stderr

    def add_camera(self, owner: str, model: str = "IN-8015") -> dict:
        return self.cli_json("camera", "add", "--owner", owner, "--name", "Porch", "--model", model)

    @property
    def ftp_address(self) -> tuple[str, int]:
        host, port = self.settings.ftp.listen.rsplit(":", 1)
        return host, int(port)

    @property
    def sftp_address(self) -> tuple[str, int]:
        host, port = self.settings.sftp.listen.rsplit(":", 1)
        return host, int(port)

    @property
    def web_url(self) -> str:
        return f"http://{self.settings.web.listen}"

    def web_login(self, email: str, password: str) -> requests.Session:
        session = requests.Session()
        page = session.get(f"{self.web_url}/login", timeout=10)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
        assert token, "login form has no CSRF token"
        response = session.post(
            f"{self.web_url}/login",
            data={"email": email, "password": password, "csrf_token": token.group(1)},
            timeout=10,
        )
        assert response.status_code == 200 and "/login" not in response.url, response.text[:500]
        return session


@pytest.fixture(scope="session")
def upload_server_keys(tmp_path_factory) -> Path:
    """The keys folder `alarmvault run` fills on its first start (FTPS certificate, SSH host
    keys), made once per session: the RSA host key alone takes ~1 s on two shared cores."""
    data_dir = tmp_path_factory.mktemp("vault-keys")
    settings = settings_from_dict({"storage": {"data_dir": str(data_dir)}}, data_dir)
    ensure_tls_certificate(settings)
    ensure_ssh_host_keys(settings)
    return settings.storage.keys_dir


@pytest.fixture
def vault(config_file: Path, tmp_path: Path, upload_server_keys: Path):
    """`alarmvault run` in a real process, on a data folder that holds the keys of an earlier
    start (`upload_server_keys`); stopped with SIGTERM (and checked) at the end."""
    shutil.copytree(
        upload_server_keys, load_settings(config_file).storage.keys_dir, dirs_exist_ok=True
    )
    log = tmp_path / "alarmvault.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [*ALARMVAULT, "--config", str(config_file), "run"],
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    running = RunningVault(config_file, process, log)
    try:
        web_port = int(running.settings.web.listen.rsplit(":", 1)[1])
        ports = [running.ftp_address[1], running.sftp_address[1], web_port]
        wait_listening(process, ports, "alarmvault run", log=log, timeout=60)
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
