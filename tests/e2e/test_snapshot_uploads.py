"""End to end: a camera uploads a JPEG snapshot and the clip of the same alarm over FTP with real
clients (curl, lftp); they become one recording with the still attached, shown to its owner
only. A snapshot alone is an event of its own; a fake one is refused with its reason; with
snapshots switched off they are refused as snapshots_off; deleting the recording deletes them."""

from __future__ import annotations

import io
import re
import subprocess

from PIL import Image

from core.catalog import open_catalog
from tests.conftest import wait_for
from tests.ingestd.clients import needs_tool

OWNER = ("owner@example.com", "owner-password-1")
STRANGER = ("stranger@example.com", "stranger-password-1")


def camera_snapshot(width: int = 1280, height: int = 720) -> bytes:
    """A JPEG like an IN-8015's snapshot of its 1280x720 stream."""
    buffer = io.BytesIO()
    Image.linear_gradient("L").resize((width, height)).convert("RGB").save(buffer, "JPEG")
    return buffer.getvalue()


def curl_upload(vault, camera, files: dict[str, bytes], tmp_path, folder: str = "20261125"):
    """Upload every file in one curl run (one FTP session), as a camera does after an alarm."""
    curl = needs_tool("curl")
    host, port = vault.ftp_address
    command = [curl, "--silent", "--show-error", "--ftp-create-dirs"]
    command += ["--user", f"{camera['username']}:{camera['password']}"]
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        command += ["-T", str(tmp_path / name), f"ftp://{host}:{port}/{folder}/{name}"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr


def lftp_upload(vault, camera, files: dict[str, bytes], tmp_path) -> None:
    lftp = needs_tool("lftp")
    host, port = vault.ftp_address
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    puts = " ".join(str(tmp_path / name) for name in files)
    script = (
        "set ftp:ssl-allow no; set net:max-retries 1; set net:timeout 20; "
        f"open -u {camera['username']},{camera['password']} -p {port} {host}; mput {puts}; bye"
    )
    result = subprocess.run(
        [lftp, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_snapshot_and_clip_of_one_alarm_become_one_recording_with_its_still(
    vault, camera_clip, tmp_path
):
    vault.add_user(*OWNER)
    vault.add_user(*STRANGER)
    camera = vault.add_camera(OWNER[0])
    clip, snapshot = camera_clip.read_bytes(), camera_snapshot()

    curl_upload(
        vault,
        camera,
        {"P20261125_130503.jpg": snapshot, "A20261125_130501.mp4": clip},
        tmp_path,
    )

    def clip_with_still():
        rows = vault.cli_json("recordings", "list")
        return rows if len(rows) == 1 and rows[0]["kind"] == "clip" and rows[0]["stills"] else None

    [recording] = wait_for(clip_with_still, timeout=60, what="clip indexed with its still")
    [still] = recording["stills"]
    assert (still["width"], still["height"]) == (1280, 720)
    assert recording["size_bytes"] == len(clip) + len(snapshot)

    owner = vault.web_login(*OWNER)
    page = owner.get(f"{vault.web_url}/recordings/{recording['id']}", timeout=10).text
    still_url = f"/recordings/{recording['id']}/stills/{still['id']}"
    assert f'src="{still_url}"' in page and "<video" in page
    picture = owner.get(vault.web_url + still_url, timeout=10)
    assert picture.status_code == 200
    assert picture.content == snapshot
    stranger = vault.web_login(*STRANGER)
    assert stranger.get(vault.web_url + still_url, timeout=10).status_code == 404

    # Deleting the recording deletes the clip and the still, files and rows.
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    deleted = owner.post(
        f"{vault.web_url}/recordings/{recording['id']}/delete",
        data={"csrf_token": token},
        timeout=30,
    )
    assert deleted.status_code == 200
    storage = vault.settings.storage
    for root in (storage.recordings_dir, storage.thumbs_dir):
        assert [p for p in root.rglob("*") if p.is_file()] == []
    db = open_catalog(storage.catalog_path, migrate=False)
    try:
        assert db.execute("SELECT count(*) FROM stills").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM jobs").fetchone()[0] == 0
    finally:
        db.close()


def test_lone_fake_and_switched_off_snapshots(vault, camera_clip, tmp_path):
    vault.add_user(*OWNER)
    camera = vault.add_camera(OWNER[0])

    # With lftp: a snapshot with no clip, and a fake one (a JPEG start, then garbage).
    lftp_upload(
        vault,
        camera,
        {
            "P20261125_150000.jpg": camera_snapshot(),
            "P20261125_160000.jpg": b"\xff\xd8\xff\xe0" + b"garbage" * 300,
            "P20261125_170000.jpg": camera_snapshot(800, 600),
        },
        tmp_path,
    )
    [alone] = wait_for(
        lambda: (rows := vault.cli_json("recordings", "list")) and rows,
        timeout=60,
        what="snapshot-only event",
    )
    assert alone["kind"] == "snapshot" and len(alone["stills"]) == 1
    assert alone["started_at"].startswith("2026-11-25T15:00:00")
    refused = wait_for(
        lambda: (r := vault.cli_json("rejections", "list")) and len(r) >= 2 and r,
        timeout=60,
        what="two refused snapshots",
    )
    reasons = {row["original_name"]: (row["reason"], row["detail"]) for row in refused}
    assert reasons["P20261125_160000.jpg"][0] == "undecodable"
    assert reasons["P20261125_170000.jpg"] == (
        "profile_mismatch",
        "JPEG snapshot 800x600 is not a snapshot size of IN-8015",
    )

    # The owner switches snapshots off on the camera page: the next one is refused.
    owner = vault.web_login(*OWNER)
    page = owner.get(f"{vault.web_url}/cameras/{camera['id']}", timeout=10).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    switched = owner.post(
        f"{vault.web_url}/cameras/{camera['id']}/snapshots", data={"csrf_token": token}, timeout=10
    )
    assert switched.status_code == 200
    curl_upload(vault, camera, {"P20261125_180000.jpg": camera_snapshot()}, tmp_path)
    off = wait_for(
        lambda: [
            row
            for row in vault.cli_json("rejections", "list")
            if row["original_name"] == "P20261125_180000.jpg"
        ],
        timeout=60,
        what="snapshot refused as switched off",
    )
    assert off[0]["reason"] == "snapshots_off"
    assert len(vault.cli_json("recordings", "list")) == 1
