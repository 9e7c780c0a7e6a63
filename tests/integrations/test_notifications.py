"""The notification dispatcher: new recordings and fair-use changes become signed webhooks,
MQTT messages (with Home Assistant discovery) and mails, once each, retried with backoff."""

from __future__ import annotations

import json
import threading

import paho.mqtt.client as mqtt

from core.catalog import atomic, utcnow
from core.catalog.accounts import set_mail_preferences
from core.catalog.alarm_settings import set_alarm_settings
from core.catalog.fairuse import record_transition
from core.catalog.notifications import add_target
from core.catalog.states import FairUseState
from core.mailer import read_outbox
from pipeline.integrations.dispatcher import NotificationDispatcher
from tests.conftest import wait_for


def delivery_states(catalog) -> list[tuple[str, int]]:
    return [
        (row["state"], row["attempts"])
        for row in catalog.query("SELECT * FROM notification_deliveries ORDER BY id")
    ]


def run_until_settled(dispatcher, catalog) -> None:
    """Run passes until no delivery is pending. A retry is due at ``next_attempt_at``, which the
    catalog keeps in whole seconds: with the test's 0.01 s backoff it is due at once, or at the
    next second when the failure came just before a second ended."""

    def settled() -> bool:
        dispatcher.run_once()
        return all(state != "pending" for state, _ in delivery_states(catalog))

    wait_for(settled, timeout=30, interval=0.05, what="no delivery pending")


def test_a_new_recording_reaches_a_webhook_signed_with_its_secret(
    dispatcher, make_camera, index_recording_row, add_webhook, webhook_receiver
):
    camera = make_camera()
    add_webhook(camera["owner"])
    recording_id = index_recording_row(camera, labels=("person",))

    assert dispatcher.run_once() == (1, 1)

    [delivery] = webhook_receiver.deliveries
    assert delivery.signature_ok
    assert delivery.headers["x-alarmvault-event"] == "recording"
    body = delivery.json
    assert body["camera"]["id"] == camera["id"]
    assert body["recording"]["id"] == recording_id
    assert body["labels"] == ["person"]
    assert camera["owner"]["email"] not in delivery.body.decode()


def test_every_event_is_delivered_once(
    dispatcher, make_camera, index_recording_row, add_webhook, webhook_receiver
):
    camera = make_camera()
    add_webhook(camera["owner"])
    index_recording_row(camera)
    dispatcher.run_once()
    dispatcher.run_once()
    assert len(webhook_receiver.deliveries) == 1


def test_ifttt_style_webhooks_send_value1_to_value3(
    dispatcher, make_camera, index_recording_row, add_webhook, webhook_receiver
):
    camera = make_camera(name="Driveway")
    add_webhook(camera["owner"], payload_style="ifttt")
    index_recording_row(camera, labels=("vehicle",))
    dispatcher.run_once()
    body = webhook_receiver.deliveries[0].json
    assert set(body) == {"value1", "value2", "value3"}
    assert body["value1"] == "Driveway"
    assert "vehicle" in body["value2"]


def test_a_failing_receiver_is_retried_until_it_answers(
    dispatcher, catalog, make_camera, index_recording_row, add_webhook, webhook_receiver
):
    camera = make_camera()
    add_webhook(camera["owner"])
    index_recording_row(camera)
    webhook_receiver.statuses = [500, 503]
    run_until_settled(dispatcher, catalog)
    assert len(webhook_receiver.deliveries) == 3
    assert all(delivery.signature_ok for delivery in webhook_receiver.deliveries)
    assert delivery_states(catalog) == [("sent", 3)]


def test_a_receiver_that_keeps_failing_is_given_up(
    dispatcher, catalog, make_camera, index_recording_row, add_webhook, webhook_receiver
):
    camera = make_camera()
    add_webhook(camera["owner"])
    index_recording_row(camera)
    webhook_receiver.statuses = [500] * 10
    run_until_settled(dispatcher, catalog)
    dispatcher.run_once()  # nothing more once given up
    assert len(webhook_receiver.deliveries) == 3  # max_attempts in the test settings
    assert delivery_states(catalog) == [("failed", 3)]


def test_a_client_error_is_not_retried(
    dispatcher, catalog, make_camera, index_recording_row, add_webhook, webhook_receiver
):
    camera = make_camera()
    add_webhook(camera["owner"])
    index_recording_row(camera)
    webhook_receiver.statuses = [404]
    dispatcher.run_once()
    dispatcher.run_once()
    assert len(webhook_receiver.deliveries) == 1
    assert delivery_states(catalog) == [("failed", 1)]


def test_webhooks_into_the_servers_network_are_refused_by_default(
    settings, catalog, make_camera, index_recording_row, add_webhook, webhook_receiver
):
    settings.notifications.allow_private_webhook_targets = False
    dispatcher = NotificationDispatcher(settings, db=catalog)
    camera = make_camera()
    add_webhook(camera["owner"])
    index_recording_row(camera)
    dispatcher.run_once()
    dispatcher.stop()
    assert webhook_receiver.deliveries == []
    assert delivery_states(catalog) == [("failed", 1)]


def test_a_person_only_target_hears_only_about_people(
    dispatcher, make_camera, index_recording_row, add_webhook, webhook_receiver
):
    camera = make_camera()
    add_webhook(camera["owner"], labels=["person"])
    index_recording_row(camera, labels=("vehicle",))
    person = index_recording_row(camera, labels=("person", "vehicle"))
    index_recording_row(camera)
    dispatcher.run_once()
    assert [d.json["recording"]["id"] for d in webhook_receiver.deliveries] == [person]


