"""Notification targets made through the API, delivered by the pipeline's dispatcher."""

from __future__ import annotations

import pytest

from pipeline.integrations.dispatcher import NotificationDispatcher

# The REST API over the real Flask app, on a SQLite catalog and on PostgreSQL.
pytestmark = pytest.mark.both_engines


def test_a_webhook_made_by_api_delivers_signed_alarms(
    alice, settings, catalog, store_recording, webhook_receiver
):
    response = alice.call(
        "POST",
        "/notifications",
        json={
            "kind": "webhook",
            "name": "Home",
            "url": webhook_receiver.url,
            "labels": ["person"],
            "camera_id": alice.camera["id"],
        },
    )
    assert response.status_code == 201, response.json
    made = response.json
    assert made["url_host"] == "127.0.0.1" and made["labels"] == ["person"]
    webhook_receiver.secret = made["secret"]
    listed = alice.get("/notifications", scope="read").get_data(as_text=True)
    assert made["secret"] not in listed and "/hooks/alarm" not in listed

    assert alice.call("POST", f"/notifications/{made['id']}/test").status_code == 202
    dispatcher = NotificationDispatcher(settings, db=catalog)
    try:
        dispatcher.run_once()
    finally:
        dispatcher.stop()
    [delivery] = webhook_receiver.deliveries
    assert delivery.signature_ok and delivery.json["test"] is True
    detail = alice.get(f"/notifications/{made['id']}").json
    assert detail["deliveries"][0]["state"] == "sent"


def test_targets_can_be_switched_off_and_removed(alice):
    made = alice.call("POST", "/notifications", json={"kind": "email", "events": ["fairuse"]})
    assert made.status_code == 201 and "secret" not in made.json
    target = made.json["id"]
    assert (
        alice.call("PATCH", f"/notifications/{target}", json={"enabled": False}).json["enabled"]
        is False
    )
    assert alice.call("DELETE", f"/notifications/{target}").status_code == 204
    assert alice.get(f"/notifications/{target}").status_code == 404


def test_invalid_targets_are_refused(app, alice, bob):
    bad = [
        {"kind": "webhook"},
        {"kind": "webhook", "url": "ftp://example.org/x"},
        {"kind": "email", "url": "https://example.org"},
        {"kind": "email", "labels": ["Person!"]},
        {"kind": "email", "events": ["nothing"]},
        {"kind": "pager"},
    ]
    for body in bad:
        assert alice.call("POST", "/notifications", json=body).status_code == 422, body
    # Another owner's camera does not exist for alice.
    assert (
        alice.call(
            "POST", "/notifications", json={"kind": "email", "camera_id": bob.camera["id"]}
        ).status_code
        == 404
    )
    # Without the test switch, webhooks must be public https addresses.
    app.config["SETTINGS"].notifications.allow_private_webhook_targets = False
    for url in ("http://example.org/hook", "https://127.0.0.1/hook", "https://10.1.2.3/x"):
        response = alice.call("POST", "/notifications", json={"kind": "webhook", "url": url})
        assert response.status_code == 422, url


def test_an_mqtt_target_on_a_server_without_mqtt_is_a_documented_conflict(app, alice):
    assert not app.config["SETTINGS"].notifications.mqtt.enabled
    response = alice.call("POST", "/notifications", json={"kind": "mqtt"})
    assert (response.status_code, response.json["error"]) == (409, "mqtt_not_available")
    documented = app.test_client().get("/api/v1/openapi.json").json
    assert "409" in documented["paths"]["/notifications"]["post"]["responses"]
