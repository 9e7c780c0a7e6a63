"""A push service on loopback, as a browser vendor runs it (RFC 8030), for the web push tests.

It hands out subscriptions the way a browser's ``pushManager.subscribe()`` makes them (an
endpoint at this service, a fresh P-256 key pair and auth secret; the private half stays here,
as it stays in the browser), and on each POST to an endpoint:

- requires ``TTL`` (RFC 8030 §5.2) and a valid ``Urgency`` (§5.3), ``Content-Encoding:
  aes128gcm`` and at most 4096 bytes of body;
- verifies the VAPID ``Authorization: vapid t=<JWT>, k=<key>`` (RFC 8292): an ES256 JWT signed
  by ``k``, ``aud`` this service's origin, ``exp`` in the next 24 hours, a ``sub``; and ``k``
  must be the applicationServerKey the subscription was made with (else 403);
- decrypts the body with the subscription's private key and auth secret (RFC 8291, http_ece);
- answers 201 Created with a Location, 404/410 for unknown or expired subscriptions, 4xx with
  the reason otherwise, and keeps what it received for the test to look at.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from core.web_push import b64url_decode, b64url_encode
from tests.integrations.fakes import LoopbackHttpServer

URGENCIES = ("very-low", "low", "normal", "high")
_VAPID = re.compile(r"^vapid\s+(?P<params>.+)$", re.IGNORECASE)


@dataclass
class Subscription:
    token: str
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes
    server_key: str | None  # the applicationServerKey it was made with

    def as_json(self) -> dict[str, Any]:
        """What ``PushSubscription.toJSON()`` gives the page."""
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": b64url_encode(public), "auth": b64url_encode(self.auth_secret)},
        }


@dataclass
class ReceivedPush:
    endpoint: str
    headers: dict[str, str]
    claims: dict[str, Any]
    message: dict[str, Any]


class PushProtocolError(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


class LocalPushService(LoopbackHttpServer):
    def __init__(self) -> None:
        self.subscriptions: dict[str, Subscription] = {}
        self.expired: set[str] = set()
        self.received: list[ReceivedPush] = []
        self.refused: list[tuple[int, str]] = []
        # Seconds between single bytes of a long answer (0: an empty answer at once): a push
        # service that holds the sender as long as it lets itself be held.
        self.drip_s = 0.0
        self._lock = threading.Lock()
        super().__init__()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def subscribe(self, application_server_key: str | None = None) -> Subscription:
        token = b64url_encode(os.urandom(16))
        subscription = Subscription(
            token=token,
            endpoint=f"{self.origin}/push/{token}",
            private_key=ec.generate_private_key(ec.SECP256R1()),
            auth_secret=os.urandom(16),
            server_key=application_server_key,
        )
        self.subscriptions[token] = subscription
        return subscription

    def expire(self, subscription: Subscription) -> None:
        """The user withdrew the permission: the endpoint answers 410 Gone from now on."""
        self.expired.add(subscription.token)

    # -- checking one push -------------------------------------------------------------------
    def verify_vapid(self, authorization: str, subscription: Subscription) -> dict[str, Any]:
        match = _VAPID.match(authorization.strip())
        if not match:
            raise PushProtocolError(401, "no vapid Authorization")
        params = dict(
            part.strip().split("=", 1) for part in match["params"].split(",") if "=" in part
        )
        token, key = params.get("t"), params.get("k")
        if not token or not key:
            raise PushProtocolError(401, "vapid needs t and k")
        if subscription.server_key is not None and key != subscription.server_key:
            raise PushProtocolError(403, "not the key the subscription was made with")
        try:
            header_b64, claims_b64, signature_b64 = token.split(".")
            header = json.loads(b64url_decode(header_b64))
            claims = json.loads(b64url_decode(claims_b64))
            signature = b64url_decode(signature_b64)
            public = ec.EllipticCurvePublicKey.from_encoded_point(
                ec.SECP256R1(), b64url_decode(key)
            )
        except ValueError as error:
            raise PushProtocolError(401, f"malformed vapid token ({error})") from None
        if header.get("alg") != "ES256" or len(signature) != 64:
            raise PushProtocolError(401, "the JWT must be ES256")
        der = encode_dss_signature(
            int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        )
        try:
            public.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            raise PushProtocolError(401, "the JWT signature does not verify") from None
        now = time.time()
        if claims.get("aud") != self.origin:
            raise PushProtocolError(401, f"aud {claims.get('aud')!r} is not {self.origin}")
        if not isinstance(claims.get("exp"), int) or not now < claims["exp"] <= now + 24 * 3600:
            raise PushProtocolError(401, "exp must be within the next 24 hours")
        if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
            raise PushProtocolError(401, "sub must be a mailto: or https: contact")
        return claims

    def accept(self, path: str, headers: dict[str, str], body: bytes) -> ReceivedPush:
        token = path.removeprefix("/push/")
        subscription = self.subscriptions.get(token)
        if subscription is None:
            raise PushProtocolError(404, "no such subscription")
        if token in self.expired:
            raise PushProtocolError(410, "the subscription has expired")
        if not headers.get("ttl", "").isdecimal():
            raise PushProtocolError(400, "TTL header missing")
        if headers.get("urgency", "normal") not in URGENCIES:
            raise PushProtocolError(400, "bad Urgency")
        if headers.get("content-encoding") != "aes128gcm":
            raise PushProtocolError(415, "the body must be aes128gcm")
        if len(body) > 4096:
            raise PushProtocolError(413, "the payload is too large")
        claims = self.verify_vapid(headers.get("authorization", ""), subscription)
        try:
            plaintext = http_ece.decrypt(
                body,
                private_key=subscription.private_key,
                auth_secret=subscription.auth_secret,
                version="aes128gcm",
            )
            message = json.loads(plaintext)
        except Exception as error:  # http_ece raises several kinds for a bad body
            raise PushProtocolError(400, f"cannot decrypt ({type(error).__name__})") from None
        return ReceivedPush(subscription.endpoint, headers, claims, message)

    def _handler(self):
        service = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {name.lower(): value for name, value in self.headers.items()}
                try:
                    push = service.accept(self.path, headers, body)
                except PushProtocolError as error:
                    with service._lock:
                        service.refused.append((error.status, str(error)))
                    self.send_response(error.status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                with service._lock:
                    service.received.append(push)
                    number = len(service.received)
                self.send_response(201)
                self.send_header("Location", f"{service.origin}/message/{number}")
                if not service.drip_s:
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_header("Content-Length", "100000")
                self.end_headers()
                try:
                    for _ in range(100_000):
                        self.wfile.write(b" ")
                        self.wfile.flush()
                        time.sleep(service.drip_s)
                except OSError:
                    pass  # the sender hung up at its deadline

        return Handler
