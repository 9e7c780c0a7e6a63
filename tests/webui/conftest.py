"""Web UI fixtures: the app on a real catalog in a temp folder, a test client that logs in
through the real form (with its CSRF token), and recordings backed by real clip files."""

from __future__ import annotations

import io
import re
import shutil
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from core.catalog import atomic
from core.catalog.camera_access import store_camera_access
from core.catalog.notifications import add_target
from core.catalog.recordings import insert_recording
from core.catalog.stills import file_still
from core.clipstore import ClipStore
from pipeline.media.poster import write_poster
from pipeline.media.probe import probe_clip

# The fake camera and the real upload server, for "set up this camera for me" and the live view.
from tests.ingestd.conftest import ingest_settings, ingestd, server_keys  # noqa: F401
from tests.integrations.conftest import fake_camera  # noqa: F401
from webui import create_app

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


class BufferedClient(FlaskClient):
    """Reads and closes every response (file responses otherwise leave their file open)."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


@pytest.fixture
def app(settings, catalog):
    """The app over the same catalog file the `catalog` fixture writes to."""
    app = create_app({"SETTINGS": settings, "TESTING": True})
    app.test_client_class = BufferedClient
    return app


@pytest.fixture
def client(app):
    return app.test_client()


class AuthActions:
    def __init__(self, client) -> None:
        self._client = client

    def csrf(self, path: str = "/login") -> str:
        return csrf_from(self._client.get(path).get_data(as_text=True))

    def login(self, email: str, password: str, follow: bool = False):
        return self._client.post(
            "/login",
            data={"email": email, "password": password, "csrf_token": self.csrf()},
            follow_redirects=follow,
        )

    def login_as(self, user: dict):
        response = self.login(user["email"], user["password"])
        assert response.status_code == 302, response.get_data(as_text=True)[:400]
        return response

    def post(self, path: str, data: dict | None = None, form_page: str = "/account", **kwargs):
        """POST like the browser does: with the CSRF token from a page of the session."""
        return self._client.post(
            path, data={**(data or {}), "csrf_token": self.csrf(form_page)}, **kwargs
        )

    def logout(self):
        return self.post("/logout", form_page="/dashboard")


@pytest.fixture
def auth(client) -> AuthActions:
    return AuthActions(client)


_PROBES: dict[Path, object] = {}


@pytest.fixture
def store_recording(catalog, settings, camera_clip) -> Callable[..., dict]:
    """Index a real clip for ``camera`` the way the pipeline does: file under the recordings
    root, a poster under the thumbs root, a row with the probed values."""
    clips = ClipStore(settings.storage)

    def _store(
        camera: dict,
        started_at: str = "2026-11-25T13:05:01+00:00",
        clip: Path | None = None,
        poster: bool = True,
        **columns,
    ) -> dict:
        source = clip or camera_clip
        probe = _PROBES.get(source) or _PROBES.setdefault(source, probe_clip(source))
        job_id = uuid.uuid4().hex
        suffix = source.suffix.lstrip(".")
        relpath = clips.recording_relpath(camera["id"], started_at, job_id, suffix)
        target = clips.recording_file(relpath)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        thumb = clips.thumb_relpath(relpath)
        has_poster = poster and write_poster(target, clips.thumb_file(thumb))
        with atomic(catalog):
            recording_id = insert_recording(
                catalog,
                {
                    "camera_id": camera["id"],
                    "job_id": job_id,
                    "started_at": started_at,
                    "received_at": started_at,
                    "duration_s": round(probe.duration_s, 3),
                    "width": probe.width,
                    "height": probe.height,
                    "fps": probe.fps,
                    "frame_count": probe.frame_count,
                    "codec": probe.codec,
                    "container": suffix,
                    "size_bytes": target.stat().st_size,
                    "path": relpath,
                    "thumb_path": thumb if has_poster else None,
                    "original_name": f"A{started_at[:10].replace('-', '')}.{suffix}",
                    **columns,
                },
            )
        return dict(next(catalog.query("SELECT * FROM recordings WHERE id = ?", [recording_id])))

    return _store


def jpeg_bytes(width: int = 1280, height: int = 720) -> bytes:
    """A real JPEG of a gradient picture, as a camera's snapshot."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.linear_gradient("L").resize((width, height)).convert("RGB").save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def store_still(catalog, settings) -> Callable[..., dict]:
    """File a JPEG snapshot for ``camera`` the way the pipeline does: the file under the
    recordings root and the still row with the recording of its alarm (made if none)."""
    clips = ClipStore(settings.storage)

    def _store(camera: dict, taken_at: str = "2026-11-25T13:05:04+00:00") -> dict:
        job_id = uuid.uuid4().hex
        relpath = clips.recording_relpath(camera["id"], taken_at, job_id, "jpg")
        target = clips.recording_file(relpath)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(jpeg_bytes())
        with atomic(catalog):
            file_still(
                catalog,
                {
                    "camera_id": camera["id"],
                    "job_id": job_id,
                    "taken_at": taken_at,
                    "received_at": taken_at,
                    "width": 1280,
                    "height": 720,
                    "size_bytes": target.stat().st_size,
                    "path": relpath,
                    "original_name": "T20261125.jpg",
                },
                window_s=settings.validation.snapshot_window_s,
                longest_clip_s=settings.validation.max_duration_s,
            )
        return dict(next(catalog.query("SELECT * FROM stills WHERE job_id = ?", [job_id])))

    return _store


