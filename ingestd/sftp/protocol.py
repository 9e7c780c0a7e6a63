"""The only place that touches paramiko's private `SFTPServer` methods.

paramiko's SFTP server cannot send a status *message* of our choosing (only the generic text
for a code) and ignores what ``SFTPHandle.close()`` returns. A camera must learn why an upload
was refused ("quota exceeded", "processing suspended") and that a CLOSE failed.

Speed (docs/cameras.md, Upload speed): OpenSSH's client writes 32 KiB per request unless the
server announces ``limits@openssh.com``; then it writes 255 KiB, an eighth of the requests. And
paramiko sends every status reply as its own encrypted SSH packet; we gather the replies while
more requests are already waiting and send them together before the next wait.

`channel_buffer.py` replaces the channel's receive buffer for the same reason.

`offer_legacy_algorithms` (`[sftp] legacy_algorithms`, off by default) gives one transport what
paramiko 5 dropped for old firmware (libssh2 <= 1.8): it sets the transport's own
``_kex_info``, ``_preferred_kex`` and ``_preferred_keys`` (instance attributes, so other
connections keep paramiko's defaults), adds a SHA-1 variant of paramiko's group-14 key
exchange, and an RSA host key class whose ``HASHES`` also signs ``ssh-rsa`` (SHA-1).

`remember_agreed_kex` wraps the transport's own ``_kex_info`` classes to note which key exchange
ran (paramiko keeps only the engine, and drops it once done); `negotiated_algorithms` reads
``local_cipher``, ``local_mac`` and ``host_key_type`` (set during key exchange, undocumented):
the camera page shows what a camera logged in with.

`paramiko_ciphers` reads ``Transport._preferred_ciphers``, the ciphers paramiko's server can
offer: `[sftp] ciphers` is checked against a copy of that list in `core.settings.sftp` (the
settings must load without paramiko), and the pin test compares the two.

setup.cfg pins paramiko's minor version and tests/ingestd/test_sftp_protocol_pin.py fails
loudly if these methods change shape on an upgrade.
"""

from __future__ import annotations

import contextlib
import struct
from hashlib import sha1
from typing import Any

from cryptography.hazmat.primitives import hashes
from paramiko import Message, PKey, RSAKey, SFTPServer, Transport
from paramiko.kex_group14 import KexGroup14SHA256
from paramiko.sftp import (
    CMD_CLOSE,
    CMD_EXTENDED,
    CMD_EXTENDED_REPLY,
    CMD_INIT,
    CMD_VERSION,
    SFTP_BAD_MESSAGE,
    SFTP_OK,
    SFTPError,
)

from core.catalog.login_crypto import LoginCrypto

PINNED_PARAMIKO = "5.1"

SFTP_VERSION = 3
LIMITS_EXTENSION = "limits@openssh.com"
# OpenSSH's own server limit; its client then writes 256 KiB - 1 KiB per request.
MAX_PACKET_BYTES = 256 * 1024
MAX_WRITE_BYTES = MAX_PACKET_BYTES - 1024
# Replies are tiny (a status is ~30 bytes); this only bounds a batch when requests keep coming.
REPLY_BATCH_BYTES = 16 * 1024


LEGACY_KEX = "diffie-hellman-group14-sha1"
LEGACY_HOST_KEY_TYPE = "ssh-rsa"


class KexGroup14SHA1(KexGroup14SHA256):
    """RFC 4253's diffie-hellman-group14-sha1: paramiko's group 14 exchange hashed with SHA-1."""

    name = LEGACY_KEX
    hash_algo = sha1


class LegacyRSAKey(RSAKey):
    """An RSA host key that can also sign ``ssh-rsa`` (SHA-1) for old clients."""

    HASHES = {**RSAKey.HASHES, LEGACY_HOST_KEY_TYPE: hashes.SHA1}


def legacy_host_key(key: PKey) -> PKey:
    """``key`` able to sign ssh-rsa as well, if it is an RSA key."""
    return LegacyRSAKey(key=key.key) if isinstance(key, RSAKey) else key


def offer_legacy_algorithms(transport: Transport) -> None:
    """Let this transport also agree on SHA-1 key exchange and ssh-rsa host keys (last)."""
    transport._kex_info = {**transport._kex_info, LEGACY_KEX: KexGroup14SHA1}
    transport._preferred_kex = (*transport._preferred_kex, LEGACY_KEX)
    transport._preferred_keys = (*transport._preferred_keys, LEGACY_HOST_KEY_TYPE)


