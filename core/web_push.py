"""Web Push (RFC 8030/8291/8292): the server's VAPID key, what a browser's subscription must
look like, and what a push for an alarm says.

Shared by the web UI (the account page hands the public key to the browser and stores the
subscriptions it gets back) and the pipeline (which signs, encrypts and sends the pushes).
The private key is generated once (0600, in the keys folder, or systemd's CREDENTIALS_DIRECTORY
file ``vapid_private_key``) and never logged.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from core.credentials import credential_file, key_file
from core.http_target import TargetRefused, parse_http_url
from core.label_names import LABEL_NAMES
from core.notification_rules import camera_name
from core.settings import Settings
from core.timestamps import format_local
from core.translation import translations

CREDENTIAL_NAME = "vapid_private_key"

# Where the service worker opens a recording and fetches its best frame (the web UI's routes
# `recordings.detail` and `recordings.best_frame`); relative, so the worker resolves them
# against its own origin and fetches the frame with the user's session cookie.
RECORDING_PATH = "/recordings/{id}"
BEST_FRAME_PATH = "/recordings/{id}/best-frame"
POSTER_PATH = "/recordings/{id}/poster"

# RFC 8291: the browser's P-256 public key is an uncompressed point, its auth secret 16 bytes.
_P256DH_BYTES = 65
_AUTH_BYTES = 16
_MAX_ENDPOINT_CHARS = 2000


class SubscriptionInvalid(ValueError):
    """What the browser sent is not a push subscription we can use."""


@dataclass(frozen=True)
class PushSubscription:
    """A browser's push subscription: where to POST and the keys to encrypt for it."""

    endpoint: str
    p256dh: str
    auth: str

    @property
    def host(self) -> str:
        return parse_http_url(self.endpoint).host

    def as_sealable(self) -> dict[str, str]:
        """The form kept (sealed) in a notification target's ``sealed_url``."""
        return {"url": self.endpoint, "p256dh": self.p256dh, "auth": self.auth}

    @classmethod
    def from_sealed(cls, value: dict[str, Any]) -> PushSubscription:
        return cls(endpoint=value["url"], p256dh=value["p256dh"], auth=value["auth"])


def b64url_decode(text: str) -> bytes:
    """Base64url without padding, as the Push API and VAPID write keys."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def parse_subscription(data: Any, *, allow_http: bool = False) -> PushSubscription:
    """A subscription from ``PushSubscription.toJSON()`` (endpoint and keys), checked.

    Push services are reached over HTTPS only (RFC 8030 §8); ``allow_http`` is for a push
    service on loopback in tests and on a LAN."""
    if not isinstance(data, dict):
        raise SubscriptionInvalid("the subscription must be a JSON object")
    endpoint = data.get("endpoint")
    keys = data.get("keys")
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > _MAX_ENDPOINT_CHARS:
        raise SubscriptionInvalid("the subscription has no usable endpoint")
    try:
        target = parse_http_url(endpoint)
    except TargetRefused as error:
        raise SubscriptionInvalid(f"the endpoint is not a web address ({error})") from None
    if target.scheme != "https" and not allow_http:
        raise SubscriptionInvalid("the endpoint must be an https address")
    if not isinstance(keys, dict):
        raise SubscriptionInvalid("the subscription has no keys")
    p256dh = _key(keys, "p256dh", _P256DH_BYTES)
    auth = _key(keys, "auth", _AUTH_BYTES)
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(p256dh))
    except ValueError:
        raise SubscriptionInvalid("the subscription's p256dh key is not a P-256 point") from None
    return PushSubscription(endpoint=endpoint, p256dh=p256dh, auth=auth)


def _key(keys: dict[str, Any], name: str, size: int) -> str:
    """One of the subscription's keys: base64url of exactly ``size`` bytes."""
    value = keys.get(name)
    if not isinstance(value, str):
        raise SubscriptionInvalid(f"the subscription's {name} key is missing")
    try:
        decoded = b64url_decode(value)
    except (binascii.Error, ValueError):
        raise SubscriptionInvalid(f"the subscription's {name} key is not base64url") from None
    if len(decoded) != size:
        raise SubscriptionInvalid(f"the subscription's {name} key has the wrong length")
    return value


# -- the server's VAPID key ------------------------------------------------------------------


def _new_vapid_key() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def vapid_key_path(settings: Settings) -> Path:
    """The PEM file of the VAPID private key, generated on first use."""
    return credential_file(CREDENTIAL_NAME) or key_file(
        Path(settings.storage.keys_dir) / f"{CREDENTIAL_NAME}.pem",
        _new_vapid_key,
        "web push (VAPID) key",
    )


def load_vapid_private_key(settings: Settings) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(vapid_key_path(settings).read_bytes(), None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ValueError("the VAPID key must be a P-256 (prime256v1) private key")
    return key


def application_server_key(settings: Settings) -> str:
    """The public key browsers subscribe with (``applicationServerKey``), base64url."""
    public = load_vapid_private_key(settings).public_key()
    point = public.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url_encode(point)


def vapid_subject(settings: Settings) -> str:
    """RFC 8292 ``sub``: how a push service can reach the operator (https URL or mailto)."""
    public_url = settings.web.public_url
    if public_url and public_url.startswith("https://"):
        return public_url.rstrip("/")
    _, address = parseaddr(settings.mail.sender)
    return f"mailto:{address or 'alarmvault@localhost'}"


# -- what a push says ------------------------------------------------------------------------


def alarm_push_message(
    payload: dict[str, Any], zone: str | None, language: str | None = None
) -> dict[str, Any]:
    """The JSON the service worker shows as a notification, from a recording delivery's
    payload: camera name, the time in the owner's zone, what was seen (both in the owner's
    ``language``), and where the best frame is (fetched by the worker with the user's session;
    a push carries 4 kB at most). A clip that was not analysed has no best frame: the worker
    then shows its poster."""
    recording_id = payload["recording"]["id"]
    tr = translations(language)
    labels = [tr.gettext(LABEL_NAMES.get(label, label)) for label in payload.get("labels") or []]
    camera = camera_name(payload, tr)
    # A test from the account page must not read like a real alarm.
    title = tr.gettext("Test: %(camera)s") % {"camera": camera} if payload.get("test") else camera
    return {
        "kind": "alarm",
        "title": title,
        "camera": camera,
        "time": format_local(payload["time"], zone, language),
        "labels": labels,
        "recording_id": recording_id,
        "url": RECORDING_PATH.format(id=recording_id),
        "image": BEST_FRAME_PATH.format(id=recording_id),
        "poster": POSTER_PATH.format(id=recording_id),
        "tag": f"recording-{recording_id}",
    }
