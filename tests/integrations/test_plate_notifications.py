"""Plates in notifications: rules that fire on an unknown plate, on any named plate or on one
named plate; webhook, MQTT and mail payloads carry the plate text and its name; a deleted
recording's plates leave the stored payloads."""

from __future__ import annotations

import json
import threading

import paho.mqtt.client as mqtt

from core.catalog.accounts import set_mail_preferences
from core.catalog.browse import delete_recording_rows
from core.catalog.notifications import add_target
from core.catalog.plates import add_known_plate, store_plate_reads
from core.mailer import read_outbox


def with_plates(catalog, recording_id: int, *texts: str) -> int:
    store_plate_reads(
        catalog,
        recording_id,
        [
            {"track": track, "text": text, "score": 0.9, "t_s": 1.0}
            for track, text in enumerate(texts)
        ],
    )
    return recording_id


def test_webhook_payload_carries_plate_text_and_name(
    dispatcher, catalog, make_camera, index_recording_row, add_webhook, webhook_receiver
):
    camera = make_camera()
    add_known_plate(catalog, camera["owner"]["id"], "RHA0A01", "our car")
    add_webhook(camera["owner"])
    with_plates(catalog, index_recording_row(camera, labels=("plate",)), "RHAOA01", "KX7781")
    dispatcher.run_once()
    body = webhook_receiver.deliveries[0].json
    assert body["plates"] == [
        {"text": "RHAOA01", "name": "our car"},
        {"text": "KX7781", "name": None},
    ]
    assert "RHAOA01" not in body["summary"]


def test_rules_fire_on_unknown_on_named_and_on_one_named_plate(
    dispatcher, catalog, make_camera, index_recording_row
):
    camera = make_camera()
    owner = camera["owner"]
    ours = add_known_plate(catalog, owner["id"], "RHA0A01", "our car")
    add_known_plate(catalog, owner["id"], "PST100", "postman")
    for name, labels in (
        ("strangers", ["plate_unknown"]),
        ("friends", ["plate_known"]),
        ("our car home", [f"plate:{ours['id']}"]),
    ):
        add_target(catalog, owner["id"], kind="email", name=name, labels=labels)
    stranger = with_plates(catalog, index_recording_row(camera), "ZZ9999")
    our_car = with_plates(catalog, index_recording_row(camera), "RHA0A1")  # one lost
    postman = with_plates(catalog, index_recording_row(camera), "PST100")
    index_recording_row(camera)  # no plate: none of these fires
    dispatcher.queue_new_recordings()
    heard = {}
    for row in catalog.query(
        "SELECT t.name, d.payload FROM notification_deliveries d"
        " JOIN notification_targets t ON t.id = d.target_id ORDER BY d.id"
    ):
        heard.setdefault(row["name"], []).append(json.loads(row["payload"])["recording"]["id"])
    assert heard == {
        "strangers": [stranger],
        "friends": [our_car, postman],
        "our car home": [our_car],
    }


def test_mail_lists_the_plates_with_their_names(
    dispatcher, catalog, settings, make_camera, index_recording_row
):
    camera = make_camera(name="Gate")
    owner = camera["owner"]
    set_mail_preferences(catalog, owner["id"], alarms=True)
    add_known_plate(catalog, owner["id"], "RHA0A01", "our car")
    add_target(catalog, owner["id"], kind="email", name="mail", events=["recording"])
    with_plates(catalog, index_recording_row(camera, labels=("plate",)), "RHA0A01")
    dispatcher.run_once()
    dispatcher.run_once()
    [mail] = read_outbox(settings.storage.outbox_dir)
    assert "Plates: RHA0A01 (our car)" in mail.get_content()


def test_mqtt_event_carries_the_plates(
    dispatcher, catalog, mosquitto, make_camera, index_recording_row
):
    camera = make_camera(name="Yard", model="IN-9408")
    add_target(catalog, camera["owner"]["id"], kind="mqtt", name="ha")
    events: list[bytes] = []
    got_event = threading.Event()

    def on_message(client, userdata, message):
        if message.topic.endswith("/event"):
            events.append(message.payload)
            got_event.set()

    subscriber = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="plate-subscriber")
    subscriber.on_message = on_message
    subscriber.connect("127.0.0.1", mosquitto.port)
    subscriber.subscribe("alarmvault/#", qos=1)
    subscriber.loop_start()
    try:
        with_plates(catalog, index_recording_row(camera), "KX7781")
        dispatcher.run_once()
        assert got_event.wait(10)
    finally:
        subscriber.disconnect()
        subscriber.loop_stop()
    assert json.loads(events[0])["plates"] == [{"text": "KX7781", "name": None}]


def test_deleting_the_recording_takes_its_plates_out_of_stored_notifications(
    dispatcher, catalog, make_camera, index_recording_row, add_webhook, webhook_receiver
):
    camera = make_camera()
    add_webhook(camera["owner"])
    recording_id = with_plates(catalog, index_recording_row(camera), "KX7781")
    dispatcher.run_once()
    delete_recording_rows(catalog, [recording_id])
    [payload] = [row[0] for row in catalog.execute("SELECT payload FROM notification_deliveries")]
    assert "KX7781" not in payload
    assert json.loads(payload)["recording"]["id"] == recording_id
