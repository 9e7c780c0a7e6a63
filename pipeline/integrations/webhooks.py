"""Outgoing webhooks: a JSON POST signed with HMAC-SHA256 of ``"<timestamp>.<body>"``.

Receivers check ``X-AlarmVault-Signature: sha256=<hex>`` with the secret shown once when the
webhook was made, and reject old ``X-AlarmVault-Timestamp`` values (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import time
from typing import Any

from core.http_target import (
    AddressPolicy,
    ConnectionDeadline,
    TargetRefused,
    open_connection,
    parse_http_url,
)

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-AlarmVault-Signature"
TIMESTAMP_HEADER = "X-AlarmVault-Timestamp"
EVENT_HEADER = "X-AlarmVault-Event"
DELIVERY_HEADER = "X-AlarmVault-Delivery"


class WebhookFailed(Exception):
    """This attempt failed; ``retry`` says whether another attempt may succeed."""

    def __init__(self, message: str, *, retry: bool = True) -> None:
        super().__init__(message)
        self.retry = retry


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_signature(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def ifttt_body(payload: dict[str, Any]) -> dict[str, str]:
    """IFTTT's Maker webhooks take three values: camera, what happened, when."""
    return {
        "value1": str(payload.get("camera", {}).get("name", "")),
        "value2": str(payload.get("summary", payload.get("event", ""))),
        "value3": str(payload.get("time", "")),
    }


def post_webhook(
    url: str,
    secret: str,
    body: dict[str, Any],
    *,
    event: str,
    delivery_id: int,
    timeout: float,
    policy: AddressPolicy,
) -> int:
    """POST once, within ``timeout`` seconds in all; returns the HTTP status or raises
    WebhookFailed."""
    data = json.dumps(body, sort_keys=True).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "AlarmVault-Webhook",
        SIGNATURE_HEADER: sign(secret, timestamp, data),
        TIMESTAMP_HEADER: timestamp,
        EVENT_HEADER: event,
        DELIVERY_HEADER: str(delivery_id),
    }
    status = post_once(url, data, headers, timeout=timeout, policy=policy)
    if 200 <= status < 300:
        return status
    # Redirects are not followed (they could lead inside the network); 4xx will not heal
    # by retrying, except "too many requests" and "timeout".
    raise WebhookFailed(f"HTTP {status}", retry=retryable_status(status))


def retryable_status(status: int) -> bool:
    """Whether another attempt may get a better answer than this HTTP status."""
    return status >= 500 or status in (408, 425, 429)


def post_once(
    url: str,
    data: bytes,
    headers: dict[str, str],
    *,
    timeout: float,
    policy: AddressPolicy,
) -> int:
    """One POST of ``data`` to an owner-given address (a webhook, a browser's push endpoint)
    within ``timeout`` seconds in all, to an address ``policy`` allows; the HTTP status, or
    WebhookFailed when no answer came."""
    try:
        target = parse_http_url(url)
        connection = open_connection(target, policy, timeout)
    except TargetRefused as error:
        raise WebhookFailed(str(error), retry=False) from None
    # ``timeout`` bounds the whole delivery, not each read: a receiver that drips its answer a
    # byte at a time is cut at the deadline, and the delivery is retried later.
    deadline = ConnectionDeadline(timeout)
    try:
        connection.connect()
        deadline.watch(connection.sock)
        connection.request("POST", target.path, body=data, headers=headers)
        response = connection.getresponse()
        response.read(64 * 1024)
        if deadline.expired:
            raise TimeoutError
    except TimeoutError:
        raise WebhookFailed("timed out") from None
    except (OSError, ValueError, http.client.HTTPException) as error:
        if deadline.expired:
            raise WebhookFailed("timed out") from None
        raise WebhookFailed(f"connection failed ({type(error).__name__})") from None
    finally:
        deadline.cancel()
        connection.close()
    return response.status
