"""Control an INSTAR camera through its HTTP CGI (`param.cgi`), in both dialects.

Full HD (1080p) takes ``-name=value`` parameters, WQHD (1440p) plain ``name=value`` (see
docs/cameras.md, Camera control). Both answer ``key="value";`` lines (Full HD prefixes
``var ``); an error is an ``[Error] …`` line or an ``error="…"`` key. Every call uses HTTP basic
auth with the login the owner stored; that login never leaves this module in a message or a log
line.

Paths marked *unconfirmed* are from the vendor wiki and not yet seen on a real camera.
"""

from __future__ import annotations

import base64
import http.client
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlencode

from core.http_target import (
    AddressPolicy,
    AllowedNetworks,
    ConnectionDeadline,
    TargetRefused,
    open_connection,
    parse_http_url,
)

logger = logging.getLogger(__name__)

MAX_SNAPSHOT_BYTES = 8 * 1024 * 1024
AREAS = range(1, 5)
# The upload settings `set_upload` writes (docs/cameras.md, Upload settings in the camera).
UPLOAD_FIELDS = frozenset(
    {
        "ft_server",
        "ft_port",
        "ft_username",
        "ft_password",
        "ft_dirname",
        "ft_autocreatedir",
        "ft_dirmode",
        "ft_ssl",
        "ft_insecure",
        "ft_mode",
    }
)
PRESETS = range(0, 8)

_LINE = re.compile(r'^\s*(?:var\s+)?(?P<key>[\w.\-\[\]]+)\s*=\s*"?(?P<value>[^";]*)"?\s*;?\s*$')


UNREACHABLE = "the camera cannot be reached (address, port, login and TLS setting right?)"


class CameraError(Exception):
    """The camera could not do what was asked; the message is safe to show to its owner."""


class CameraTimeout(CameraError):
    """The camera did not answer in time."""


class CameraUnreachable(CameraError):
    """No connection to the camera (address wrong, camera offline, address not allowed)."""


class CameraLoginRefused(CameraError):
    """The camera refused the stored login."""


Command = dict[str, str]


class FullHdDialect:
    """1080p series (IN-8001, IN-8003, IN-8015, IN-9008, IN-9010, IN-9020)."""

    name = "fullhd"
    snapshot_path = "/tmpfs/snap.jpg"  # noqa: S108 - a URL path on the camera
    mjpeg_path = "/mjpegstream.cgi?-chn=11"  # unconfirmed

    def motion_detection(self, enabled: bool) -> list[Command]:
        # This series has no single "armed" switch: motion detection is its four areas.
        return [self.alarm_area(area, enabled)[0] for area in AREAS]

    def alarm_email(self, enabled: bool) -> list[Command]:
        return [{"cmd": "setmdalarm", "-aname": "emailsnap", "-switch": "on" if enabled else "off"}]

    def goto_preset(self, number: int) -> list[Command]:
        return [{"cmd": "preset", "-act": "goto", "-number": str(number)}]

    def alarm_area(self, area: int, enabled: bool, sensitivity: int | None = None) -> list[Command]:
        command = {"cmd": "setmdattr", "-name": str(area), "-enable": _bit(enabled)}
        if sensitivity is not None:
            command["-s"] = str(sensitivity)
        return [command]

    def upload_settings(self, values: dict[str, str]) -> list[Command]:
        return [{"cmd": "setftpattr", **{f"-{name}": value for name, value in values.items()}}]

    def upload_test(self) -> list[Command]:
        return [{"cmd": "testftp"}]  # unconfirmed


