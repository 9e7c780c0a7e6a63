"""scripts/install.sh into a temporary root: file by file, idempotent, uninstall, purge."""

from __future__ import annotations

import hashlib
import stat
import subprocess
from pathlib import Path

import pytest

from tests.ops.processes import REPO

SCRIPT = REPO / "scripts" / "install.sh"
VENV = (REPO / ".venv").resolve()
UNITS = (
    "alarmvault-ingestd.service",
    "alarmvault-pipeline.service",
    "alarmvault-webui.service",
    "alarmvault.target",
)


def install(root: Path, *options: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        ["bash", str(SCRIPT), "--root", str(root), *options],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def tree(root: Path) -> dict[str, tuple[str, str]]:
    """Every path under ``root``: (mode, sha256 of a file or the target of a link)."""
    found = {}
    for path in sorted(root.rglob("*")):
        mode = stat.filemode(path.lstat().st_mode)
        if path.is_symlink():
            found[str(path.relative_to(root))] = (mode, str(path.readlink()))
        elif path.is_file():
            found[str(path.relative_to(root))] = (
                mode,
                hashlib.sha256(path.read_bytes()).hexdigest(),
            )
        else:
            found[str(path.relative_to(root))] = (mode, "")
    return found


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "root"


def test_install_into_a_root_puts_every_file_in_place(root: Path):
    result = install(root, "--venv-from", str(VENV))

    files = tree(root)
    assert set(files) == {
        "etc",
        "etc/alarmvault",
        "etc/alarmvault/alarmvault.toml",
        "etc/alarmvault/camera_models.toml",
        "etc/alarmvault/tls",
        "etc/alarmvault/tls/ftps.crt",
        "etc/alarmvault/tls/ftps.key",
        "etc/alarmvault/ssh",
        "etc/alarmvault/ssh/ssh_host_rsa_key",
        "etc/alarmvault/ssh/ssh_host_rsa_key.pub",
        "etc/systemd",
        "etc/systemd/system",
        *(f"etc/systemd/system/{unit}" for unit in UNITS),
        "opt",
        "opt/alarmvault",
        "opt/alarmvault/venv",
        "var",
        "var/lib",
        "var/lib/alarmvault",
    }
    for unit in UNITS:
        installed = root / "etc/systemd/system" / unit
        assert installed.read_bytes() == (REPO / "systemd" / unit).read_bytes()
        assert files[f"etc/systemd/system/{unit}"][0] == "-rw-r--r--"
    assert files["opt/alarmvault/venv"] == ("lrwxrwxrwx", str(VENV))
    assert (root / "etc/alarmvault/camera_models.toml").read_bytes() == (
        REPO / "config/camera_models.toml"
    ).read_bytes()
    # Secrets readable by root and the service group only; the data folder private.
    assert files["etc/alarmvault"][0] == "drwxr-x---"
    assert files["etc/alarmvault/alarmvault.toml"][0] == "-rw-r-----"
    assert files["etc/alarmvault/tls/ftps.key"][0] == "-rw-r-----"
    assert files["etc/alarmvault/ssh/ssh_host_rsa_key"][0] == "-rw-r-----"
    assert files["var/lib/alarmvault"][0] == "drwxr-x---"
    assert "BEGIN CERTIFICATE" in (root / "etc/alarmvault/tls/ftps.crt").read_text()
    assert (root / "etc/alarmvault/ssh/ssh_host_rsa_key.pub").read_text().startswith("ssh-rsa ")
    # Host changes are only announced in --root mode.
    assert "would run: useradd --system --user-group --home-dir /var/lib/alarmvault" in (
        result.stdout
    )
    assert "would run: chown alarmvault:alarmvault /var/lib/alarmvault" in result.stdout
    assert (
        "would run: systemctl enable alarmvault-pipeline.service alarmvault-ingestd.service"
        " alarmvault-webui.service alarmvault.target"
    ) in result.stdout


def test_installed_config_is_valid_and_points_at_the_installed_paths(root: Path):
    from core.settings import load_settings

    result = install(root, "--venv-from", str(VENV))
    config = root / "etc/alarmvault/alarmvault.toml"
    assert f"settings OK: {config}" in result.stdout  # install.sh ran check-config itself
    settings = load_settings(config)
    assert settings.storage.data_dir == Path("/var/lib/alarmvault")
    assert settings.ftp.tls_cert == Path("/etc/alarmvault/tls/ftps.crt")
    assert settings.ftp.tls_key == Path("/etc/alarmvault/tls/ftps.key")
    assert settings.sftp.host_key == Path("/etc/alarmvault/ssh/ssh_host_rsa_key")
    assert settings.ftp.listen == "0.0.0.0:21"
    assert settings.metrics.enabled is False
    subprocess.run(
        [str(VENV / "bin/python"), "-m", "pipeline", "--config", str(config), "--validate-config"],
        check=True,
        capture_output=True,
        timeout=60,
    )


def test_second_install_changes_nothing_and_keeps_an_edited_config(root: Path):
    install(root, "--venv-from", str(VENV))
    config = root / "etc/alarmvault/alarmvault.toml"
    config.write_text(config.read_text() + "\n# edited by the admin\n")
    before = tree(root)

    install(root, "--venv-from", str(VENV))

    assert tree(root) == before


def test_uninstall_keeps_config_and_data_and_purge_removes_them(root: Path):
    install(root, "--venv-from", str(VENV))
    clip = root / "var/lib/alarmvault/recordings/1/2026-11-25/job.mp4"
    clip.parent.mkdir(parents=True)
    clip.write_bytes(b"video")

    result = install(root, "--uninstall")

    assert not (root / "opt/alarmvault").exists()
    assert VENV.is_dir()  # the linked venv itself is not touched
    assert not any((root / "etc/systemd/system").iterdir())
    assert clip.read_bytes() == b"video"
    assert (root / "etc/alarmvault/alarmvault.toml").is_file()
    assert (root / "etc/alarmvault/ssh/ssh_host_rsa_key").is_file()
    assert "would run: systemctl disable --now" in result.stdout
    assert "userdel" not in result.stdout

    result = install(root, "--uninstall", "--purge")

    assert not (root / "etc/alarmvault").exists()
    assert not (root / "var/lib/alarmvault").exists()
    assert "would run: userdel alarmvault" in result.stdout


def test_reinstall_after_uninstall_reuses_the_kept_keys(root: Path):
    install(root, "--no-venv")
    key = (root / "etc/alarmvault/ssh/ssh_host_rsa_key").read_bytes()
    install(root, "--uninstall")
    install(root, "--no-venv")
    assert (root / "etc/alarmvault/ssh/ssh_host_rsa_key").read_bytes() == key
    assert not (root / "opt/alarmvault/venv").exists()


def test_purge_without_uninstall_is_refused(root: Path):
    result = subprocess.run(
        ["bash", str(SCRIPT), "--root", str(root), "--purge"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2 and not root.exists()
