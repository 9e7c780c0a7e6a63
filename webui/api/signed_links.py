"""Short-lived download links: HMAC-SHA256 with the app's secret key over the recording, its
owner, the token that asked for the link, and the expiry. The link stops working when it
expires, when the token is revoked, or when the recording changes hands or goes."""

from __future__ import annotations

import hashlib
import hmac
import time

from flask import current_app


def _message(recording_id: int, owner_id: int, token_id: int, expires: int) -> bytes:
    return f"download|{recording_id}|{owner_id}|{token_id}|{expires}".encode()


def link_signature(recording_id: int, owner_id: int, token_id: int, expires: int) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    message = _message(recording_id, owner_id, token_id, expires)
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def signature_valid(
    recording_id: int, owner_id: int, token_id: int, expires: int, signature: str, max_s: int
) -> bool:
    now = int(time.time())
    if not now <= expires <= now + max_s:
        return False
    expected = link_signature(recording_id, owner_id, token_id, expires)
    return hmac.compare_digest(expected, signature)
