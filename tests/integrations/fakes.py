"""Things outside AlarmVault, run for real on loopback: a camera that speaks both INSTAR CGI
dialects and records every call, a webhook receiver that checks signatures, and a mosquitto
broker."""

from __future__ import annotations

import base64
import contextlib
import ftplib
import hashlib
import hmac
import io
import json
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self
from urllib.parse import parse_qsl, urlsplit

import cv2
import numpy as np
import paramiko

BOUNDARY = "instarframe"


def make_jpeg(seed: int = 0) -> bytes:
    picture = np.full((72, 128, 3), (seed * 40) % 256, dtype=np.uint8)
    cv2.putText(picture, f"cam {seed}", (5, 40), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (255, 255, 255))
    ok, data = cv2.imencode(".jpg", picture)
    assert ok
    return data.tobytes()


@dataclass
class CgiCall:
    path: str
    params: dict[str, str]
    authorization: str | None

    @property
    def login(self) -> tuple[str, str] | None:
        if not self.authorization or not self.authorization.startswith("Basic "):
            return None
        user, _, password = base64.b64decode(self.authorization[6:]).decode().partition(":")
        return user, password


@dataclass
class CameraState:
    armed: str = "1"
    email: str = "1"
    preset: str | None = None
    upload: dict[str, str] = field(default_factory=dict)  # ft_* without the dialect's dash
    areas: dict[str, dict[str, str]] = field(
        default_factory=lambda: {str(n): {"enable": "1", "s": "50"} for n in range(1, 5)}
    )


# Any printable text (a server name, a login): checked by the camera only for length.
TEXT = "text"
# The upload settings (docs/cameras.md); ``ft_ssl`` 2 (SFTP) only on WQHD cameras.
UPLOAD_PARAMS: dict[str, object] = {
    "ft_server": TEXT,
    "ft_port": range(1, 65536),
    "ft_username": TEXT,
    "ft_password": TEXT,
    "ft_dirname": TEXT,
    "ft_autocreatedir": {"0", "1"},
    "ft_dirmode": {"0", "1"},
    "ft_insecure": {"0", "1"},
    "ft_mode": {"0", "1"},
}
# What each dialect accepts: cmd -> {parameter: allowed values (a range: digits in it)}.
FULLHD_COMMANDS = {
    "setmdattr": {"-name": {"1", "2", "3", "4"}, "-enable": {"0", "1"}, "-s": range(0, 101)},
    "setmdalarm": {"-aname": {"emailsnap"}, "-switch": {"on", "off"}},
    "preset": {"-act": {"goto"}, "-number": range(0, 8)},
    "setftpattr": {
        **{f"-{name}": values for name, values in UPLOAD_PARAMS.items()},
        "-ft_ssl": {"0", "1"},
    },
    "testftp": {},
}
WQHD_COMMANDS = {
    "setalarmattr": {"armed": {"0", "1"}},
    "setmdattr": {"area": {"1", "2", "3", "4"}, "enable": {"0", "1"}, "s": range(1, 101)},
    "setmaaction": {"enable": {"0", "1"}},
    "setptzpreset": {"act": {"goto"}, "index": range(0, 8)},
    "setftpattr": {**UPLOAD_PARAMS, "ft_ssl": {"0", "1", "2"}},
    "testftp": {},
}
TEST_UPLOAD_NAME = "instar-upload-test.jpg"


