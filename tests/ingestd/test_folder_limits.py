"""A camera's folders: at most ``max_folders_per_camera``, at most ``max_folder_depth`` deep, and
the empty ones a session's uploads leave behind are removed (FTP and SFTP, real clients)."""

from __future__ import annotations

import ftplib
import io
import logging
import os
import subprocess
from pathlib import Path

import paramiko
import pytest

from tests.ingestd.clients import needs_tool, openssh_sftp, registered_key_file
from tests.ingestd.conftest import spooled, wait_until


def folders_in(jail: Path) -> list[str]:
    # os.walk, not rglob: ingestd may remove a folder while it is being listed.
    found = [
        os.path.relpath(os.path.join(top, name), jail)
        for top, names, _ in os.walk(jail)
        for name in names
    ]
    return sorted(found)


@pytest.fixture
def small_folder_limits(ingest_settings):
    # Ask for it before ``ingestd``: the servers read the limits when they start.
    ingest_settings.ingest.max_folders_per_camera = 5
    ingest_settings.ingest.max_folder_depth = 3
    return ingest_settings


def test_a_flood_of_mkd_stops_at_the_default_folder_limit(
    ftp_connect, make_camera, ingest_settings, caplog
):
    caplog.set_level(logging.INFO)
    camera = make_camera()
    ftp = ftp_connect(camera)
    refused = []
    for number in range(260):
        try:
            ftp.mkd(f"folder{number}")
        except ftplib.error_perm as error:
            refused.append(str(error))
    jail = ingest_settings.storage.uploads_dir / camera["username"]
    assert len(folders_in(jail)) == 200
    assert len(refused) == 60
    assert set(refused) == {"550 Folder limit reached (200 per camera)."}
    # The camera can still upload into the folders it has.
    ftp.storbinary("STOR folder7/A_clip.mp4", io.BytesIO(b"clip"))
    [(meta, _)] = spooled(ingest_settings)
    assert meta.original_path == "folder7/A_clip.mp4"
    refusals = [r.getMessage() for r in caplog.records if "folder refused" in r.getMessage()]
    assert len(refusals) == 60
    assert all(f"camera={camera['id']}" in line and "reason=count" in line for line in refusals)
    assert not any("folder2" in line or camera["username"] in line for line in refusals)


