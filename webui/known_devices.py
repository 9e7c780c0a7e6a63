"""Known devices: a browser that logged in to an account carries a signed cookie saying so.

The cookie holds the account id, a random device id and a fingerprint of the account's
password hash, signed with the app's secret (itsdangerous, HMAC), for a year. It proves nothing
by itself (the password is still checked); it only lets the login limiter count this browser's
failures on its own window instead of the ones strangers can fill (`webui.login_limits`). A new
password ends every device cookie of the account.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

COOKIE = "alarmvault_device"
MAX_AGE_S = 365 * 24 * 3600
_SALT = "alarmvault-known-device"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt=_SALT)


def _password_mark(user: dict[str, Any]) -> str:
    return hashlib.sha256(user["password_hash"].encode()).hexdigest()[:16]


def known_device(user: dict[str, Any] | None) -> str | None:
    """The limiter key of this browser's device cookie if it is valid for ``user``; else None."""
    raw = request.cookies.get(COOKIE)
    if user is None or not raw:
        return None
    try:
        data = _serializer().loads(raw, max_age=MAX_AGE_S)
    except BadSignature:
        return None
    if (
        not isinstance(data, dict)
        or data.get("user") != user["id"]
        or data.get("password") != _password_mark(user)
        or not isinstance(data.get("device"), str)
    ):
        return None
    return f"device:{data['device']}"


def remember_device(response: Response, user: dict[str, Any]) -> None:
    """Give this browser a device cookie for ``user`` (after a successful login)."""
    value = _serializer().dumps(
        {"user": user["id"], "device": secrets.token_urlsafe(16), "password": _password_mark(user)}
    )
    response.set_cookie(
        COOKIE,
        value,
        max_age=MAX_AGE_S,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure,
        path="/login",
    )