class LoopbackHttpServer:
    """An HTTP server on a free loopback port, served from a thread between ``start()`` and
    ``stop()``; a subclass gives the request handler class from ``_handler()``."""

    def __init__(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        # Non-daemon request threads are joined by server_close(): a request still being
        # answered (a slow camera's, after the client gave up) ends with its test.
        self._server.daemon_threads = False
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        raise NotImplementedError


class FakeCamera(LoopbackHttpServer):
    """An INSTAR camera's HTTP server: ``param.cgi`` in one dialect, a snapshot, MJPEG."""

    def __init__(self, dialect: str, username: str = "admin", password: str = "instar-Pw1") -> None:
        self.dialect = dialect
        self.username = username
        self.password = password
        self.calls: list[CgiCall] = []
        self.state = CameraState()
        self.delay_s = 0.0
        # Seconds between single bytes of pictures and streams (0: at once): a camera (or
        # something pretending to be one) that trickles its answer to hold the caller.
        self.trickle_s = 0.0
        self.fail_status: int | None = None
        self.frames = [make_jpeg(n) for n in range(3)]
        super().__init__()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def cgi_calls(self) -> list[dict[str, str]]:
        return [call.params for call in self.calls if call.path == "/param.cgi"]

    # -- the camera's behaviour --------------------------------------------------------------
    def answer_cgi(self, params: dict[str, str]) -> tuple[int, str]:
        commands = FULLHD_COMMANDS if self.dialect == "fullhd" else WQHD_COMMANDS
        cmd = params.get("cmd", "")
        allowed = commands.get(cmd)
        if allowed is None:
            return 200, f'[Error] Error. cmd "{cmd}" is unknown.\r\n'
        for name, value in params.items():
            if name == "cmd":
                continue
            values = allowed.get(name)
            if values == TEXT:
                ok = 0 < len(value) <= 64 and value.isprintable()
            elif isinstance(values, set):
                ok = value in values
            else:
                ok = isinstance(values, range) and value.isdigit() and int(value) in values
            if not ok:
                return 200, "[Error] Error. param is invalid.\r\n"
        if cmd == "testftp":
            failure = self.upload_test()
            if failure:
                if self.dialect == "fullhd":
                    return 200, f"[Error] {failure}\r\n"
                return 200, f'cmd="testftp";\r\nerror="{failure}";\r\n'
        self._apply(cmd, params)
        if self.dialect == "fullhd":
            return 200, "[Succeed]set ok.\r\n"
        return 200, f'cmd="{cmd}";\r\nresponse="200";\r\n'

    def _apply(self, cmd: str, params: dict[str, str]) -> None:
        strip = {key.lstrip("-"): value for key, value in params.items()}
        if cmd == "setalarmattr":
            self.state.armed = strip["armed"]
        elif cmd == "setmdattr":
            area = self.state.areas[strip.get("name") or strip["area"]]
            area["enable"] = strip["enable"]
            if "s" in strip:
                area["s"] = strip["s"]
        elif cmd == "setmdalarm":
            self.state.email = "1" if strip["switch"] == "on" else "0"
        elif cmd == "setmaaction":
            self.state.email = strip["enable"]
        elif cmd in ("preset", "setptzpreset"):
            self.state.preset = strip.get("number") or strip.get("index")
        elif cmd == "setftpattr":
            self.state.upload.update(strip)

    def upload_test(self) -> str | None:
        """What the camera's "Test" button does: log in to the server it was given and upload
        a picture there, by FTP, FTPS or SFTP (real clients). None, or why it failed."""
        upload = self.state.upload
        if not upload.get("ft_server"):
            return "no FTP server set"
        picture = self.frames[0]
        try:
            if upload.get("ft_ssl") == "2":
                self._sftp_upload(upload, picture)
            else:
                self._ftp_upload(upload, picture)
        except (OSError, EOFError, ftplib.Error, paramiko.SSHException) as error:
            return f"upload test failed ({type(error).__name__})"
        return None

    @staticmethod
    def _ftp_upload(upload: dict[str, str], picture: bytes) -> None:
        client = ftplib.FTP_TLS() if upload.get("ft_ssl") == "1" else ftplib.FTP()
        with client:
            client.connect(upload["ft_server"], int(upload["ft_port"]), timeout=10)
            client.login(upload["ft_username"], upload["ft_password"])
            if isinstance(client, ftplib.FTP_TLS):
                client.prot_p()
            folder = upload.get("ft_dirname", "")
            if folder:
                if upload.get("ft_autocreatedir") == "1":
                    with contextlib.suppress(ftplib.error_perm):
                        client.mkd(folder)
                client.cwd(folder)
            client.storbinary(f"STOR {TEST_UPLOAD_NAME}", io.BytesIO(picture))

    @staticmethod
    def _sftp_upload(upload: dict[str, str], picture: bytes) -> None:
        transport = paramiko.Transport((upload["ft_server"], int(upload["ft_port"])))
        try:
            transport.connect(username=upload["ft_username"], password=upload["ft_password"])
            sftp = paramiko.SFTPClient.from_transport(transport)
            assert sftp is not None
            folder = upload.get("ft_dirname", "")
            if folder and upload.get("ft_autocreatedir") == "1":
                with contextlib.suppress(OSError):
                    sftp.mkdir(folder)
            target = f"{folder}/{TEST_UPLOAD_NAME}" if folder else TEST_UPLOAD_NAME
            with sftp.open(target, "wb") as handle:
                handle.write(picture)
        finally:
            transport.close()

    def _handler(self):
        camera = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                call = CgiCall(
                    parts.path, dict(parse_qsl(parts.query)), self.headers.get("Authorization")
                )
                camera.calls.append(call)
                if camera.delay_s:
                    time.sleep(camera.delay_s)
                if call.login != (camera.username, camera.password):
                    return self._send(
                        401,
                        b"401 Unauthorized",
                        "text/html",
                        {"WWW-Authenticate": 'Basic realm="camera"'},
                    )
                if camera.fail_status:
                    return self._send(camera.fail_status, b"error", "text/html")
                if parts.path == "/param.cgi":
                    status, text = camera.answer_cgi(call.params)
                    return self._send(status, text.encode(), "text/plain")
                snapshot = "/tmpfs/snap.jpg" if camera.dialect == "fullhd" else "/snap.cgi"
                stream = "/mjpegstream.cgi" if camera.dialect == "fullhd" else "/livestream/11"
                if parts.path == snapshot:
                    return self._send(200, camera.frames[0], "image/jpeg")
                if parts.path == stream:
                    return self._stream()
                return self._send(404, b"not found", "text/html")

            def _send(self, status, body, content_type, headers=None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self._write(body)

            def _write(self, data: bytes) -> None:
                if not camera.trickle_s:
                    self.wfile.write(data)
                    return
                try:
                    for index in range(len(data)):
                        self.wfile.write(data[index : index + 1])
                        self.wfile.flush()
                        time.sleep(camera.trickle_s)
                except OSError:
                    pass  # the caller gave up, as it should

            def _stream(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
                self.end_headers()
                for frame in camera.frames:
                    self._write(
                        f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\n"
                        f"Content-Length: {len(frame)}\r\n\r\n".encode()
                        + frame
                        + b"\r\n"
                    )
                self._write(f"--{BOUNDARY}--\r\n".encode())
                self.close_connection = True

        return Handler


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes
    signature_ok: bool

    @property
    def json(self) -> dict:
        return json.loads(self.body)


class WebhookReceiver(LoopbackHttpServer):
    """Receives webhook POSTs and checks their HMAC-SHA256 signature the way a customer's
    receiver would; answers ``statuses`` in turn (then 200)."""

    def __init__(self) -> None:
        self.secret: str | None = None
        self.deliveries: list[Delivery] = []
        self.statuses: list[int] = []
        self.received = threading.Event()
        # Seconds between single bytes of a long answer (0: an empty answer at once): a
        # receiver that holds the sender as long as it lets itself be held.
        self.drip_s = 0.0
        super().__init__()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/alarm?source=alarmvault"

    def check(self, timestamp: str, body: bytes, signature: str) -> bool:
        if not self.secret:
            return False
        expected = hmac.new(self.secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
        return hmac.compare_digest("sha256=" + expected.hexdigest(), signature)

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {name.lower(): value for name, value in self.headers.items()}
                ok = receiver.check(
                    headers.get("x-alarmvault-timestamp", ""),
                    body,
                    headers.get("x-alarmvault-signature", ""),
                )
                receiver.deliveries.append(Delivery(headers, body, ok))
                status = receiver.statuses.pop(0) if receiver.statuses else (200 if ok else 401)
                receiver.received.set()
                self.send_response(status)
                if not receiver.drip_s:
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_header("Content-Length", "100000")
                self.end_headers()
                try:
                    for _ in range(100_000):
                        self.wfile.write(b".")
                        self.wfile.flush()
                        time.sleep(receiver.drip_s)
                except OSError:
                    pass  # the sender gave up, as it should

        return Handler


MOSQUITTO = Path("/usr/sbin/mosquitto")


class Mosquitto:
    """A real mosquitto broker on a free loopback port, anonymous access, no persistence."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder = folder
        self.port = port
        self.process: subprocess.Popen | None = None

    def start(self) -> Mosquitto:
        binary = MOSQUITTO if MOSQUITTO.exists() else shutil.which("mosquitto")
        assert binary, "mosquitto is not installed: run scripts/install-sysdeps"
        config = self.folder / "mosquitto.conf"
        config.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
            "log_dest stderr\n"
        )
        self.log = (self.folder / "mosquitto.log").open("wb")
        self.process = subprocess.Popen(
            [str(binary), "-c", str(config)], stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 10
        while True:
            assert self.process.poll() is None, (self.folder / "mosquitto.log").read_text()
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                assert time.monotonic() < deadline, "mosquitto did not start"
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.log.close()
