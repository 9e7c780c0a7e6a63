"""Web Push to a browser or phone: RFC 8291 encryption (aes128gcm), an RFC 8292 VAPID
signature, and one RFC 8030 POST to the subscription's endpoint at the push service.

The POST is the webhooks' (`post_once`): the same address policy and the same deadline for the
whole request, so a slow push service holds a delivery thread no longer than a slow webhook.
"""

from __future__ import annotations

import json
import logging
import os
import time
from typing import Any

import http_ece
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02

from core.http_target import AddressPolicy, parse_http_url
from core.web_push import PushSubscription, b64url_decode
from pipeline.integrations.webhooks import WebhookFailed, post_once, retryable_status

logger = logging.getLogger(__name__)

# How long the push service keeps an undelivered alarm for a phone that is off: an alarm is
# news for a day; after that the recordings page tells the owner.
ALARM_TTL_S = 24 * 3600
# RFC 8292 §2: the JWT must not live longer than 24 hours.
VAPID_JWT_LIFETIME_S = 12 * 3600
# RFC 8291 §4: one record; push services must accept at least 4096 bytes of payload.
MAX_PAYLOAD_BYTES = 3993


class PushFailed(Exception):
    """This push was not accepted; ``retry`` says whether another attempt may succeed."""

    def __init__(self, message: str, *, retry: bool = True) -> None:
        super().__init__(message)
        self.retry = retry


class SubscriptionGone(PushFailed):
    """The push service says the subscription no longer exists (404/410): remove it."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}: the browser's subscription is gone", retry=False)


def encrypt_payload(subscription: PushSubscription, plaintext: bytes) -> bytes:
    """The RFC 8291 aes128gcm body: a fresh sender key and salt for every message."""
    if len(plaintext) > MAX_PAYLOAD_BYTES:
        raise PushFailed("the message is larger than a push may carry", retry=False)
    return http_ece.encrypt(
        plaintext,
        salt=os.urandom(16),
        private_key=ec.generate_private_key(ec.SECP256R1()),
        dh=b64url_decode(subscription.p256dh),
        auth_secret=b64url_decode(subscription.auth),
        version="aes128gcm",
    )


def vapid_headers(
    endpoint: str, vapid_key: ec.EllipticCurvePrivateKey, subject: str
) -> dict[str, str]:
    """``Authorization: vapid t=<JWT>, k=<public key>`` for the push service's origin."""
    signer = Vapid02(private_key=vapid_key)
    claims = {
        "aud": parse_http_url(endpoint).origin,
        "exp": int(time.time()) + VAPID_JWT_LIFETIME_S,
        "sub": subject,
    }
    return dict(signer.sign(claims))


def send_web_push(
    subscription: PushSubscription,
    message: dict[str, Any],
    *,
    vapid_key: ec.EllipticCurvePrivateKey,
    subject: str,
    timeout: float,
    policy: AddressPolicy,
    ttl_s: int = ALARM_TTL_S,
    urgency: str = "high",
) -> int:
    """Encrypt ``message`` (JSON) for the subscription and POST it once; the push service's
    status (201) or PushFailed / SubscriptionGone."""
    body = encrypt_payload(subscription, json.dumps(message, sort_keys=True).encode())
    headers = {
        **vapid_headers(subscription.endpoint, vapid_key, subject),
        "Content-Type": "application/octet-stream",
        "Content-Encoding": "aes128gcm",
        "TTL": str(ttl_s),
        "Urgency": urgency,
        "User-Agent": "AlarmVault-WebPush",
    }
    try:
        status = post_once(subscription.endpoint, body, headers, timeout=timeout, policy=policy)
    except WebhookFailed as error:
        raise PushFailed(str(error), retry=error.retry) from None
    if status in (404, 410):
        raise SubscriptionGone(status)
    if 200 <= status < 300:
        return status
    raise PushFailed(f"HTTP {status}", retry=retryable_status(status))
