"""The systemd units pass `systemd-analyze verify` and run hardened.

Hardened means: least privilege (only ingestd may bind low ports), a read-only system with one
writable data folder, and the settings checked before each service starts.
"""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.ops.processes import REPO

UNITS = REPO / "systemd"
SERVICES = ("alarmvault-ingestd", "alarmvault-pipeline", "alarmvault-webui")
INSTALLED_VENV = "/opt/alarmvault/venv"


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read(UNITS / name)
    return parser


def test_units_pass_systemd_analyze_verify(tmp_path: Path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is absent; `scripts/install-sysdeps test` installs systemd")
    # verify checks that ExecStart's program exists, and /opt/alarmvault exists only after
    # install.sh; the same units pointed at this checkout's venv are checked instead.
    venv = Path(REPO / ".venv").resolve()
    for unit in UNITS.iterdir():
        text = unit.read_text(encoding="utf-8").replace(INSTALLED_VENV, str(venv))
        (tmp_path / unit.name).write_text(text, encoding="utf-8")
    names = sorted(str(path) for path in tmp_path.iterdir())
    assert len(names) == 4
    result = subprocess.run(
        [analyze, "verify", *names], capture_output=True, text=True, timeout=60, check=False
    )
    # Unknown keys are only warnings (exit 0), so any output counts as a failure.
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "" and result.stdout.strip() == "", result.stderr


@pytest.mark.parametrize("service", SERVICES)
def test_services_run_hardened_as_alarmvault_with_config_checked_first(service: str):
    unit = _unit(f"{service}.service")["Service"]
    module = service.removeprefix("alarmvault-")
    assert unit["User"] == "alarmvault" and unit["Group"] == "alarmvault"
    assert unit["ExecStart"] == f"{INSTALLED_VENV}/bin/python -m {module}"
    assert unit["ExecStartPre"] == f"{INSTALLED_VENV}/bin/python -m {module} --validate-config"
    assert "ALARMVAULT_CONFIG=/etc/alarmvault/alarmvault.toml" in unit["Environment"].split()
    assert unit["Restart"] == "on-failure"
    assert unit["NoNewPrivileges"] == "yes"
    assert unit["ProtectSystem"] == "strict"
    assert unit["ReadWritePaths"] == "/var/lib/alarmvault"
    assert unit["PrivateTmp"] == "yes" and unit["ProtectHome"] == "yes"
    assert _unit(f"{service}.service")["Unit"]["PartOf"] == "alarmvault.target"


def test_only_ingestd_may_bind_low_ports():
    caps = {
        service: (
            _unit(f"{service}.service")["Service"]["AmbientCapabilities"],
            _unit(f"{service}.service")["Service"]["CapabilityBoundingSet"],
        )
        for service in SERVICES
    }
    assert caps == {
        "alarmvault-ingestd": ("CAP_NET_BIND_SERVICE", "CAP_NET_BIND_SERVICE"),
        "alarmvault-pipeline": ("", ""),
        "alarmvault-webui": ("", ""),
    }


def test_target_pulls_in_all_three_services():
    wants = _unit("alarmvault.target")["Unit"]["Wants"].split()
    assert sorted(wants) == sorted(f"{service}.service" for service in SERVICES)


def test_webui_runs_under_waitress_not_the_flask_dev_server():
    source = (REPO / "webui" / "__main__.py").read_text(encoding="utf-8")
    assert "from waitress import create_server" in source
    assert "app.run(" not in source