class WqhdDialect:
    """1440p / 2K+ series (IN-8401, IN-8403, IN-8415, IN-9408, IN-9420)."""

    name = "wqhd"
    snapshot_path = "/snap.cgi?chn=11"  # unconfirmed
    mjpeg_path = "/livestream/11?action=play&media=mjpeg"  # unconfirmed

    def motion_detection(self, enabled: bool) -> list[Command]:
        return [{"cmd": "setalarmattr", "armed": _bit(enabled)}]

    def alarm_email(self, enabled: bool) -> list[Command]:
        return [{"cmd": "setmaaction", "enable": _bit(enabled)}]

    def goto_preset(self, number: int) -> list[Command]:
        return [{"cmd": "setptzpreset", "act": "goto", "index": str(number)}]  # unconfirmed

    def alarm_area(self, area: int, enabled: bool, sensitivity: int | None = None) -> list[Command]:
        command = {"cmd": "setmdattr", "area": str(area), "enable": _bit(enabled)}
        if sensitivity is not None:
            command["s"] = str(sensitivity)
        return [command]

    def upload_settings(self, values: dict[str, str]) -> list[Command]:
        return [{"cmd": "setftpattr", **values}]

    def upload_test(self) -> list[Command]:
        return [{"cmd": "testftp"}]  # unconfirmed


DIALECTS: dict[str, FullHdDialect | WqhdDialect] = {
    "fullhd": FullHdDialect(),
    "wqhd": WqhdDialect(),
}


def _bit(flag: bool) -> str:
    return "1" if flag else "0"


def dialect_for_model(model: str) -> str:
    """The CGI dialect a camera model speaks (WQHD models are IN-x4xx)."""
    return "wqhd" if re.match(r"^IN-\d4\d\d", model or "") else "fullhd"


@dataclass(frozen=True)
class CameraLogin:
    """Where a camera is and how to log in; opened from its sealed form only to make calls."""

    address: str
    username: str
    password: str
    dialect: str
    verify_tls: bool = False

    def __repr__(self) -> str:  # never print the login, not even in a traceback
        return f"CameraLogin(dialect={self.dialect!r})"


