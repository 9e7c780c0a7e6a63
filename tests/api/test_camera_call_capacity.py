"""One customer's camera calls cannot make the web server unresponsive for the others.

Run against the real server (``python -m webui``, waitress with its worker threads) over
loopback, with a fake camera that trickles one byte at a time, as an attacker's "camera" would.
"""

from __future__ import annotations

import http.client
import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from core.catalog.tokens import create_token
from tests.integrations.fakes import FakeCamera
from tests.webui.conftest import live_server  # noqa: F401 - the fixture

TRICKLE_S = 0.05  # one byte every 50 ms: a 2 KB picture would take ~100 s
CAMERA_TIMEOUT_S = 1.0
STREAM_MAX_S = 5


@pytest.fixture
def settings_dict(settings_dict):
    # The defaults of [web] threads (8), [api] camera_calls_per_account (2) and
    # camera_call_threads (4) are what is tested; only the times are shortened.
    settings_dict["api"] = {
        **settings_dict["api"],
        "camera_timeout_s": CAMERA_TIMEOUT_S,
        "live_stream_max_s": STREAM_MAX_S,
    }
    return settings_dict


@pytest.fixture
def trickling_camera():
    camera = FakeCamera("fullhd").start()
    camera.trickle_s = TRICKLE_S
    yield camera
    camera.stop()


@pytest.fixture
def account_with_camera(live_server, catalog, make_user, make_camera, trickling_camera):  # noqa: F811
    """A user whose camera (the trickling one) is stored; returns (user, camera id, token)."""

    def _make():
        user = make_user()
        camera = make_camera(user)
        token = create_token(catalog, user["id"], "control", "control")[1]
        stored = requests.put(
            f"{live_server}/api/v1/cameras/{camera['id']}/access",
            json={
                "address": trickling_camera.address,
                "username": trickling_camera.username,
                "password": trickling_camera.password,
                "dialect": "fullhd",
            },
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert stored.status_code == 200, stored.text
        return user, camera["id"], token

    return _make


def open_stream(base: str, camera_id: int, token: str):
    """A live.mjpeg request whose answer head is read; the connection is left open."""
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.request(
        "GET",
        f"/api/v1/cameras/{camera_id}/live.mjpeg",
        headers={"Authorization": f"Bearer {token}"},
    )
    return connection, connection.getresponse()


def timed_login(base: str, user: dict) -> tuple[int, float]:
    started = time.monotonic()
    with requests.Session() as session:
        page = session.get(f"{base}/login", timeout=10)
        csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
        assert csrf
        answer = session.post(
            f"{base}/login",
            data={"email": user["email"], "password": user["password"], "csrf_token": csrf[1]},
            allow_redirects=False,
            timeout=10,
        )
    return answer.status_code, time.monotonic() - started


def test_parallel_live_streams_of_one_account_leave_the_login_page_answering(
    live_server,  # noqa: F811
    account_with_camera,
    make_user,
):
    _, camera_id, token = account_with_camera()
    bystander = make_user()
    opened = []
    try:
        with ThreadPoolExecutor(8) as pool:
            opened = list(pool.map(lambda _: open_stream(live_server, camera_id, token), range(8)))
        statuses = sorted(response.status for _, response in opened)
        # Two streams for the account, the rest refused at once with the documented JSON.
        assert statuses == [200, 200] + [429] * 6
        refused = next(response for _, response in opened if response.status == 429)
        assert refused.getheader("Content-Type") == "application/json"
        assert b"too_many_camera_calls" in refused.read()

        status, seconds = timed_login(live_server, bystander)
        assert status == 302
        assert seconds < 2.0

        # The streams end at live_stream_max_s although the camera still trickles bytes.
        started = time.monotonic()
        for _, response in opened:
            if response.status == 200:
                response.read()
        assert time.monotonic() - started < STREAM_MAX_S + 3
    finally:
        for connection, _ in opened:
            connection.close()
    # Ended streams gave their slots back.
    connection, response = open_stream(live_server, camera_id, token)
    assert response.status == 200
    connection.close()


def test_camera_calls_of_many_accounts_never_take_the_threads_of_the_pages(
    live_server,  # noqa: F811
    account_with_camera,
    make_user,
):
    accounts = [account_with_camera() for _ in range(3)]
    bystander = make_user()
    opened = []
    try:
        for _, camera_id, token in accounts[:2]:
            opened += [open_stream(live_server, camera_id, token) for _ in range(2)]
        assert [response.status for _, response in opened] == [200] * 4
        _, camera_id, token = accounts[2]
        connection, response = open_stream(live_server, camera_id, token)
        opened.append((connection, response))
        assert response.status == 503
        assert response.getheader("Retry-After")
        assert b"camera_calls_busy" in response.read()

        status, seconds = timed_login(live_server, bystander)
        assert status == 302
        assert seconds < 2.0
    finally:
        for connection, _ in opened:
            connection.close()


def test_a_trickling_snapshot_ends_at_its_deadline(live_server, account_with_camera):  # noqa: F811
    _, camera_id, token = account_with_camera()
    started = time.monotonic()
    answer = requests.get(
        f"{live_server}/api/v1/cameras/{camera_id}/snapshot",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    elapsed = time.monotonic() - started
    assert answer.status_code == 504
    assert answer.json()["error"] == "camera_timeout"
    assert elapsed < CAMERA_TIMEOUT_S + 2


def test_a_snapshot_whose_client_went_away_still_ends_at_its_deadline(
    live_server,  # noqa: F811
    account_with_camera,
):
    """The client gives up at once; its slot (one of two) comes back at the camera deadline,
    not when the camera finished trickling."""
    _, camera_id, token = account_with_camera()
    for _ in range(2):
        with pytest.raises(requests.exceptions.ReadTimeout):
            requests.get(
                f"{live_server}/api/v1/cameras/{camera_id}/snapshot",
                headers={"Authorization": f"Bearer {token}"},
                timeout=0.2,
            )
    time.sleep(CAMERA_TIMEOUT_S + 1)
    answer = requests.get(
        f"{live_server}/api/v1/cameras/{camera_id}/snapshot",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert answer.status_code == 504
