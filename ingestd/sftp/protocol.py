"""The only place that touches paramiko's private `SFTPServer` methods.

paramiko's SFTP server cannot send a status *message* of our choosing (only the generic text
for a code) and ignores what ``SFTPHandle.close()`` returns. A camera must learn why an upload
was refused ("quota exceeded", "processing suspended") and that a CLOSE failed. setup.cfg pins
paramiko's minor version and tests/ingestd/test_sftp_protocol_pin.py fails loudly if these
methods change shape on an upgrade.
"""

from __future__ import annotations

from paramiko import SFTPServer
from paramiko.sftp import CMD_CLOSE, SFTP_BAD_MESSAGE, SFTP_OK

PINNED_PARAMIKO = "5.1"


class StatusWithMessage(int):
    """An SFTP status code that carries its own message for the client."""

    message: str

    def __new__(cls, code: int, message: str) -> StatusWithMessage:
        status = super().__new__(cls, code)
        status.message = message
        return status


class TunedSFTPServer(SFTPServer):
    """paramiko's SFTP subsystem, answering with our messages and our CLOSE result."""

    def _send_status(self, request_number, code, desc=None):
        if desc is None and isinstance(code, StatusWithMessage):
            desc = code.message
        return super()._send_status(request_number, int(code), desc)

    def _process(self, t, request_number, msg):
        if t != CMD_CLOSE:
            return super()._process(t, request_number, msg)
        handle = msg.get_binary()
        if handle in self.folder_table:
            del self.folder_table[handle]
            self._send_status(request_number, SFTP_OK)
        elif handle in self.file_table:
            # Unlike paramiko, tell the client what close() said: an upload ends here.
            result = self.file_table.pop(handle).close()
            self._send_status(request_number, SFTP_OK if result is None else result)
        else:
            self._send_status(request_number, SFTP_BAD_MESSAGE, "Invalid handle")
        return None
