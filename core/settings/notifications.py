"""Notifications on new recordings and fair-use notices: webhooks, MQTT and e-mail."""

from __future__ import annotations

from pydantic import Field, model_validator

from core.settings.base import StrictModel


class MqttSettings(StrictModel):
    enabled: bool = Field(False, description="Publish events to an MQTT broker.")
    host: str = Field("127.0.0.1", description="MQTT broker host.")
    port: int = Field(1883, ge=1, le=65535, description="MQTT broker port.")
    username: str | None = Field(None, description="Broker login.")
    password: str | None = Field(
        None, description="Broker password; prefer CREDENTIALS_DIRECTORY file 'mqtt_password'."
    )
    tls: bool = Field(False, description="Connect with TLS (verifying the broker certificate).")
    topic_prefix: str = Field(
        "alarmvault", description="Topics are <prefix>/camera/<id>/... and <prefix>/status."
    )
    discovery_prefix: str = Field(
        "homeassistant", description="Home Assistant MQTT discovery prefix."
    )
    client_id: str = Field("alarmvault-pipeline", description="MQTT client id.")
    motion_off_delay_s: int = Field(
        30, ge=1, description="Home Assistant turns the motion sensor off after this long."
    )

    @model_validator(mode="after")
    def _prefixes_are_plain(self) -> MqttSettings:
        for name in ("topic_prefix", "discovery_prefix"):
            value = getattr(self, name)
            if not value or any(char in value for char in "#+") or value.startswith("/"):
                raise ValueError(f"{name} must be a plain topic path without wildcards")
        return self


class NotificationSettings(StrictModel):
    enabled: bool = Field(True, description="Run the notification dispatcher in the pipeline.")
    poll_interval_s: float = Field(
        2.0, gt=0, description="How often the dispatcher looks for new recordings and retries."
    )
    label_wait_s: float = Field(
        120.0,
        ge=0,
        description="For cameras with detection on, wait this long at most for a new recording's "
        "labels before notifying (targets may want only some labels).",
    )
    webhook_timeout_s: float = Field(
        10.0,
        gt=0,
        le=60,
        description="How long one webhook POST may take in all (a receiver that drips its "
        "answer is cut then, and the delivery retried later).",
    )
    delivery_threads: int = Field(
        4,
        ge=1,
        le=32,
        description="Deliveries sent at once; each account has at most one running, so a slow "
        "receiver of one account cannot hold up the others'.",
    )
    max_attempts: int = Field(
        6, ge=1, le=20, description="Delivery attempts before a notification is given up."
    )
    backoff_s: float = Field(
        10.0, gt=0, description="Wait before the first retry; doubled after each failure."
    )
    backoff_max_s: float = Field(3600.0, gt=0, description="Longest wait between two retries.")
    allow_private_webhook_targets: bool = Field(
        False,
        description="Allow webhook URLs that resolve to loopback/private/link-local addresses "
        "(off: a webhook cannot be aimed at services inside the server's network).",
    )
    max_targets_per_user: int = Field(20, ge=1, description="Notification targets per account.")
    mqtt: MqttSettings = Field(default_factory=MqttSettings)

    @model_validator(mode="after")
    def _backoff_order(self) -> NotificationSettings:
        if self.backoff_max_s < self.backoff_s:
            raise ValueError("backoff_max_s must not be below backoff_s")
        return self
