"""End to end: a camera dies a third of the way through a plain-FTP or FTPS upload.

Plain FTP ends an upload by closing the data connection, so the server cannot tell this camera
from one that finished: the upload is handed over, and it is validation's job to see that the
file is not whole. The clip must end ``truncated``, never indexed.

(When the control connection is seen closing before the data connection, ingestd already
removes the upload as incomplete; the client below lets the data connection's end arrive first,
which is the case nothing but validation can catch.)

Over FTPS a dying client's data connection ends without TLS close_notify: an end that cannot be
trusted, treated as plain FTP's (some clients, wput among them, never send close_notify).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import pytest

from tests.conftest import wait_for
from tests.e2e.test_ftp_to_browser import OWNER, ftp_upload
from tests.pipeline.rule_clips import SMALL

# The client process: STOR, send a third of the clip, close the data connection as a camera's
# upload task does when it stops, and die with SIGKILL, without QUIT, once the server answered.
# Over FTPS (argv[5] == "tls") SSLSocket.close() sends no close_notify: a dying client's end.
DYING_CLIENT = """
import ftplib, os, signal, sys
host, port, clip, name, tls = sys.argv[1:6]
data = open(clip, "rb").read()
ftp = ftplib.FTP_TLS() if tls == "tls" else ftplib.FTP()
ftp.connect(host, int(port), timeout=30)
ftp.login(os.environ["CAMERA_USER"], os.environ["CAMERA_PASSWORD"])
if tls == "tls":
    ftp.prot_p()
connection = ftp.transfercmd("STOR " + name)
connection.sendall(data[: len(data) // 3])
connection.close()
ftp.getresp()
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.parametrize("tls", ["plain", "tls"])
def test_upload_whose_client_dies_at_a_third_ends_truncated_and_is_not_indexed(
    vault, clip_factory, tls
):
    vault.add_user(*OWNER)
    camera = vault.add_camera(OWNER[0])
    clip = clip_factory(**{**SMALL, "seconds": 18}, faststart=True)
    host, port = vault.ftp_address

    client = subprocess.run(
        [
            sys.executable,
            "-c",
            DYING_CLIENT,
            host,
            str(port),
            str(clip),
            "A20261125_150000.mp4",
            tls,
        ],
        env={
            **os.environ,
            "CAMERA_USER": camera["username"],
            "CAMERA_PASSWORD": camera["password"],
        },
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert client.returncode == -signal.SIGKILL, client.stderr

    [rejection] = wait_for(
        lambda: vault.cli_json("rejections", "list"), timeout=30, what="the cut-off upload"
    )
    assert rejection["reason"] == "truncated"
    arrived = re.match(r"(\d+) of 180 frames, \d+\.\d of 18\.0 s", rejection["detail"])
    assert arrived and 0 < int(arrived.group(1)) < 90, rejection["detail"]
    assert vault.cli_json("recordings", "list") == []
    # The same camera's next, whole clip goes through: the cut one was not mistaken for it.
    ftp_upload(vault, camera, [], "A20261125_150100.mp4", clip.read_bytes())
    [recording] = wait_for(
        lambda: vault.cli_json("recordings", "list"), timeout=30, what="the whole clip indexed"
    )
    assert recording["duration_s"] == 18.0
