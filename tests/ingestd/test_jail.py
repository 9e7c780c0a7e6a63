"""Upload-only and jailed, on FTP and SFTP: traversal, absolute paths, symlinks, downloads."""

from __future__ import annotations

import ftplib
import io
import os

import pytest

from ingestd.filesystems import Jail, OutsideJail
from tests.ingestd.conftest import spooled


@pytest.fixture
def outside(tmp_path):
    """A folder next to the data directory holding a secret no camera may touch."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.txt").write_text("not for cameras")
    return folder


def _jail(settings, camera) -> os.PathLike:
    jail = settings.storage.uploads_dir / camera["username"]
    jail.mkdir(parents=True, exist_ok=True)
    return jail


def test_retr_is_refused(ftp_connect, make_camera, ingest_settings):
    camera = make_camera()
    (_jail(ingest_settings, camera) / "left.mp4").write_bytes(b"x")
    ftp = ftp_connect(camera)
    with pytest.raises(ftplib.error_perm, match="550"):
        ftp.retrbinary("RETR left.mp4", lambda chunk: None)


@pytest.mark.parametrize(
    "command",
    ["CWD ../..", "CWD ..", "MKD ../escape", "STOR ../../escape.mp4", "DELE ../secret.txt"],
)
def test_parent_traversal_is_refused_on_ftp(command, ftp_connect, make_camera, ingest_settings):
    camera = make_camera()
    ftp = ftp_connect(camera)
    ftp.voidcmd("TYPE I")
    if command.startswith("STOR"):
        with pytest.raises(ftplib.error_perm, match="550"):
            ftp.storbinary(command, io.BytesIO(b"data"))
    else:
        with pytest.raises(ftplib.error_perm, match="550"):
            ftp.sendcmd(command)
    data_dir = ingest_settings.storage.data_dir
    assert not list(data_dir.parent.glob("escape*"))
    assert not list(ingest_settings.storage.uploads_dir.glob("escape*"))


def test_absolute_paths_are_inside_the_jail(ftp_connect, make_camera, ingest_settings, outside):
    camera = make_camera()
    ftp = ftp_connect(camera)
    with pytest.raises(ftplib.error_perm, match="550"):
        ftp.cwd(str(outside))
    with pytest.raises(ftplib.error_perm, match="550"):
        ftp.storbinary(f"STOR {outside}/planted.mp4", io.BytesIO(b"data"))
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]
    assert ftp.nlst("/") == []
    ftp.mkd("/day")
    ftp.storbinary("STOR /day/clip.mp4", io.BytesIO(b"data"))
    assert [m.original_path for m, _ in spooled(ingest_settings)] == ["day/clip.mp4"]


def test_symlink_in_the_jail_pointing_out_is_refused_on_ftp(
    ftp_connect, make_camera, ingest_settings, outside
):
    camera = make_camera()
    jail = _jail(ingest_settings, camera)
    (jail / "outdir").symlink_to(outside)
    (jail / "outfile.mp4").symlink_to(outside / "secret.txt")
    ftp = ftp_connect(camera)
    with pytest.raises(ftplib.error_perm, match="550"):
        ftp.cwd("outdir")
    with pytest.raises(ftplib.error_perm, match="550"):
        ftp.nlst("outdir")
    with pytest.raises(ftplib.error_perm, match="550"):
        ftp.storbinary("STOR outdir/planted.mp4", io.BytesIO(b"data"))
    with pytest.raises(ftplib.error_perm, match="550"):
        ftp.storbinary("STOR outfile.mp4", io.BytesIO(b"overwrite"))
    with pytest.raises(ftplib.error_perm, match="550"):
        ftp.rename("outfile.mp4", "mine.mp4")
    with pytest.raises(ftplib.error_perm, match="550"):
        ftp.size("outfile.mp4")
    assert (outside / "secret.txt").read_text() == "not for cameras"
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]
    assert spooled(ingest_settings) == []


def test_traversal_and_symlinks_are_refused_on_sftp(
    sftp_connect, make_camera, ingest_settings, outside
):
    camera = make_camera()
    jail = _jail(ingest_settings, camera)
    (jail / "outdir").symlink_to(outside)
    (jail / "outfile.mp4").symlink_to(outside / "secret.txt")
    sftp = sftp_connect(camera)
    for path in ("../escape.mp4", "/../escape.mp4", "outdir/planted.mp4", "outfile.mp4"):
        with pytest.raises(PermissionError):
            sftp.putfo(io.BytesIO(b"data"), path, confirm=False)
    with pytest.raises(PermissionError):
        sftp.listdir("outdir")
    with pytest.raises(PermissionError):
        sftp.listdir("..")
    with pytest.raises(PermissionError):
        sftp.rename("outfile.mp4", "mine.mp4")
    with pytest.raises(PermissionError):
        sftp.symlink(str(outside), "another")
    with pytest.raises(OSError):
        sftp.mkdir("../escape")
    # An absolute path is absolute inside the jail, never on the server.
    with pytest.raises(FileNotFoundError):
        sftp.putfo(io.BytesIO(b"data"), f"{outside}/planted.mp4", confirm=False)
    assert sftp.normalize("..") == "/"
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]
    assert (outside / "secret.txt").read_text() == "not for cameras"
    assert spooled(ingest_settings) == []


def test_sftp_downloads_are_refused(sftp_connect, make_camera, ingest_settings):
    camera = make_camera()
    (_jail(ingest_settings, camera) / "left.mp4").write_bytes(b"x")
    sftp = sftp_connect(camera)
    with pytest.raises(PermissionError, match="Downloads are not allowed"):
        sftp.open("left.mp4", "r")
    assert sftp.listdir("/") == ["left.mp4"]


def test_jail_check_resolves_every_component(tmp_path):
    root = tmp_path / "jail"
    (root / "day").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    (root / "link").symlink_to(tmp_path / "elsewhere")
    (root / "inner").symlink_to(root / "day")
    jail = Jail(root)
    assert jail.contains(jail.to_fs("/day/clip.mp4"))
    assert jail.contains(jail.to_fs("inner/clip.mp4"))
    assert not jail.contains(jail.to_fs("link/clip.mp4"))
    assert jail.to_fs("a/../b", cwd="/day") == str(root.resolve() / "day" / "b")
    with pytest.raises(OutsideJail):
        jail.to_fs("../../etc/passwd", cwd="/day")
    assert jail.to_client(jail.to_fs("/day/x")) == "/day/x"
