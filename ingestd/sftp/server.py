"""Who may log in over SSH, and what a camera's session knows (paramiko ServerInterface)."""

from __future__ import annotations

import errno
import logging
import threading
import time
from collections.abc import Callable

import paramiko

from core.catalog.login_crypto import LoginCrypto
from core.spool import shorten_address
from ingestd.credentials import (
    MSG_BANNED,
    MSG_WRONG,
    CameraAccount,
    CameraCredentials,
    LoginRefused,
)
from ingestd.filesystems import DEFAULT_FOLDER_LIMITS, FolderLimits
from ingestd.handover import HandedOverFiles, UploadHandover
from ingestd.limits import StorageGuard
from ingestd.sftp.channel_buffer import use_chunked_buffer

logger = logging.getLogger(__name__)


class CameraSSHServer(paramiko.ServerInterface):
    """One SSH connection from a camera: its login and its session state."""

    def __init__(
        self,
        remote_ip: str,
        credentials: CameraCredentials,
        handover: UploadHandover,
        guard: StorageGuard,
        *,
        public_keys: bool,
        folder_limits: FolderLimits = DEFAULT_FOLDER_LIMITS,
        max_open_files: int = 8,
        max_channels: int = 4,
        login_crypto: Callable[[], LoginCrypto] | None = None,
    ) -> None:
        self.remote_ip = remote_ip
        self.folder_limits = folder_limits
        # Each open upload holds a file descriptor of the process every camera shares.
        self.max_open_files = max_open_files
        self._open_files = 0
        self._open_files_lock = threading.Lock()
        # Every channel may run a thread and buffer a whole SSH window: a bound per connection.
        self.max_channels = max_channels
        self._channels_opened = 0
        self.credentials = credentials
        self.handover = handover
        self.guard = guard
        self.public_keys = public_keys
        # What the connection negotiated, noted in the catalog at login (the camera page).
        self.login_crypto = login_crypto
        self.account: CameraAccount | None = None
        # Set when the password was right but the camera may not upload (suspended, ...):
        # SSH cannot say why a login failed, so every file operation says it instead.
        self.refusal: str | None = None
        self.session_bytes = 0
        self.handed_over = HandedOverFiles()
        self.connected_at = time.monotonic()
        self.last_active = self.connected_at
        self.ended = threading.Event()
        # paramiko runs the SFTP subsystem in a thread of its own; stop() waits for it.
        self.subsystem_threads: list[threading.Thread] = []

    @property
    def log_identity(self) -> str:
        camera = self.account.camera_id if self.account else "-"
        return f"{shorten_address(self.remote_ip)} camera={camera}"

    @property
    def camera(self) -> CameraAccount:
        """The logged-in camera: file operations run only after a login."""
        if self.account is None:
            raise PermissionError(errno.EACCES, "not logged in")
        return self.account

    def touch(self) -> None:
        self.last_active = time.monotonic()

    def take_open_file(self) -> bool:
        """One more file open for upload in this session; False when it has all it may."""
        with self._open_files_lock:
            if self._open_files >= self.max_open_files:
                return False
            self._open_files += 1
            return True

    def release_open_file(self) -> None:
        with self._open_files_lock:
            self._open_files -= 1

    # --- authentication

    def get_allowed_auths(self, username: str) -> str:
        return "password,publickey" if self.public_keys else "password"

    def check_auth_password(self, username: str, password: str) -> int:
        try:
            account = self.credentials.password_login(username, password, self.remote_ip)
        except LoginRefused as refusal:
            return self._refused(str(refusal))
        except Exception:
            logger.exception("sftp login check failed")
            return paramiko.AUTH_FAILED
        return self._granted(account, "password")

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        if not self.public_keys:
            return paramiko.AUTH_FAILED
        try:
            account = self.credentials.key_login(username, key.get_base64(), self.remote_ip)
        except LoginRefused as refusal:
            return self._refused(str(refusal))
        except Exception:
            logger.exception("sftp key login check failed")
            return paramiko.AUTH_FAILED
        return self._granted(account, "publickey")

    def _granted(self, account: CameraAccount, method: str) -> int:
        self.account = account
        self.touch()
        if self.login_crypto is not None:
            self.credentials.record_login_crypto(account.camera_id, self.login_crypto())
        logger.debug("%s logged in over sftp (%s)", self.log_identity, method)
        return paramiko.AUTH_SUCCESSFUL

    def _refused(self, message: str) -> int:
        if message in (MSG_WRONG, MSG_BANNED):
            logger.debug("%s sftp login refused: %s", self.log_identity, message)
            return paramiko.AUTH_FAILED
        self.refusal = message
        logger.info("%s sftp login refused: %s", self.log_identity, message)
        return paramiko.AUTH_SUCCESSFUL

    # --- channels: only the sftp subsystem of a session, never a shell or a forward

    def check_channel_request(self, kind: str, chanid: int) -> int:
        if kind != "session":
            return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED
        # Called from the transport's own thread only: no lock needed.
        if self._channels_opened >= self.max_channels:
            logger.info(
                "%s ssh channel refused: %d opened already", self.log_identity, self.max_channels
            )
            return paramiko.OPEN_FAILED_RESOURCE_SHORTAGE
        self._channels_opened += 1
        return paramiko.OPEN_SUCCEEDED

    def check_channel_exec_request(self, channel: paramiko.Channel, command: bytes) -> bool:
        """Commands never run. ``scp -O`` (the legacy scp protocol runs ``scp -t`` on the
        server) is told why in its own protocol, so it prints the message and exits 1; any other
        command (rclone's shell detection, ``ssh host cmd``) gets a plain refusal of the request,
        which every client handles at once."""
        legacy_scp = command.split(b" ", 1)[0] == b"scp"
        logger.info(
            "%s ssh command refused (%s)", self.log_identity, "scp" if legacy_scp else "exec"
        )
        if not legacy_scp:
            return False
        # Answered from a thread: the reply to this request must go out first.
        threading.Thread(
            target=refuse_command, args=(channel, legacy_scp), name="ingestd-sftp-refuse"
        ).start()
        return True

    def check_channel_subsystem_request(self, channel, name: str) -> bool:
        if name != "sftp":
            return False
        # Swapped here, in the transport's own thread, before the client may send a byte.
        use_chunked_buffer(channel)
        return super().check_channel_subsystem_request(channel, name)


MSG_SFTP_ONLY = (
    "This server takes uploads over SFTP only: use sftp, or scp without -O (the legacy scp "
    "protocol is not supported)."
)


def refuse_command(channel: paramiko.Channel, legacy_scp: bool) -> None:
    """Tell the client why its command does not run, then end the channel with status 1."""
    try:
        if legacy_scp:
            # The scp protocol's error reply: byte 1, the message, a newline.
            channel.sendall(b"\x01" + MSG_SFTP_ONLY.encode() + b"\n")
        else:
            channel.sendall_stderr(MSG_SFTP_ONLY.encode() + b"\n")
        channel.send_exit_status(1)
    except (OSError, EOFError, paramiko.SSHException):
        pass
    finally:
        channel.close()