class AgreedKex:
    """The key exchange one transport agreed on; paramiko drops its ``kex_engine`` afterwards."""

    name: str | None = None


def remember_agreed_kex(transport: Transport) -> AgreedKex:
    """Wrap this transport's own ``_kex_info`` classes so that the one started is noted."""
    agreed = AgreedKex()

    def noting(name: str, kex_class: Any) -> Any:
        def start(started_by: Transport) -> Any:
            agreed.name = name
            return kex_class(started_by)

        return start

    transport._kex_info = {
        name: noting(name, kex_class) for name, kex_class in transport._kex_info.items()
    }
    return agreed


def negotiated_algorithms(transport: Transport, kex: AgreedKex) -> LoginCrypto:
    """What an SSH connection uses, once its key exchange is done (at login)."""
    cipher = transport.local_cipher
    return LoginCrypto(
        "sftp",
        ssh_kex=kex.name,
        ssh_cipher=cipher,
        # GCM authenticates by itself; paramiko still names a MAC it does not use.
        ssh_mac=None if "gcm" in cipher else transport.local_mac,
        ssh_host_key_type=transport.host_key_type,
    )


def paramiko_ciphers() -> tuple[str, ...]:
    """The SSH ciphers paramiko's server offers when `[sftp] ciphers` leaves none out."""
    return tuple(Transport._preferred_ciphers)


class StatusWithMessage(int):
    """An SFTP status code that carries its own message for the client."""

    message: str

    def __new__(cls, code: int, message: str) -> StatusWithMessage:
        status = super().__new__(cls, code)
        status.message = message
        return status


class TunedSFTPServer(SFTPServer):
    """paramiko's SFTP subsystem: our messages, our CLOSE result, big writes, batched replies."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._replies: list[bytes] = []
        self._reply_bytes = 0

    def finish_subsystem(self) -> None:
        # OpenSSH's scp (SFTP mode) reports failure, exit code 1, when the channel closes
        # without an exit status, after an upload that succeeded.
        with contextlib.suppress(Exception):
            self.sock.send_exit_status(0)
        super().finish_subsystem()

    def _send_server_version(self):
        # paramiko's, plus the limits extension (paramiko announces only check-file).
        t, data = self._read_packet()
        if t != CMD_INIT:
            raise SFTPError("Incompatible sftp protocol")
        version = struct.unpack(">I", data[:4])[0]
        msg = Message()
        msg.add_int(SFTP_VERSION)
        msg.add("check-file", "md5,sha1", LIMITS_EXTENSION, "1")
        self._send_packet(CMD_VERSION, msg)
        return version

    def _send_packet(self, t, packet):
        body = packet.asbytes()
        self._replies.append(struct.pack(">IB", len(body) + 1, t) + body)
        self._reply_bytes += len(body) + 5
        if self._reply_bytes >= REPLY_BATCH_BYTES:
            self._flush_replies()

    def _read_packet(self):
        # About to wait for the client: it must have every answer it is waiting for.
        if self._replies and not self.sock.recv_ready():
            self._flush_replies()
        return super()._read_packet()

    def _read_all(self, n):
        # paramiko's grows one bytes object per piece (a copy of the whole packet each time);
        # the channel hands out whole SSH packets, so most requests come in one or two pieces.
        parts = []
        while n > 0:
            part = self.sock.recv(n)
            if not part:
                raise EOFError()
            parts.append(part)
            n -= len(part)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def _flush_replies(self) -> None:
        replies = b"".join(self._replies)
        self._replies.clear()
        self._reply_bytes = 0
        self._write_all(replies)

    def _send_limits(self, request_number: int) -> None:
        msg = Message()
        msg.add_int(request_number)
        msg.add_int64(MAX_PACKET_BYTES)
        msg.add_int64(MAX_WRITE_BYTES)  # reads are refused anyway
        msg.add_int64(MAX_WRITE_BYTES)
        msg.add_int64(0)  # open handles: no limit of ours
        self._send_packet(CMD_EXTENDED_REPLY, msg)

    def _send_status(self, request_number, code, desc=None):
        if desc is None and isinstance(code, StatusWithMessage):
            desc = code.message
        return super()._send_status(request_number, int(code), desc)

    def _process(self, t, request_number, msg):
        if t == CMD_EXTENDED:
            request = msg.get_remainder()
            if Message(request).get_text() == LIMITS_EXTENSION:
                self._send_limits(request_number)
                return None
            return super()._process(t, request_number, Message(request))
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
