"""`alarmvault camera rotate-password` and `camera key-add|key-list|key-remove`."""

from __future__ import annotations

import json
import subprocess

from cli import main
from core.catalog.camera_keys import camera_has_key
from core.catalog.cameras import check_camera_login


def test_rotated_password_replaces_the_old_one_at_once(config_file, catalog, make_camera, capsys):
    camera = make_camera()
    assert (
        main(
            ["--config", str(config_file), "camera", "rotate-password", str(camera["id"]), "--json"]
        )
        == 0
    )
    new = json.loads(capsys.readouterr().out)["password"]
    assert check_camera_login(catalog, camera["username"], new)["id"] == camera["id"]
    assert check_camera_login(catalog, camera["username"], camera["password"]) is None


def test_ssh_keys_are_added_listed_and_removed(config_file, catalog, make_camera, tmp_path, capsys):
    camera = make_camera()
    key_file = tmp_path / "camera_key"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "porch", "-f", str(key_file)],
        check=True,
    )
    public = (tmp_path / "camera_key.pub").read_text()
    config, cid = str(config_file), str(camera["id"])

    assert main(["--config", config, "camera", "key-add", cid, str(key_file) + ".pub"]) == 0
    assert camera_has_key(catalog, camera["id"], public.split()[1])
    assert main(["--config", config, "camera", "key-add", cid, str(key_file) + ".pub"]) == 1
    assert "already" in capsys.readouterr().err
    assert main(["--config", config, "camera", "key-list", cid, "--json"]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert (listed["key_type"], listed["comment"]) == ("ssh-ed25519", "porch")
    assert main(["--config", config, "camera", "key-remove", cid, str(listed["id"])]) == 0
    assert not camera_has_key(catalog, camera["id"], public.split()[1])
    assert main(["--config", config, "camera", "key-add", cid, str(tmp_path / "nope.pub")]) == 1
    assert "cannot read" in capsys.readouterr().err
