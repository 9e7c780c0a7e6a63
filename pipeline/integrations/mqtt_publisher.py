"""Publish alarm events to an MQTT broker, with Home Assistant discovery.

Topics (``<p>`` = ``topic_prefix``): ``<p>/status`` online/offline (retained, last will),
``<p>/camera/<id>/motion`` "ON" per alarm (Home Assistant switches it off after
``motion_off_delay_s``), ``<p>/camera/<id>/event`` the event JSON,
``<p>/camera/<id>/last_recording`` (retained), ``<p>/camera/<id>/fairuse`` the fair-use
state (retained). Discovery configs go to
``<discovery_prefix>/<component>/alarmvault_camera_<id>/<object>/config`` (retained).
Topics carry camera ids only; no e-mail address or login is ever published.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from typing import Any

import paho.mqtt.client as mqtt

from core.credentials import credential_file
from core.settings.notifications import MqttSettings

logger = logging.getLogger(__name__)

CREDENTIAL_MQTT_PASSWORD = "mqtt_password"  # noqa: S105 - a file name


class MqttUnavailable(Exception):
    """The broker cannot be reached or refused us."""


def camera_topic(settings: MqttSettings, camera_id: int, leaf: str) -> str:
    return f"{settings.topic_prefix}/camera/{camera_id}/{leaf}"


def discovery_messages(settings: MqttSettings, camera: dict[str, Any]) -> dict[str, dict]:
    """Home Assistant discovery configs for one camera: motion sensor and fair-use state."""
    camera_id = camera["id"]
    node = f"alarmvault_camera_{camera_id}"
    device = {
        "identifiers": [node],
        "name": camera.get("name") or f"Camera {camera_id}",
        "manufacturer": "INSTAR",
        "model": camera.get("model") or "",
        "via_device": "alarmvault",
    }
    availability = {"availability_topic": f"{settings.topic_prefix}/status"}
    return {
        f"{settings.discovery_prefix}/binary_sensor/{node}/motion/config": {
            "name": "Alarm",
            "unique_id": f"{node}_motion",
            "device_class": "motion",
            "state_topic": camera_topic(settings, camera_id, "motion"),
            "payload_on": "ON",
            "payload_off": "OFF",
            "off_delay": settings.motion_off_delay_s,
            "json_attributes_topic": camera_topic(settings, camera_id, "last_recording"),
            "device": device,
            **availability,
        },
        f"{settings.discovery_prefix}/sensor/{node}/fairuse/config": {
            "name": "Fair use",
            "unique_id": f"{node}_fairuse",
            "state_topic": camera_topic(settings, camera_id, "fairuse"),
            "icon": "mdi:scale-balance",
            "device": device,
            **availability,
        },
    }


class MqttPublisher:
    """One connection to the broker, opened on first use and kept; thread-safe publishing."""

    def __init__(self, settings: MqttSettings, timeout: float = 10.0) -> None:
        self.settings = settings
        self.timeout = timeout
        self._client: mqtt.Client | None = None
        self._connected = threading.Event()
        self._lock = threading.Lock()
        self._announced: set[int] = set()

    # -- events ------------------------------------------------------------------------------
    def publish_event(self, camera: dict[str, Any], payload: dict[str, Any]) -> None:
        self._announce(camera)
        camera_id = camera["id"]
        if payload["event"] == "recording":
            self._publish(camera_topic(self.settings, camera_id, "motion"), "ON")
            self._publish(
                camera_topic(self.settings, camera_id, "last_recording"),
                json.dumps(payload["recording"], sort_keys=True),
                retain=True,
            )
        elif payload["event"] == "fairuse":
            self._publish(
                camera_topic(self.settings, camera_id, "fairuse"),
                payload["fairuse"]["state"],
                retain=True,
            )
        self._publish(
            camera_topic(self.settings, camera_id, "event"), json.dumps(payload, sort_keys=True)
        )

    def _announce(self, camera: dict[str, Any]) -> None:
        if camera["id"] in self._announced:
            return
        for topic, config in discovery_messages(self.settings, camera).items():
            self._publish(topic, json.dumps(config, sort_keys=True), retain=True)
        self._announced.add(camera["id"])

    # -- connection --------------------------------------------------------------------------
    def _publish(self, topic: str, payload: str, *, retain: bool = False) -> None:
        client = self._ensure_connected()
        info = client.publish(topic, payload, qos=1, retain=retain)
        try:
            info.wait_for_publish(self.timeout)
        except (RuntimeError, ValueError) as error:
            raise MqttUnavailable(f"publish failed: {error}") from None
        if not info.is_published():
            raise MqttUnavailable("the broker did not acknowledge in time")

    def _ensure_connected(self) -> mqtt.Client:
        with self._lock:
            if self._client is not None and self._connected.is_set():
                return self._client
            self._close_client()
            client = mqtt.Client(
                mqtt.CallbackAPIVersion.VERSION2,
                client_id=self.settings.client_id,
                protocol=mqtt.MQTTv311,
            )
            password = _mqtt_password(self.settings)
            if self.settings.username:
                client.username_pw_set(self.settings.username, password)
            if self.settings.tls:
                client.tls_set()
            status_topic = f"{self.settings.topic_prefix}/status"
            client.will_set(status_topic, "offline", qos=1, retain=True)
            client.on_connect = self._on_connect
            client.on_disconnect = self._on_disconnect
            self._connected.clear()
            try:
                client.connect(self.settings.host, self.settings.port, keepalive=60)
            except OSError as error:
                raise MqttUnavailable(f"cannot connect ({type(error).__name__})") from None
            client.loop_start()
            self._client = client
            if not self._connected.wait(self.timeout):
                self._close_client()
                raise MqttUnavailable("the broker did not accept the connection")
            client.publish(status_topic, "online", qos=1, retain=True)
            self._announced.clear()
            logger.info("mqtt connected to the broker")
            return client

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            logger.warning("mqtt connection refused: %s", reason_code)
            return
        self._connected.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self._connected.clear()

    def _close_client(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.disconnect()
            client.loop_stop()

    def close(self) -> None:
        with self._lock:
            if self._client is not None and self._connected.is_set():
                info = self._client.publish(
                    f"{self.settings.topic_prefix}/status", "offline", qos=1, retain=True
                )
                with contextlib.suppress(RuntimeError, ValueError):
                    info.wait_for_publish(2)
            self._close_client()


def _mqtt_password(settings: MqttSettings) -> str | None:
    path = credential_file(CREDENTIAL_MQTT_PASSWORD)
    return path.read_text(encoding="utf-8").strip() if path else settings.password
