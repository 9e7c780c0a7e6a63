"""One owner's slow webhook receiver cannot hold up the notifications of the others.

Real receivers on loopback: one drips its answer a byte at a time (every read succeeds, so a
per-read timeout never fires), the other answers at once.
"""

from __future__ import annotations

import contextlib
import secrets
import time

import pytest

from core.catalog import open_catalog
from core.catalog.notifications import add_target
from core.credential_box import load_credential_box
from tests.conftest import wait_for
from tests.integrations.fakes import WebhookReceiver

DEADLINE_S = 2.0


@pytest.fixture
def settings_dict(settings_dict):
    settings_dict["notifications"] = {
        **settings_dict["notifications"],
        "webhook_timeout_s": DEADLINE_S,
        "backoff_s": 30.0,
        "backoff_max_s": 60.0,
        "poll_interval_s": 0.1,
    }
    return settings_dict


@pytest.fixture
def dripping_receiver():
    receiver = WebhookReceiver()
    receiver.drip_s = 0.1
    receiver.start()
    yield receiver
    receiver.stop()


def add_hook(catalog, settings, user: dict, receiver: WebhookReceiver) -> dict:
    box = load_credential_box(settings)
    receiver.secret = secrets.token_urlsafe(16)
    return add_target(
        catalog,
        user["id"],
        kind="webhook",
        name="hook",
        sealed_url=box.seal({"url": receiver.url}),
        url_host="127.0.0.1",
        sealed_secret=box.seal({"secret": receiver.secret}),
    )


def test_a_dripping_receiver_delays_no_other_owner_and_is_cut_at_the_deadline(
    settings,
    catalog,
    dispatcher,
    make_camera,
    index_recording_row,
    webhook_receiver,
    dripping_receiver,
):
    slow_owner_camera = make_camera()
    other_camera = make_camera()
    add_hook(catalog, settings, slow_owner_camera["owner"], dripping_receiver)
    add_hook(catalog, settings, other_camera["owner"], webhook_receiver)
    # The slow owner's clips come first: a single queue would send them first.
    for _ in range(3):
        index_recording_row(slow_owner_camera)
    index_recording_row(other_camera)

    started = time.monotonic()
    dispatcher.start()
    assert webhook_receiver.received.wait(DEADLINE_S / 2), "the other owner's delivery waited"
    assert time.monotonic() - started < DEADLINE_S / 2
    assert [d.signature_ok for d in webhook_receiver.deliveries] == [True]

    # The dispatcher's thread works on the test's catalog connection: watch through another
    # one (a SQLite connection used by two threads at once mixes up their savepoints).
    with contextlib.closing(open_catalog(settings.storage.catalog_path, migrate=False)) as reader:

        def slow_owner_tried() -> bool:
            return bool(
                list(
                    reader.query(
                        "SELECT 1 FROM notification_deliveries"
                        " WHERE attempts > 0 AND last_error = 'timed out'"
                    )
                )
            )

        # The dripping answer is cut at the deadline (not when the receiver stops dripping, in
        # ~3 hours) and the delivery stays pending for a retry.
        wait_for(slow_owner_tried, timeout=DEADLINE_S + 2, interval=0.1, what="the cut delivery")
        rows = list(
            reader.query(
                "SELECT d.state, d.attempts FROM notification_deliveries d"
                " JOIN notification_targets t ON t.id = d.target_id WHERE t.user_id = ?",
                [slow_owner_camera["owner"]["id"]],
            )
        )
    assert {row["state"] for row in rows} == {"pending"}
