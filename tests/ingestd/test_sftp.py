"""SFTP uploads with paramiko's client and OpenSSH's ``sftp -b``."""

from __future__ import annotations

import io
import logging
import os

import paramiko
import pytest

from ingestd.daemon import IngestDaemon
from tests.ingestd.clients import openssh_sftp, registered_key_file
from tests.ingestd.conftest import jail_files, spooled, wait_until


def test_upload_into_per_day_folder_reaches_spool_once(
    sftp_connect, make_camera, camera_clip, ingest_settings
):
    camera = make_camera()
    sftp = sftp_connect(camera)
    sftp.mkdir("20240501")
    sftp.chdir("20240501")
    # put() checks the size after the upload: the server answers although the file moved on.
    attributes = sftp.put(str(camera_clip), "A240501_120000.mp4")
    assert attributes.st_size == camera_clip.stat().st_size
    [(meta, clip)] = spooled(ingest_settings)
    assert clip.read_bytes() == camera_clip.read_bytes()
    assert meta.protocol == "sftp"
    assert meta.camera_id == camera["id"]
    assert meta.remote_addr == "127.0.0.0/24"
    assert meta.original_path == "20240501/A240501_120000.mp4"
    assert meta.size_bytes == camera_clip.stat().st_size
    assert jail_files(ingest_settings) == []


def test_rename_and_remove_before_handover(sftp_connect, make_camera, ingest_settings):
    camera = make_camera()
    jail = ingest_settings.storage.uploads_dir / camera["username"]
    sftp = sftp_connect(camera)
    (jail / "left.mp4").write_bytes(b"leftover")
    sftp.rename("left.mp4", "right.mp4")
    sftp.posix_rename("right.mp4", "again.mp4")
    assert sftp.listdir(".") == ["again.mp4"]
    sftp.remove("again.mp4")
    sftp.mkdir("a")
    sftp.rmdir("a")
    assert jail_files(ingest_settings) == []


def test_broken_connection_removes_the_partial_file(
    sftp_connect, make_camera, camera_clip, ingest_settings
):
    camera = make_camera()
    sftp = sftp_connect(camera)
    remote = sftp.open("cut.mp4", "wb")
    remote.write(camera_clip.read_bytes()[:500_000])
    remote.flush()
    assert wait_until(lambda: any(p.stat().st_size for p in jail_files(ingest_settings)))
    # The camera loses power: the TCP connection just goes away, no CLOSE is ever sent.
    sftp.get_channel().get_transport().sock.close()
    assert wait_until(lambda: jail_files(ingest_settings) == [])
    assert spooled(ingest_settings) == []


def test_host_key_is_generated_once_and_kept(ingest_settings, catalog):
    ingest_settings.sftp.host_key = None
    ingest_settings.ftp.enabled = False
    seen = []
    for _ in range(2):
        daemon = IngestDaemon(ingest_settings)
        daemon.start()
        try:
            transport = paramiko.Transport(daemon.sftp.address)
            transport.start_client(timeout=10)
            seen.append(transport.get_remote_server_key().get_base64())
            transport.close()
        finally:
            daemon.stop()
    assert seen[0] == seen[1]
    key_files = sorted(p.name for p in ingest_settings.storage.keys_dir.iterdir())
    assert key_files == ["ssh_host_ed25519_key", "ssh_host_rsa_key"]


def test_transport_is_tuned_for_throughput(make_camera, ingestd):
    camera = make_camera()
    client = paramiko.Transport(ingestd.sftp.address)
    try:
        # The client's order decides (RFC 4253): a client that prefers GCM gets it.
        options = client.get_security_options()
        options.ciphers = ("aes128-gcm@openssh.com", *options.ciphers)
        client.connect(username=camera["username"], password=camera["password"])
        assert client.remote_cipher == "aes128-gcm@openssh.com"
        with ingestd.sftp._lock:
            [connection] = ingestd.sftp._connections
        server_side = connection.transport
        # By default every cipher paramiko has stays on offer, CTR too, for older cameras.
        assert "aes128-ctr" in server_side.get_security_options().ciphers
        assert server_side.default_window_size == 16 * 1024 * 1024
        assert server_side.default_max_packet_size == 256 * 1024
    finally:
        client.close()


# --- OpenSSH's client