def test_a_target_for_one_camera_ignores_the_others(
    dispatcher, make_user, make_camera, index_recording_row, add_webhook, webhook_receiver
):
    owner = make_user()
    garden, door = make_camera(owner), make_camera(owner, name="Door")
    add_webhook(owner, camera_id=door["id"])
    index_recording_row(garden)
    wanted = index_recording_row(door)
    dispatcher.run_once()
    assert [d.json["recording"]["id"] for d in webhook_receiver.deliveries] == [wanted]


def test_nobody_hears_of_another_owners_camera(
    dispatcher, make_user, make_camera, index_recording_row, add_webhook, webhook_receiver
):
    add_webhook(make_user())
    index_recording_row(make_camera())
    dispatcher.run_once()
    assert webhook_receiver.deliveries == []


def test_disarmed_or_silenced_cameras_notify_nobody(
    dispatcher, catalog, make_camera, index_recording_row, add_webhook, webhook_receiver
):
    camera = make_camera()
    add_webhook(camera["owner"])
    set_alarm_settings(catalog, camera["id"], armed=False)
    index_recording_row(camera)
    set_alarm_settings(catalog, camera["id"], armed=True, notify=False)
    index_recording_row(camera)
    dispatcher.run_once()
    assert webhook_receiver.deliveries == []
    set_alarm_settings(catalog, camera["id"], notify=True)
    index_recording_row(camera)
    dispatcher.run_once()
    assert len(webhook_receiver.deliveries) == 1


def test_with_detection_on_the_notice_waits_for_the_labels(
    dispatcher, catalog, make_camera, index_recording_row, add_webhook, webhook_receiver
):
    camera = make_camera()
    with atomic(catalog):
        catalog.execute("UPDATE cameras SET detect_objects = 1 WHERE id = ?", [camera["id"]])
    add_webhook(camera["owner"], labels=["person"])
    recording_id = index_recording_row(camera)
    assert dispatcher.run_once() == (0, 0)
    with atomic(catalog):
        catalog.execute(
            "INSERT INTO recording_labels (recording_id, label, best_score, first_s, last_s)"
            " VALUES (?, 'person', 0.8, 0, 3)",
            [recording_id],
        )
        catalog.execute(
            "INSERT INTO detection_runs (recording_id, analyzed_at, switches, model, keyframes,"
            " extra_frames, detector_runs, elapsed_ms) VALUES (?, ?, 'objects', 'm', 9, 0, 9, 1)",
            [recording_id, utcnow()],
        )
    dispatcher.run_once()
    assert [d.json["recording"]["id"] for d in webhook_receiver.deliveries] == [recording_id]


def test_mail_targets_tell_the_owner_about_alarms_and_fair_use(
    dispatcher, catalog, settings, make_camera, index_recording_row
):
    camera = make_camera(name="Porch")
    owner = camera["owner"]
    set_mail_preferences(catalog, owner["id"], alarms=True)  # alarm mails are opt-in
    add_target(catalog, owner["id"], kind="email", name="mail", events=["recording", "fairuse"])
    index_recording_row(camera, labels=("person",))
    with atomic(catalog):
        record_transition(
            catalog,
            camera["id"],
            FairUseState.OK,
            FairUseState.WARNED,
            rules=["constant_alarm"],
            evidence={},
            actor="ladder",
            at=utcnow(),
        )
    dispatcher.run_once()
    dispatcher.run_once()
    mails = read_outbox(settings.storage.outbox_dir)
    assert sorted(mail["Subject"] for mail in mails) == [
        "Alarm (Person) on Porch",
        "Fair-use notice for Porch",
    ]
    assert all(mail["To"] == owner["email"] for mail in mails)


def test_mqtt_publishes_discovery_motion_and_the_event(
    dispatcher, catalog, settings, mosquitto, make_camera, index_recording_row
):
    camera = make_camera(name="Yard", model="IN-9408")
    add_target(catalog, camera["owner"]["id"], kind="mqtt", name="ha")
    messages: dict[str, tuple[bytes, bool]] = {}
    got_event = threading.Event()

    def on_message(client, userdata, message):
        messages[message.topic] = (message.payload, message.retain)
        if message.topic.endswith("/event"):
            got_event.set()

    subscriber = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="test-subscriber")
    subscriber.on_message = on_message
    subscriber.connect("127.0.0.1", mosquitto.port)
    subscriber.subscribe("#", qos=1)
    subscriber.loop_start()
    try:
        recording_id = index_recording_row(camera, labels=("person",))
        assert dispatcher.run_once() == (1, 1)
        assert got_event.wait(10)
    finally:
        subscriber.disconnect()
        subscriber.loop_stop()

    cid = camera["id"]
    config = json.loads(
        messages[f"homeassistant/binary_sensor/alarmvault_camera_{cid}/motion/config"][0]
    )
    assert config["device_class"] == "motion"
    assert config["state_topic"] == f"alarmvault/camera/{cid}/motion"
    assert config["device"]["name"] == "Yard"
    assert config["off_delay"] == 5
    assert f"homeassistant/sensor/alarmvault_camera_{cid}/fairuse/config" in messages
    assert messages[f"alarmvault/camera/{cid}/motion"][0] == b"ON"
    event = json.loads(messages[f"alarmvault/camera/{cid}/event"][0])
    assert event["recording"]["id"] == recording_id
    assert messages["alarmvault/status"][0] == b"online"
    assert not any(camera["owner"]["email"].encode() in payload for payload, _ in messages.values())


def test_mqtt_delivery_is_retried_while_the_broker_is_down(
    dispatcher, catalog, make_camera, index_recording_row
):
    # No broker runs on the configured port in this test.
    camera = make_camera()
    add_target(catalog, camera["owner"]["id"], kind="mqtt", name="ha")
    index_recording_row(camera)
    dispatcher.mqtt.timeout = 1
    dispatcher.run_once()
    assert delivery_states(catalog) == [("pending", 1)]