def test_mkd_too_deep_is_refused_and_curl_says_why(
    small_folder_limits, ingestd, make_camera, camera_clip
):
    curl = needs_tool("curl")
    camera = make_camera()
    host, port = ingestd.ftp.address
    result = subprocess.run(
        [
            curl, "--silent", "--show-error", "--verbose", "--ftp-create-dirs",
            "--user", f"{camera['username']}:{camera['password']}",
            "-T", str(camera_clip), f"ftp://{host}:{port}/a/b/c/d/A_deep.mp4",
        ],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "550 Folder too deep (at most 3 levels)." in result.stderr
    assert spooled(small_folder_limits) == []
    jail = small_folder_limits.storage.uploads_dir / camera["username"]
    # curl created a, a/b, a/b/c one by one; no upload used them, so they wait for the sweep.
    assert folders_in(jail) == ["a", "a/b", "a/b/c"]

    # Three levels are fine.
    result = subprocess.run(
        [
            curl, "--silent", "--show-error", "--ftp-create-dirs",
            "--user", f"{camera['username']}:{camera['password']}",
            "-T", str(camera_clip), f"ftp://{host}:{port}/a/b/c/A_ok.mp4",
        ],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    [(meta, _)] = spooled(small_folder_limits)
    assert meta.original_path == "a/b/c/A_ok.mp4"
    # The upload left them empty: gone once its session ended.
    assert wait_until(lambda: folders_in(jail) == [])


def test_lftp_mkdir_p_is_limited_too(small_folder_limits, ingestd, make_camera, tmp_path):
    lftp = needs_tool("lftp")
    camera = make_camera()
    host, port = ingestd.ftp.address
    script = tmp_path / "folders.lftp"
    script.write_text(
        "set net:max-retries 1\n"
        "set ftp:ssl-allow no\n"
        f"open -u {camera['username']},{camera['password']} -p {port} {host}\n"
        "mkdir -p one two three four five six seven\n"
        "bye\n"
    )
    result = subprocess.run(
        [lftp, "-f", str(script)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode != 0
    assert "550 Folder limit reached (5 per camera). (six)" in result.stderr
    jail = small_folder_limits.storage.uploads_dir / camera["username"]
    assert len(folders_in(jail)) == 5


def test_moving_a_folder_deeper_than_the_limit_is_refused(
    small_folder_limits, ftp_connect, make_camera
):
    camera = make_camera()
    ftp = ftp_connect(camera)
    ftp.mkd("a/b")
    ftp.mkd("x/y")
    with pytest.raises(ftplib.error_perm, match=r"550 Folder too deep \(at most 3 levels\)"):
        ftp.rename("a", "x/y/a")  # x/y/a/b would be four levels
    ftp.rename("a/b", "x/b")  # within the limit: allowed
    jail = small_folder_limits.storage.uploads_dir / camera["username"]
    assert folders_in(jail) == ["a", "x", "x/b", "x/y"]


def test_sftp_mkdir_is_limited_with_a_message(
    small_folder_limits, ingestd, make_camera, sftp_connect, caplog
):
    caplog.set_level(logging.INFO)
    camera = make_camera()
    sftp = sftp_connect(camera)
    sftp.mkdir("a")
    sftp.mkdir("a/b")
    sftp.mkdir("a/b/c")
    with pytest.raises(OSError, match=r"Folder too deep \(at most 3 levels\)"):
        sftp.mkdir("a/b/c/d")
    sftp.mkdir("b")
    sftp.mkdir("c")
    with pytest.raises(OSError, match=r"Folder limit reached \(5 per camera\)"):
        sftp.mkdir("d")
    with pytest.raises(OSError, match=r"Folder too deep"):
        sftp.rename("b", "a/b/c/b")
    jail = small_folder_limits.storage.uploads_dir / camera["username"]
    assert folders_in(jail) == ["a", "a/b", "a/b/c", "b", "c"]
    reasons = [r.getMessage() for r in caplog.records if "sftp folder refused" in r.getMessage()]
    assert len(reasons) == 3
    assert sum("reason=depth" in line for line in reasons) == 2
    assert all(f"camera={camera['id']}" in line for line in reasons)


def test_openssh_sftp_mkdir_past_the_limit_fails(
    small_folder_limits, ingestd, make_camera, catalog, tmp_path
):
    camera = make_camera()
    key_file = registered_key_file(catalog, camera, tmp_path)
    result = openssh_sftp(
        ingestd,
        camera,
        "mkdir one\nmkdir two\nmkdir three\nmkdir four\nmkdir five\nmkdir six\n",
        tmp_path,
        "-i", str(key_file), "-o", "IdentitiesOnly=yes", "-o", "PasswordAuthentication=no",
    )  # fmt: skip
    assert result.returncode != 0
    # OpenSSH prints the status code only ("Failure"), not the server's message.
    assert 'remote mkdir "/six": Failure' in result.stderr
    jail = small_folder_limits.storage.uploads_dir / camera["username"]
    assert len(folders_in(jail)) == 5


def test_folders_an_upload_leaves_empty_are_removed_after_the_session(
    ingestd, make_camera, camera_clip, ingest_settings
):
    curl = needs_tool("curl")
    camera = make_camera()
    jail = ingest_settings.storage.uploads_dir / camera["username"]
    host, port = ingestd.ftp.address
    result = subprocess.run(
        [
            curl, "--silent", "--show-error", "--ftp-create-dirs",
            "--user", f"{camera['username']}:{camera['password']}",
            "-T", str(camera_clip), f"ftp://{host}:{port}/instar/20261125/A_curl.mp4",
        ],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    [(meta, _)] = spooled(ingest_settings)
    assert meta.original_path == "instar/20261125/A_curl.mp4"
    assert wait_until(lambda: folders_in(jail) == [])
    assert jail.is_dir()  # the camera's own folder stays

    # SFTP: the same once the session ends; a folder with something else in it stays.
    transport = paramiko.Transport(ingestd.sftp.address)
    transport.connect(username=camera["username"], password=camera["password"])
    sftp = paramiko.SFTPClient.from_transport(transport)
    sftp.mkdir("day")
    sftp.mkdir("day/hour")
    sftp.mkdir("kept")
    sftp.mkdir("kept/other")
    sftp.putfo(io.BytesIO(b"clip one"), "day/hour/A_1.mp4")
    sftp.putfo(io.BytesIO(b"clip two"), "day/hour/A_2.mp4")  # the folder is still there
    sftp.putfo(io.BytesIO(b"clip three"), "kept/A_3.mp4")
    assert folders_in(jail) == ["day", "day/hour", "kept", "kept/other"]
    sftp.close()
    transport.close()
    assert wait_until(lambda: folders_in(jail) == ["kept", "kept/other"])
    assert len(spooled(ingest_settings)) == 4


def test_a_session_keeps_its_folder_between_uploads(ftp_connect, make_camera, ingest_settings):
    camera = make_camera()
    ftp = ftp_connect(camera)
    ftp.mkd("20261125")
    ftp.cwd("20261125")
    ftp.storbinary("STOR A_1.mp4", io.BytesIO(b"first"))
    ftp.storbinary("STOR A_2.mp4", io.BytesIO(b"second"))
    assert sorted(meta.original_path for meta, _ in spooled(ingest_settings)) == [
        "20261125/A_1.mp4",
        "20261125/A_2.mp4",
    ]
    ftp.quit()
    jail = ingest_settings.storage.uploads_dir / camera["username"]
    assert wait_until(lambda: folders_in(jail) == [])


def test_empty_folders_left_by_an_earlier_run_are_removed_at_start(
    ingest_settings, catalog, make_camera
):
    from ingestd.daemon import IngestDaemon

    camera = make_camera()
    jail = ingest_settings.storage.uploads_dir / camera["username"]
    (jail / "day" / "hour").mkdir(parents=True)
    (jail / "kept").mkdir()
    (jail / "kept" / "note.txt").write_text("a file left behind")  # removed as partial
    daemon = IngestDaemon(ingest_settings)
    daemon.start()
    try:
        assert folders_in(jail) == []
        assert jail.is_dir()
    finally:
        daemon.stop()
