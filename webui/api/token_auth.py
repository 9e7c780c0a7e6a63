"""Who is calling the API: ``Authorization: Bearer <token>`` on every call (never the session
cookie), the token's scope, and the per-token and per-network rate limits."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any

from flask import current_app, g, request

from core.catalog.shared_limits import SharedLimits, shared_limits
from core.catalog.tokens import authenticate_token, touch_token
from core.sliding_window import SlidingWindowLimiter
from core.spool import shorten_address
from webui.api.blueprints import v1
from webui.api.camera_slots import within_camera_call_slot
from webui.api.errors import fail
from webui.db import get_db, get_settings

logger = logging.getLogger(__name__)

PUBLIC_ATTR = "_api_public"


class ApiLimiters:
    def __init__(
        self, calls: int, control: int, auth_failures: int, shared: SharedLimits | None = None
    ) -> None:
        """``shared``: the catalog's tables every web node counts into; None: this process."""

        def limiter(name: str, limit: int) -> SlidingWindowLimiter:
            # Per minute, as the settings say; a refused call does not count.
            if shared is None:
                return SlidingWindowLimiter(limit, 60)
            store = shared.window(f"api_{name}")
            return SlidingWindowLimiter(limit, 60, clock=time.time, store=store)

        self.calls = limiter("calls", calls)
        self.control = limiter("control", control)
        self.auth_failures = limiter("auth_failures", auth_failures)


def limiters() -> ApiLimiters:
    found = current_app.extensions.get("alarmvault_api_limiters")
    if found is None:
        settings = get_settings()
        api = settings.api
        found = current_app.extensions.setdefault(
            "alarmvault_api_limiters",
            ApiLimiters(
                api.requests_per_minute,
                api.control_per_minute,
                api.auth_failures_per_minute,
                shared=shared_limits(settings.storage.catalog_path),
            ),
        )
    return found


def public(view: Callable) -> Callable:
    """Mark a view that needs no token (the OpenAPI document, signed downloads)."""
    setattr(view, PUBLIC_ATTR, True)
    return view


def api_user_id() -> int:
    return g.api_token["user_id"]


@v1.before_request
def authenticate() -> None:
    if not get_settings().api.enabled:
        fail(404, "not_found", "the API is switched off on this server")
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or getattr(view, PUBLIC_ATTR, False):
        return
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        fail(
            401,
            "unauthorized",
            "send an API token as 'Authorization: Bearer <token>'",
            {"WWW-Authenticate": 'Bearer realm="alarmvault"'},
        )
    row = authenticate_token(get_db(), token.strip())
    if row is None:
        # Only invalid tokens are limited: strangers guessing from the same network (or from
        # behind the same proxy) must not lock out the valid tokens used there.
        network = shorten_address(request.remote_addr or "")
        if limiters().auth_failures.is_blocked(network):
            fail(429, "rate_limited", "too many calls with invalid tokens", {"Retry-After": "60"})
        limiters().auth_failures.record(network)
        logger.info("api: invalid token from %s", network)
        fail(
            401,
            "unauthorized",
            "the token is unknown or revoked",
            {"WWW-Authenticate": 'Bearer realm="alarmvault", error="invalid_token"'},
        )
    verdict = limiters().calls.hit(f"token:{row['id']}")
    g.rate_limit = verdict
    if not verdict.allowed:
        fail(
            429,
            "rate_limited",
            "too many calls with this token; slow down",
            {"Retry-After": str(verdict.retry_after_s)},
        )
    g.api_token = row
    touch_token(get_db(), row["id"])


@v1.after_request
def rate_limit_headers(response):
    verdict = g.get("rate_limit")
    if verdict is not None:
        response.headers["X-RateLimit-Limit"] = str(verdict.limit)
        response.headers["X-RateLimit-Remaining"] = str(verdict.remaining)
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def require_scope(scope: str) -> Callable:
    """The view needs a token with ``scope`` ('control' includes 'read')."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(**kwargs: Any):
            if scope == "control" and g.api_token["scope"] != "control":
                fail(403, "insufficient_scope", "this call needs a token with the 'control' scope")
            return view(**kwargs)

        return wrapped

    return decorate


def camera_call(view: Callable) -> Callable:
    """The view talks to a camera: a tighter per-token limit protects the cameras, and a camera
    call slot (per account, and for the server) protects the web threads."""

    @functools.wraps(view)
    def wrapped(**kwargs: Any):
        verdict = limiters().control.hit(f"token:{g.api_token['id']}")
        if not verdict.allowed:
            fail(
                429,
                "rate_limited",
                "too many camera calls with this token; slow down",
                {"Retry-After": str(verdict.retry_after_s)},
            )
        return within_camera_call_slot(api_user_id(), lambda: view(**kwargs))

    return wrapped