@pytest.fixture
def with_every_feature(catalog, store_still) -> Callable[[dict, dict, dict], None]:
    """What some pages show only once it exists, for the browser checks that open every page:
    snapshots with ``recording``'s clip, ``camera``'s stored login (its page then has the live
    view) and a phone subscribed to push (listed on the account page). The stored secrets are
    never opened by these pages, so they need not be real."""

    def _furnish(owner: dict, camera: dict, recording: dict) -> None:
        started = datetime.fromisoformat(recording["started_at"])
        store_still(camera, (started + timedelta(seconds=3)).isoformat())
        store_camera_access(catalog, camera["id"], "fullhd", "sealed login, not opened by pages")
        add_target(
            catalog,
            owner["id"],
            kind="webpush",
            name="Pixel 8 in the hall",
            events=["recording"],
            sealed_url="sealed subscription, not opened by pages",
            url_host="push.example.net",
        )

    return _furnish


@pytest.fixture
def outbox(settings):
    """The mails the UI wrote (no SMTP host is configured in tests)."""
    from core.mailer import read_outbox

    return lambda: read_outbox(settings.storage.outbox_dir)


def link_in(message, path_prefix: str) -> str:
    """The path of the first link in a mail that starts with ``path_prefix``."""
    body = message.get_content()
    match = re.search(r"https?://[^/\s]+(" + re.escape(path_prefix) + r"\S*)", body)
    assert match, f"no {path_prefix} link in: {body}"
    return match.group(1)


@pytest.fixture
def live_server(config_file, settings, catalog):
    """``python -m webui`` (waitress) in a real process on a free port; its base URL."""
    import os
    import subprocess
    import sys
    import time
    import urllib.request

    from tests.conftest import REPO

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    log = config_file.parent / "webui.log"
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "webui", "--config", str(config_file)],
            cwd=REPO,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    base = f"http://{settings.web.listen}"
    try:
        deadline = time.monotonic() + 20
        while True:
            assert process.poll() is None, log.read_text()
            try:
                urllib.request.urlopen(base + "/login", timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert process.returncode == 0, log.read_text()


@pytest.fixture
def screenshots(request):
    """``shot(page, "name")`` saves test-output/webui/<test>/<n>-name.png."""
    from tests.conftest import TEST_OUTPUT

    folder = TEST_OUTPUT / "webui" / request.node.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)  # another test run may have made it meanwhile
    counter = iter(range(1, 100))

    def shot(page, name: str) -> Path:
        path = folder / f"{next(counter):02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return shot
