"""Every service starts the same way: ``--validate-config`` checks the settings and exits, and
invalid settings stop it with exit 2 and the offending key, before anything listens; a catalog
server it cannot reach, or a listening address another server holds, stops it with one line
saying why."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from tests.loopback import free_port

SERVICES = ("ingestd", "pipeline", "webui")


def run_to_its_end(
    service: str, tmp_path: Path, settings: str, *args: str
) -> subprocess.CompletedProcess[str]:
    """``python -m <service>`` with ``settings`` as its settings file, until it exits."""
    config = tmp_path / "alarmvault.toml"
    config.write_text(settings, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", service, "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("service", SERVICES)
def test_validate_config_accepts_good_settings_and_exits(service: str, tmp_path: Path):
    result = run_to_its_end(service, tmp_path, '[storage]\ndata_dir = "."\n', "--validate-config")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"settings OK: {tmp_path / 'alarmvault.toml'}"


@pytest.mark.parametrize("service", SERVICES)
def test_invalid_settings_stop_the_service_with_the_key_named(service: str, tmp_path: Path):
    result = run_to_its_end(service, tmp_path, "[storage]\nno_such_key = 1\n")
    assert result.returncode == 2
    assert "no_such_key" in result.stderr
    assert result.stderr.startswith(f"{service}: invalid settings")


@pytest.mark.parametrize("service", SERVICES)
def test_an_unreachable_catalog_server_stops_the_service_with_one_line_saying_why(
    service: str, tmp_path: Path
):
    nothing_listens = free_port()
    result = run_to_its_end(
        service,
        tmp_path,
        f'[storage]\ndata_dir = "."\n'
        f'catalog = "postgresql://alarmvault@127.0.0.1:{nothing_listens}/alarmvault"\n',
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"{service} stopped: the catalog cannot be used: connection failed" in result.stderr
    assert f"port {nothing_listens} failed" in result.stderr


@pytest.mark.parametrize(("service", "section"), [("ingestd", "ftp"), ("webui", "web")])
def test_a_listening_address_another_server_holds_is_named_when_the_service_stops(
    service: str, section: str, tmp_path: Path
):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        address = f"127.0.0.1:{taken.getsockname()[1]}"
        result = run_to_its_end(
            service,
            tmp_path,
            f'[storage]\ndata_dir = "."\n[{section}]\nlisten = "{address}"\n'
            f"[sftp]\nenabled = false\n[ingest]\nworkers = 1\n",
        )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"cannot listen on {address}" in result.stderr
    assert "Address already in use" in result.stderr


def test_each_service_names_its_catalog_sessions_for_the_database_admin(
    postgres_catalog_url: str, tmp_path: Path
):
    config = tmp_path / "alarmvault.toml"
    config.write_text(
        f'[storage]\ndata_dir = "."\ncatalog = "{postgres_catalog_url}"\n'
        "[schedule]\nenabled = false\n[metrics]\nenabled = false\n",
        encoding="utf-8",
    )
    env = {key: value for key, value in os.environ.items() if key != "PGAPPNAME"}
    service = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "--config", str(config)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    expected = f"alarmvault pipeline@{socket.gethostname()}"[:63]
    try:
        with psycopg.connect(postgres_catalog_url, autocommit=True) as admin:
            deadline = time.monotonic() + 30
            names: list[str] = []
            while expected not in names and time.monotonic() < deadline:
                time.sleep(0.2)
                names = [
                    row[0]
                    for row in admin.execute(
                        "SELECT application_name FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                ]
    finally:
        service.terminate()
        service.wait(timeout=30)
    assert expected in names, names
    assert all(name == expected for name in names if name), names