def parse_cgi_answer(text: str) -> dict[str, str]:
    """``key="value";`` lines into a dict; CameraError for an ``[Error]`` line or ``error=``."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.lower().startswith("[error]"):
            raise CameraError("the camera refused the command: " + _clean(stripped[7:]))
        match = _LINE.match(stripped)
        if match:
            values[match["key"]] = match["value"]
    if "error" in values:
        raise CameraError("the camera refused the command: " + _clean(values["error"]))
    return values


def _clean(text: str) -> str:
    return re.sub(r"[^\w .,:;()/-]", "", text).strip()[:160] or "no reason given"


class CameraClient:
    """One camera's CGI: ``run`` commands, fetch a snapshot, open the MJPEG stream."""

    def __init__(
        self,
        login: CameraLogin,
        *,
        timeout: float = 8.0,
        policy: AddressPolicy | AllowedNetworks = AddressPolicy.LAN,
    ) -> None:
        self.login = login
        self.dialect = DIALECTS[login.dialect]
        self.timeout = timeout
        self.policy = policy
        try:
            self.target = parse_http_url(login.address, default_scheme="http")
        except TargetRefused as error:
            raise CameraUnreachable(f"the stored camera address is not usable: {error}") from None

    # -- commands ----------------------------------------------------------------------------
    def set_motion_detection(self, enabled: bool) -> None:
        self.run(self.dialect.motion_detection(enabled))

    def set_alarm_email(self, enabled: bool) -> None:
        self.run(self.dialect.alarm_email(enabled))

    def goto_preset(self, number: int) -> None:
        if number not in PRESETS:
            raise ValueError("preset must be 0..7")
        self.run(self.dialect.goto_preset(number))

    def set_alarm_area(self, area: int, enabled: bool, sensitivity: int | None = None) -> None:
        if area not in AREAS:
            raise ValueError("area must be 1..4")
        if sensitivity is not None and not 1 <= sensitivity <= 100:
            raise ValueError("sensitivity must be 1..100")
        self.run(self.dialect.alarm_area(area, enabled, sensitivity))

    def set_upload(self, values: dict[str, str]) -> None:
        """Write the FTP/FTPS/SFTP upload settings (``ft_*`` names without the dialect's dash)."""
        unknown = set(values) - UPLOAD_FIELDS
        if unknown:
            raise ValueError(f"not upload settings: {sorted(unknown)}")
        self.run(self.dialect.upload_settings(values))

    def run_upload_test(self) -> None:
        """The camera's own upload test: it logs in to the server it was given and uploads a
        test file; CameraError with the camera's reason when that fails. The camera answers
        only when its test is over, so this waits up to ``timeout``."""
        self.run(self.dialect.upload_test())

    def run(self, commands: list[Command]) -> list[dict[str, str]]:
        answers = []
        for command in commands:
            body = self._get("/param.cgi?" + urlencode(command), limit=64 * 1024)
            answers.append(parse_cgi_answer(body.decode("utf-8", "replace")))
            logger.info("camera cgi dialect=%s cmd=%s ok", self.dialect.name, command["cmd"])
        return answers

    # -- pictures ----------------------------------------------------------------------------
    def snapshot(self) -> bytes:
        data = self._get(self.dialect.snapshot_path, limit=MAX_SNAPSHOT_BYTES)
        if not data.startswith(b"\xff\xd8"):
            raise CameraError("the camera did not send a JPEG picture")
        return data

    def mjpeg_stream(
        self, max_s: float, max_bytes: int | None = None
    ) -> tuple[str, Iterator[bytes]]:
        """The camera's multipart MJPEG content type and an iterator over its raw chunks.

        The connection stays open until the iterator is closed or exhausted, ``max_s`` seconds
        at most (counted from the request, however slowly the camera sends).
        """
        connection, response, deadline = self._request(self.dialect.mjpeg_path, max_s)
        content_type = response.getheader("Content-Type", "")
        if not content_type.startswith("multipart/"):
            deadline.cancel()
            connection.close()
            raise CameraError("the camera did not send an MJPEG stream")

        def chunks() -> Iterator[bytes]:
            sent = 0
            try:
                while not deadline.expired:
                    chunk = response.read1(64 * 1024)
                    if not chunk or deadline.expired:
                        return
                    sent += len(chunk)
                    yield chunk
                    if max_bytes is not None and sent >= max_bytes:
                        return
            except (OSError, ValueError, http.client.HTTPException):
                return
            finally:
                deadline.cancel()
                connection.close()

        return content_type, chunks()

    # -- HTTP --------------------------------------------------------------------------------
    def _get(self, path: str, *, limit: int) -> bytes:
        """The whole answer within ``timeout`` seconds from the request (not per read)."""
        connection, response, deadline = self._request(path, self.timeout)
        try:
            data = response.read(limit + 1)
        except TimeoutError:
            raise CameraTimeout("the camera did not answer in time") from None
        except (OSError, ValueError, http.client.HTTPException):
            if deadline.expired:
                raise CameraTimeout("the camera did not answer in time") from None
            raise CameraUnreachable("the connection to the camera broke off") from None
        finally:
            deadline.cancel()
            connection.close()
        if deadline.expired:
            raise CameraTimeout("the camera did not answer in time")
        if len(data) > limit:
            raise CameraError("the camera's answer is too large")
        return data

    def _request(
        self, path: str, deadline_s: float
    ) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse, ConnectionDeadline]:
        credentials = f"{self.login.username}:{self.login.password}".encode()
        headers = {
            "Authorization": "Basic " + base64.b64encode(credentials).decode("ascii"),
            "User-Agent": "AlarmVault",
        }
        # Until the camera's answer head arrives, every failure (address not allowed, name not
        # resolved, port closed, host unreachable, no answer, not HTTP) is the same error after
        # the same time, ``timeout``: the relay must not tell a stranger which addresses and
        # ports exist where the server is (a port scanner run through our cameras).
        started = time.monotonic()
        deadline = ConnectionDeadline(deadline_s)
        connection: http.client.HTTPConnection | None = None
        try:
            connection = open_connection(
                self.target, self.policy, self.timeout, verify_tls=self.login.verify_tls
            )
            connection.connect()
            deadline.watch(connection.sock)
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            if deadline.expired:
                raise TimeoutError
        except (TargetRefused, OSError, ValueError, http.client.HTTPException):
            deadline.cancel()
            if connection is not None:
                connection.close()
            time.sleep(max(0.0, started + self.timeout - time.monotonic()))
            raise CameraUnreachable(UNREACHABLE) from None
        if response.status != 200:
            deadline.cancel()
            connection.close()
            if response.status in (401, 403):
                raise CameraLoginRefused("the camera refused the stored login")
            raise CameraError(f"the camera answered HTTP {response.status}")
        return connection, response, deadline
