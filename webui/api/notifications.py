"""Notification targets: webhooks (signed; IFTTT style optional), MQTT and e-mail, each for all
cameras or one, for every alarm or only some labels, on new recordings and/or fair-use notices.
The pipeline daemon delivers them."""

from __future__ import annotations

import logging
import re
import secrets
from typing import Literal

from flask import jsonify
from pydantic import Field

from core.catalog import MAX_ID
from core.catalog import notifications as targets
from core.http_target import (
    AddressPolicy,
    TargetRefused,
    parse_http_url,
    resolve_allowed,
)
from webui.api.blueprints import v1
from webui.api.bodies import Body, parse_body
from webui.api.camera_link import credential_box
from webui.api.errors import fail
from webui.api.token_auth import api_user_id, require_scope
from webui.db import get_db, get_settings
from webui.ownership import camera_or_404, target_or_404

logger = logging.getLogger(__name__)


EventName = Literal["recording", "fairuse"]


def _every_event() -> list[EventName]:
    return ["recording", "fairuse"]


class TargetBody(Body):
    kind: Literal["webhook", "mqtt", "email"]
    name: str = Field("", max_length=80)
    camera_id: int | None = Field(None, ge=1, le=MAX_ID)
    labels: list[str] = Field(default_factory=list, max_length=10)
    events: list[EventName] = Field(default_factory=_every_event, min_length=1, max_length=2)
    url: str | None = Field(None, max_length=2000)
    payload_style: Literal["json", "ifttt"] = "json"


class TargetChange(Body):
    enabled: bool


def _check_labels(labels: list[str]) -> list[str]:
    for label in labels:
        # Detection labels, or plate conditions: plate_unknown, plate_known, plate:ID.
        if not re.fullmatch(r"[a-z_]{1,32}|plate:[0-9]{1,18}", label):
            fail(422, "invalid_request", "labels: lower-case words like 'person', or plate:ID")
    return labels


def _check_webhook_url(url: str | None) -> str:
    if not url:
        fail(422, "invalid_request", "url: a webhook needs a URL")
    try:
        target = parse_http_url(url)
    except TargetRefused as error:
        fail(422, "invalid_request", f"url: {error}")
    config = get_settings().notifications
    if not config.allow_private_webhook_targets:
        if target.scheme != "https":
            fail(422, "invalid_request", "url: webhooks must use https")
        try:
            resolve_allowed(target.host, target.port, AddressPolicy.PUBLIC)
        except TargetRefused as error:
            fail(422, "invalid_request", f"url: {error}")
    return target.host


@v1.get("/notifications")
def list_targets():
    rows = targets.list_targets(get_db(), api_user_id())
    return jsonify({"items": [targets.public_target(row) for row in rows]})


@v1.post("/notifications")
@require_scope("control")
def add_target():
    body = parse_body(TargetBody)
    if body.camera_id is not None:
        camera_or_404(body.camera_id)
    labels = _check_labels(body.labels)
    sealed_url = sealed_secret = url_host = secret = None
    if body.kind == "webhook":
        url_host = _check_webhook_url(body.url)
        secret = secrets.token_urlsafe(32)
        sealed_url = credential_box().seal({"url": body.url.strip() if body.url else ""})
        sealed_secret = credential_box().seal({"secret": secret})
    elif body.url:
        fail(422, "invalid_request", "url: only webhooks have a URL")
    if body.kind == "mqtt" and not get_settings().notifications.mqtt.enabled:
        # The body is right; the server lacks the feature: a conflict with its set-up.
        fail(409, "mqtt_not_available", "MQTT is not set up on this server")
    try:
        row = targets.add_target(
            get_db(),
            api_user_id(),
            kind=body.kind,
            name=body.name,
            camera_id=body.camera_id,
            labels=labels,
            events=list(body.events),
            payload_style=body.payload_style,
            sealed_url=sealed_url,
            url_host=url_host,
            sealed_secret=sealed_secret,
            max_targets=get_settings().notifications.max_targets_per_user,
        )
    except targets.TooManyTargets as error:
        fail(409, "too_many", str(error))
    logger.info("api: notification target %d (%s) added", row["id"], row["kind"])
    answer = targets.public_target(row)
    if secret is not None:
        answer["secret"] = secret  # shown this once, to check the signature with
    return jsonify(answer), 201


@v1.get("/notifications/<id:target_id>")
def show_target(target_id: int):
    row = target_or_404(target_id)
    deliveries = targets.recent_deliveries(get_db(), target_id)
    return jsonify({**targets.public_target(row), "deliveries": deliveries})


@v1.patch("/notifications/<id:target_id>")
@require_scope("control")
def change_target(target_id: int):
    target_or_404(target_id)
    body = parse_body(TargetChange)
    targets.set_target_enabled(get_db(), target_id, body.enabled)
    return jsonify(targets.public_target(targets.get_target(get_db(), target_id)))


@v1.delete("/notifications/<id:target_id>")
@require_scope("control")
def delete_target(target_id: int):
    target_or_404(target_id)
    targets.delete_target(get_db(), target_id)
    logger.info("api: notification target %d removed", target_id)
    return "", 204


@v1.post("/notifications/<id:target_id>/test")
@require_scope("control")
def test_target(target_id: int):
    """Queue a test notification (built from the newest recording, if any)."""
    targets.queue_test_delivery(get_db(), api_user_id(), target_or_404(target_id))
    return jsonify({"queued": True}), 202
