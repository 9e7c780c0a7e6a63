"""The two blueprints of `webui.api`; area modules add their routes to them."""

from __future__ import annotations

from flask import Blueprint

API_PREFIX = "/api/v1"

v1 = Blueprint("v1", __name__, url_prefix=API_PREFIX)
pages_bp = Blueprint("pages", __name__, url_prefix="/integrations", template_folder="templates")
