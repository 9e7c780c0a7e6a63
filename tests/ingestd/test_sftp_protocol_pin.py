"""Fails loudly when a paramiko upgrade changes the private methods ingestd overrides."""

from __future__ import annotations

import inspect

import paramiko
from paramiko import SFTPServer

from ingestd.sftp.protocol import PINNED_PARAMIKO, StatusWithMessage, TunedSFTPServer


def test_paramiko_minor_version_is_the_pinned_one():
    assert paramiko.__version__.startswith(PINNED_PARAMIKO + "."), (
        f"paramiko {paramiko.__version__}: re-check ingestd/sftp/protocol.py against its "
        f"SFTPServer, then update PINNED_PARAMIKO and setup.cfg"
    )


def test_private_methods_we_override_keep_their_shape():
    assert list(inspect.signature(SFTPServer._send_status).parameters) == [
        "self", "request_number", "code", "desc",
    ]  # fmt: skip
    assert list(inspect.signature(SFTPServer._process).parameters) == [
        "self", "t", "request_number", "msg",
    ]  # fmt: skip
    # Our CLOSE handling replaces paramiko's, which must still use these two tables.
    source = inspect.getsource(SFTPServer._process)
    assert "self.file_table[handle].close()" in source
    assert "self.folder_table" in source
    assert issubclass(TunedSFTPServer, SFTPServer)


def test_status_with_message_is_still_the_plain_code():
    status = StatusWithMessage(paramiko.sftp.SFTP_FAILURE, "Storage quota exceeded")
    assert status == paramiko.sftp.SFTP_FAILURE
    assert status.message == "Storage quota exceeded"