@pytest.mark.parametrize(
    ("offered", "negotiated"),
    [
        # OpenSSH prefers chacha20 (paramiko lacks it), then aes128-ctr: GCM only if offered alone.
        ([], "aes128-ctr"),
        (["aes128-gcm@openssh.com", "aes256-gcm@openssh.com"], "aes128-gcm@openssh.com"),
    ],
)
def test_openssh_client_gets_gcm_only_when_the_setting_leaves_nothing_else(
    offered, negotiated, ingest_settings, catalog, make_camera, camera_clip, tmp_path, request
):
    ingest_settings.sftp.ciphers = offered
    ingestd = request.getfixturevalue("ingestd")
    camera = make_camera()
    key_file = registered_key_file(catalog, camera, tmp_path)
    result = openssh_sftp(
        ingestd, camera, f"put {camera_clip} A_cipher.mp4\n", tmp_path,
        "-v", "-i", str(key_file), "-o", "IdentitiesOnly=yes",
        "-o", "PasswordAuthentication=no",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    # OpenSSH's client at -v: "kex: server->client cipher: aes128-ctr MAC: ... compression: none"
    assert f"client->server cipher: {negotiated} " in result.stderr
    [(_meta, clip)] = spooled(ingest_settings)
    assert clip.read_bytes() == camera_clip.read_bytes()


def testopenssh_sftp_batch_with_a_camera_key(
    ingestd, make_camera, catalog, camera_clip, ingest_settings, tmp_path
):
    camera = make_camera()
    key_file = registered_key_file(catalog, camera, tmp_path, comment=" garden-cam")
    result = openssh_sftp(
        ingestd,
        camera,
        f"-mkdir 20240501\ncd 20240501\nput {camera_clip} A_openssh.mp4\n",
        tmp_path,
        "-i", str(key_file), "-o", "IdentitiesOnly=yes", "-o", "PasswordAuthentication=no",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    [(meta, clip)] = spooled(ingest_settings)
    assert meta.original_path == "20240501/A_openssh.mp4"
    assert clip.read_bytes() == camera_clip.read_bytes()


def testopenssh_sftp_batch_with_the_camera_password(
    ingestd, make_camera, camera_clip, ingest_settings, tmp_path
):
    camera = make_camera()
    askpass = tmp_path / "askpass"
    secret = tmp_path / "secret"
    secret.write_text(camera["password"])
    secret.chmod(0o600)
    askpass.write_text(f"#!/bin/sh\ncat {secret}\n")
    askpass.chmod(0o700)
    env = dict(os.environ, SSH_ASKPASS=str(askpass), SSH_ASKPASS_REQUIRE="force", DISPLAY=":0")
    result = openssh_sftp(
        ingestd,
        camera,
        f"put {camera_clip} A_password.mp4\n",
        tmp_path,
        # sftp -b turns BatchMode on, which forbids asking for a password; the first value wins.
        "-o", "BatchMode=no", "-o", "PubkeyAuthentication=no",
        "-o", "PreferredAuthentications=password", "-o", "NumberOfPasswordPrompts=1",
        env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    [(meta, clip)] = spooled(ingest_settings)
    assert meta.original_name == "A_password.mp4"
    assert clip.read_bytes() == camera_clip.read_bytes()


def test_openssh_download_is_refused(ingestd, make_camera, ingest_settings, tmp_path, catalog):
    camera = make_camera()
    jail = ingest_settings.storage.uploads_dir / camera["username"]
    jail.mkdir(parents=True, exist_ok=True)
    (jail / "left.mp4").write_bytes(b"x")
    key_file = registered_key_file(catalog, camera, tmp_path)
    result = openssh_sftp(
        ingestd, camera, f"get left.mp4 {tmp_path}/got.mp4\n", tmp_path,
        "-i", str(key_file), "-o", "IdentitiesOnly=yes", "-o", "PasswordAuthentication=no",
    )  # fmt: skip
    assert result.returncode != 0
    # OpenSSH prints its own text for the status code; paramiko shows our message.
    assert "Permission denied" in result.stderr
    assert not (tmp_path / "got.mp4").exists()


def test_unregistered_key_is_refused(sftp_connect, ingestd, make_camera):
    camera = make_camera()
    transport = paramiko.Transport(ingestd.sftp.address)
    try:
        with pytest.raises(paramiko.AuthenticationException):
            transport.connect(username=camera["username"], pkey=paramiko.RSAKey.generate(1024))
    finally:
        transport.close()


def test_empty_file_is_handed_over_for_the_pipeline_to_record(
    sftp_connect, make_camera, ingest_settings
):
    camera = make_camera()
    sftp = sftp_connect(camera)
    sftp.putfo(io.BytesIO(b""), "test.jpg", confirm=False)
    [(meta, _clip)] = spooled(ingest_settings)
    assert meta.size_bytes == 0
    assert jail_files(ingest_settings) == []


def test_openssh_client_learns_our_limits_and_writes_big_requests(
    ingestd, make_camera, camera_clip, ingest_settings, tmp_path
):
    camera = make_camera()
    askpass = tmp_path / "askpass"
    secret = tmp_path / "secret"
    secret.write_text(camera["password"])
    secret.chmod(0o600)
    askpass.write_text(f"#!/bin/sh\ncat {secret}\n")
    askpass.chmod(0o700)
    env = dict(os.environ, SSH_ASKPASS=str(askpass), SSH_ASKPASS_REQUIRE="force", DISPLAY=":0")
    result = openssh_sftp(
        ingestd, camera, f"put {camera_clip} big.mp4\n", tmp_path,
        "-vvv", "-o", "BatchMode=no", "-o", "PubkeyAuthentication=no",
        "-o", "PreferredAuthentications=password", "-o", "NumberOfPasswordPrompts=1",
        env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    # OpenSSH's client: "Server upload/download buffer sizes 261120 / 261120; using ..."
    assert "buffer sizes 261120 / 261120" in result.stderr
    [(_meta, clip)] = spooled(ingest_settings)
    assert clip.read_bytes() == camera_clip.read_bytes()


def test_sftp_operations_and_the_upload_close_are_logged_at_debug_without_secrets(
    sftp_connect, make_camera, camera_clip, caplog
):
    caplog.set_level(logging.DEBUG)
    camera = make_camera()
    sftp = sftp_connect(camera)
    sftp.mkdir("20240501")
    sftp.put(str(camera_clip), "20240501/A_debug.mp4")
    text = caplog.text
    assert "sftp mkdir '20240501'" in text or "sftp mkdir '/20240501'" in text
    assert "sftp open" in text
    size = camera_clip.stat().st_size
    assert f"sftp close 'A_debug.mp4' after {size} bytes: complete" in text
    # Every request on the open file too, with where it wrote.
    assert "sftp 'A_debug.mp4' write offset=0 bytes=" in text
    written = sum(
        int(line.rsplit("bytes=", 1)[1])
        for line in text.splitlines()
        if "sftp 'A_debug.mp4' write offset=" in line
    )
    assert written == size
    assert camera["password"] not in text
    assert camera["username"] not in text
    assert "127.0.0.1" not in text
