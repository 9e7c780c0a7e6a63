"""The zone a viewer sees times in: chosen on the account page, or taken from the browser on
the first page view after login (until then, times show in UTC)."""

from __future__ import annotations

import logging

from flask import Blueprint, flash, g, jsonify, redirect, request, url_for
from flask_babel import gettext

from core.catalog.time_zones import set_user_timezone
from core.timestamps import is_zone, zone_names
from webui.auth import login_required
from webui.db import get_db

logger = logging.getLogger(__name__)

bp = Blueprint("viewer_zone", __name__)


@bp.app_context_processor
def _zone_choices() -> dict:
    return {"zone_names": zone_names}


@bp.route("/account/timezone", methods=("POST",))
@login_required
def choose():
    zone = request.form.get("timezone", "")
    if not is_zone(zone):
        flash(gettext("Please choose a time zone from the list."), "error")
        return redirect(url_for("account.index") + "#timezone")
    set_user_timezone(get_db(), g.user["id"], zone)
    logger.info("time zone chosen (user %d)", g.user["id"])
    flash(gettext("Times are shown in %(zone)s from now on.", zone=zone), "info")
    return redirect(url_for("account.index") + "#timezone")


@bp.route("/account/timezone/browser", methods=("POST",))
@login_required
def from_browser():
    """The browser's zone, sent by app.js while the account has none; never overrides a
    choice made on the account page."""
    zone = request.form.get("timezone", "")
    if not is_zone(zone):
        return jsonify({"error": "unknown time zone"}), 400
    changed = set_user_timezone(get_db(), g.user["id"], zone, only_if_unset=True)
    return jsonify({"changed": changed, "timezone": zone})
