"""Web push for alarms: each alarm that passes the notification rules reaches every subscribed
browser or phone through its push service, signed (VAPID) and encrypted (RFC 8291); a device
whose subscription is gone is removed. The push service is a real one on loopback
(`push_service.LocalPushService`) that verifies and decrypts what it gets."""

from __future__ import annotations

import logging
import stat
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from core.catalog import open_catalog
from core.catalog.alarm_settings import set_alarm_settings
from core.catalog.notifications import (
    add_target,
    list_targets,
    list_web_push_targets,
    queue_delivery,
    queue_test_delivery,
)
from core.catalog.time_zones import set_user_timezone
from core.catalog.users import set_user_language
from core.credential_box import load_credential_box
from core.web_push import (
    application_server_key,
    b64url_encode,
    parse_subscription,
    vapid_key_path,
)
from tests.conftest import open_catalog_as_of, wait_for
from tests.integrations.push_service import LocalPushService, Subscription


@pytest.fixture
def push_service():
    service = LocalPushService().start()
    yield service
    service.stop()


@pytest.fixture
def subscribe_device(catalog, settings, push_service):
    """A browser that subscribed on the account page: its subscription as a webpush target."""
    box = load_credential_box(settings)
    server_key = application_server_key(settings)

    def _subscribe(user: dict, name: str = "Firefox on Android") -> tuple[dict, Subscription]:
        device = push_service.subscribe(server_key)
        subscription = parse_subscription(device.as_json(), allow_http=True)
        target = add_target(
            catalog,
            user["id"],
            kind="webpush",
            name=name,
            events=["recording"],
            sealed_url=box.seal(subscription.as_sealable()),
            url_host=subscription.host,
        )
        return target, device

    return _subscribe


def test_an_alarm_reaches_the_phone_signed_and_encrypted_with_camera_time_and_frame(
    dispatcher, catalog, make_camera, index_recording_row, subscribe_device, push_service
):
    camera = make_camera(name="Front door")
    set_user_timezone(catalog, camera["owner"]["id"], "Europe/Berlin")
    subscribe_device(camera["owner"])
    recording_id = index_recording_row(camera, labels=("person",))

    assert dispatcher.run_once() == (1, 1)

    assert push_service.refused == []
    [push] = push_service.received
    assert push.headers["content-encoding"] == "aes128gcm"
    assert int(push.headers["ttl"]) > 0
    assert push.headers["urgency"] == "high"
    assert push.claims["aud"] == push_service.origin
    message = push.message
    assert message["camera"] == "Front door"
    assert message["labels"] == ["Person"]
    # The owner's zone: Berlin is UTC+1 or +2, never shown as UTC.
    assert message["time"].endswith(("CET", "CEST"))
    assert message["image"] == f"/recordings/{recording_id}/best-frame"
    assert message["url"] == f"/recordings/{recording_id}"
    # Nothing of the owner in the push (it passes a third party, if encrypted).
    assert camera["owner"]["email"] not in str(message)


def test_a_german_owners_phone_gets_what_was_seen_and_the_time_in_german(
    dispatcher, catalog, make_camera, index_recording_row, subscribe_device, push_service
):
    camera = make_camera(name="Einfahrt")
    set_user_timezone(catalog, camera["owner"]["id"], "Europe/Berlin")
    set_user_language(catalog, camera["owner"]["id"], "de")
    subscribe_device(camera["owner"])
    index_recording_row(camera, labels=("vehicle", "person"))

    assert dispatcher.run_once() == (1, 1)

    [push] = push_service.received
    assert push.message["camera"] == "Einfahrt"
    assert sorted(push.message["labels"]) == ["Fahrzeug", "Person"]
    assert push.message["time"].endswith(("MEZ", "MESZ"))


def test_a_test_push_says_so_in_the_owners_language(
    dispatcher, catalog, make_user, subscribe_device, push_service
):
    owner = make_user()
    set_user_language(catalog, owner["id"], "de")
    target, _device = subscribe_device(owner)
    queue_test_delivery(catalog, owner["id"], target)  # no recording yet: a made-up camera

    assert dispatcher.run_once() == (0, 1)

    [push] = push_service.received
    assert push.message["title"] == "Test: Testkamera"
    assert push.message["camera"] == "Testkamera"


def test_every_subscribed_device_gets_each_alarm_once(
    dispatcher, make_camera, index_recording_row, subscribe_device, push_service
):
    camera = make_camera()
    subscribe_device(camera["owner"], "phone")
    subscribe_device(camera["owner"], "laptop")
    index_recording_row(camera)
    dispatcher.run_once()
    dispatcher.run_once()
    assert len(push_service.received) == 2
    assert len({push.endpoint for push in push_service.received}) == 2


def test_a_camera_with_notifications_off_pushes_nothing(
    dispatcher, catalog, make_camera, make_user, index_recording_row, subscribe_device, push_service
):
    owner = make_user()
    quiet = make_camera(owner, name="Shed")
    loud = make_camera(owner, name="Gate")
    set_alarm_settings(catalog, quiet["id"], notify=False)
    subscribe_device(owner)
    index_recording_row(quiet)
    index_recording_row(loud)

    dispatcher.run_once()

    assert [push.message["camera"] for push in push_service.received] == ["Gate"]


