"""Push notifications on this browser or phone: the account page subscribes a device (the
browser's Push API subscription becomes a ``webpush`` notification target), lists the devices
and removes them.

The pipeline's notification dispatcher sends each alarm that passes the notification rules to
every subscribed device (`pipeline.integrations.web_push`).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, abort, flash, g, jsonify, redirect, request, url_for
from flask_babel import gettext as _

from core.catalog.notifications import (
    WEB_PUSH,
    TooManyTargets,
    add_target,
    delete_target,
    list_web_push_targets,
    queue_test_delivery,
)
from core.credential_box import SealBroken
from core.web_push import PushSubscription, SubscriptionInvalid, parse_subscription
from webui.api.camera_link import credential_box
from webui.auth import browser_name, login_required
from webui.db import get_db, get_settings

logger = logging.getLogger(__name__)

bp = Blueprint("push_devices", __name__, url_prefix="/account/push-devices")


def push_devices(user_id: int) -> list[dict[str, Any]]:
    """The account's subscribed devices as the account page shows them (no endpoint, no keys)."""
    return [
        {key: row[key] for key in ("id", "name", "url_host", "created_at")}
        for row in list_web_push_targets(get_db(), user_id)
    ]


def _subscribed_target(user_id: int, endpoint: str) -> int | None:
    """The account's target for this endpoint (a few devices per account: each is opened)."""
    box = credential_box()
    for row in list_web_push_targets(get_db(), user_id):
        try:
            if PushSubscription.from_sealed(box.open(row["sealed_url"])).endpoint == endpoint:
                return int(row["id"])
        except (SealBroken, KeyError, TypeError):
            continue  # sealed with a lost key: it cannot be sent to either
    return None


def _problem(message: str, status: int = 400):
    return jsonify({"error": message}), status


@bp.route("", methods=("POST",))
@login_required
def subscribe():
    """Store this browser's subscription (JSON ``{"subscription": ..., "name": ...}``)."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _problem(_("Send the subscription as JSON."))
    # Plain-http endpoints only where webhooks may reach private addresses (a push service on
    # the LAN or in tests); a browser's real push service is always https.
    allow_http = get_settings().notifications.allow_private_webhook_targets
    try:
        subscription = parse_subscription(data.get("subscription"), allow_http=allow_http)
    except SubscriptionInvalid as error:
        return _problem(_("This is not a push subscription: %(why)s.", why=str(error)))
    existing = _subscribed_target(g.user["id"], subscription.endpoint)
    if existing is not None:
        return jsonify({"id": existing, "subscribed": True}), 200
    name = str(data.get("name") or "").strip()[:80] or browser_name()
    try:
        target = add_target(
            get_db(),
            g.user["id"],
            kind=WEB_PUSH,
            name=name,
            events=["recording"],
            sealed_url=credential_box().seal(subscription.as_sealable()),
            url_host=subscription.host,
            max_targets=get_settings().notifications.max_targets_per_user,
        )
    except TooManyTargets:
        return _problem(_("This account has as many notification targets as it may have."), 409)
    # The endpoint is a capability (whoever has it can push to the device): never logged.
    logger.info("web push device %d subscribed (user %d)", target["id"], g.user["id"])
    return jsonify({"id": target["id"], "subscribed": True}), 201


@bp.route("/unsubscribe", methods=("POST",))
@login_required
def unsubscribe():
    """This browser turned push off: forget its subscription (JSON ``{"endpoint": ...}``)."""
    data = request.get_json(silent=True)
    endpoint = data.get("endpoint") if isinstance(data, dict) else None
    if not isinstance(endpoint, str) or not endpoint:
        return _problem(_("Send the endpoint of the subscription to remove."))
    target_id = _subscribed_target(g.user["id"], endpoint)
    if target_id is None:
        return _problem(_("This device is not subscribed."), 404)
    delete_target(get_db(), target_id)
    logger.info("web push device %d unsubscribed (user %d)", target_id, g.user["id"])
    return jsonify({"subscribed": False}), 200


def device_or_404(target_id: int) -> dict[str, Any]:
    """One of the account's devices; another account's answers 404, like one that is not."""
    for device in push_devices(g.user["id"]):
        if device["id"] == target_id:
            return device
    abort(404)


@bp.route("/<id:target_id>/test", methods=("POST",))
@login_required
def send_test(target_id: int):
    """Push a test notification (the newest recording, marked as a test) to one device."""
    device = device_or_404(target_id)
    queue_test_delivery(get_db(), g.user["id"], device | {"camera_id": None})
    logger.info("web push device %d: test queued (user %d)", target_id, g.user["id"])
    flash(_("A test notification is on its way to %(name)s.", name=device["name"]), "info")
    return redirect(url_for("account.index") + "#push")


@bp.route("/<id:target_id>/remove", methods=("POST",))
@login_required
def remove(target_id: int):
    """Remove a device from the list on the account page (e.g. a lost phone)."""
    device_or_404(target_id)
    delete_target(get_db(), target_id)
    logger.info("web push device %d removed (user %d)", target_id, g.user["id"])
    flash(_("That device gets no more push notifications."), "info")
    return redirect(url_for("account.index") + "#push")
