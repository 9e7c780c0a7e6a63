"""Integrations for customers: the REST API under ``/api/v1`` (bearer tokens, JSON, OpenAPI at
``/api/v1/openapi.json``) and the pages under ``/integrations`` where owners make API tokens,
store their cameras' address and login, and watch the live picture.

``bp`` is the one blueprint `webui` registers; it nests the API (CSRF-exempt: calls carry a
bearer token, never the session cookie) and the pages (session login, CSRF-protected).
"""

from __future__ import annotations

from flask import Blueprint

# Importing the area modules adds their routes to `v1` and `pages`.
from webui.api import (  # noqa: F401
    cameras,
    control,
    downloads,
    events,
    live,
    notifications,
    openapi,
    pages,
    plates,
    recordings,
    storage,
    tokens,
)
from webui.api.blueprints import pages_bp, v1

bp = Blueprint("api", __name__)
bp.register_blueprint(v1)
bp.register_blueprint(pages_bp)


@bp.record_once
def _exempt_api_from_csrf(state) -> None:
    csrf = state.app.extensions.get("csrf")
    if csrf is not None:
        csrf.exempt(v1)