def test_only_the_owners_devices_are_pushed(
    dispatcher, make_camera, make_user, index_recording_row, subscribe_device, push_service
):
    camera = make_camera()
    subscribe_device(make_user())  # the neighbour's phone
    _, owners_phone = subscribe_device(camera["owner"])
    index_recording_row(camera)
    dispatcher.run_once()
    assert [push.endpoint for push in push_service.received] == [owners_phone.endpoint]


def test_a_device_whose_subscription_is_gone_is_removed_and_not_retried(
    dispatcher, catalog, make_camera, index_recording_row, subscribe_device, push_service
):
    camera = make_camera()
    _, device = subscribe_device(camera["owner"])
    push_service.expire(device)
    index_recording_row(camera)

    dispatcher.run_once()

    assert push_service.refused == [(410, "the subscription has expired")]
    assert list_web_push_targets(catalog, camera["owner"]["id"]) == []
    index_recording_row(camera)
    assert dispatcher.run_once() == (0, 0)


def test_a_push_service_error_is_retried_like_a_webhook(
    dispatcher, catalog, make_camera, index_recording_row, subscribe_device, push_service
):
    camera = make_camera()
    subscribe_device(camera["owner"])
    push_service.stop()  # the push service is down for a moment
    index_recording_row(camera)
    dispatcher.run_once()
    [delivery] = catalog.query("SELECT * FROM notification_deliveries")
    assert delivery["state"] == "pending"
    assert delivery["attempts"] == 1
    assert "connection failed" in delivery["last_error"]
    assert list_web_push_targets(catalog, camera["owner"]["id"])  # kept: it may come back


def test_a_dripping_push_service_is_cut_at_the_webhook_deadline_and_holds_up_no_other_owner(
    settings,
    catalog,
    dispatcher,
    make_camera,
    index_recording_row,
    subscribe_device,
    push_service,
    add_webhook,
    webhook_receiver,
):
    slow = make_camera()
    other = make_camera()
    subscribe_device(slow["owner"])
    add_webhook(other["owner"])
    push_service.drip_s = 0.1
    index_recording_row(slow)
    index_recording_row(other)

    started = time.monotonic()
    dispatcher.start()
    deadline = settings.notifications.webhook_timeout_s
    assert webhook_receiver.received.wait(deadline / 2), "the other owner's delivery waited"

    # Watched through a connection of its own: the dispatcher's thread uses the test's.
    reader = open_catalog(settings.storage.catalog_path, migrate=False)

    def cut() -> bool:
        rows = list(reader.query("SELECT * FROM notification_deliveries WHERE attempts > 0"))
        return len(rows) == 2 and any(row["last_error"] == "timed out" for row in rows)

    try:
        wait_for(cut, timeout=deadline * 3, what="the push cut at the deadline")
    finally:
        reader.close()
    assert time.monotonic() - started < deadline * 2.5
    dispatcher.stop()
    push_service.drip_s = 0.0


def test_the_vapid_key_is_made_once_kept_private_and_never_logged(settings, caplog):
    caplog.set_level(logging.DEBUG)
    first = application_server_key(settings)
    assert application_server_key(settings) == first
    path = vapid_key_path(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    secret_pem = path.read_text()
    assert "PRIVATE KEY" in secret_pem
    body = "".join(secret_pem.splitlines()[1:-1])
    assert body[:40] not in caplog.text


def test_a_subscription_with_broken_keys_is_refused_with_the_reason(push_service):
    good = push_service.subscribe().as_json()
    for broken, reason in (
        ({**good, "endpoint": "ftp://push.example/1"}, "web address"),
        ({**good, "keys": {**good["keys"], "auth": "AAAA"}}, "auth key has the wrong length"),
        ({**good, "keys": {**good["keys"], "p256dh": "B" * 87}}, "not a P-256 point"),
        ({"endpoint": good["endpoint"]}, "no keys"),
    ):
        with pytest.raises(ValueError, match=reason):
            parse_subscription(broken, allow_http=True)
    with pytest.raises(ValueError, match="https"):
        parse_subscription(good)


def test_upgrading_keeps_every_target_and_delivery_and_allows_web_push(settings, tmp_path):
    path = tmp_path / "old.db"
    old = open_catalog_as_of(path, 20)
    old.execute(
        "INSERT INTO users (email, password_hash, created_at) VALUES ('a@example.com', 'x', 'now')"
    )
    user_id = old.execute("SELECT id FROM users").fetchone()[0]
    old.execute(
        "INSERT INTO notification_targets (user_id, kind, name, created_at)"
        " VALUES (?, 'mqtt', 'broker', 'now')",
        [user_id],
    )
    target_id = old.execute("SELECT id FROM notification_targets").fetchone()[0]
    queue_delivery(old, target_id, "recording", "recording:1", {"camera": 1})
    old.conn.commit()
    old.close()

    db = open_catalog(path)
    try:
        [kept] = list_targets(db, user_id)
        assert (kept["id"], kept["kind"], kept["name"]) == (target_id, "mqtt", "broker")
        [delivery] = db.query("SELECT * FROM notification_deliveries")
        assert delivery["target_id"] == target_id
        added = add_target(db, user_id, kind="webpush", name="phone", sealed_url="sealed")
        assert added["kind"] == "webpush"
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        db.close()


def test_a_vapid_key_from_systemd_credentials_is_used_and_none_is_generated(
    settings, tmp_path, monkeypatch
):
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    key = ec.generate_private_key(ec.SECP256R1())
    (credentials / "vapid_private_key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(credentials))
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    assert application_server_key(settings) == b64url_encode(public)
    assert not (settings.storage.keys_dir / "vapid_private_key.pem").exists()
