"""The dashboard: per camera the last alarm and today's count, storage used against the quota,
and any fair-use or quarantine notice with what to do about it."""

from __future__ import annotations

from flask import Blueprint, g, render_template
from flask_babel import get_translations, lazy_gettext

from core.catalog.browse import bytes_used, camera_summaries
from core.catalog.notices import list_notices, worded_notice
from core.catalog.states import FairUseState
from webui.auth import login_required
from webui.camera_zone import filed_off
from webui.db import get_db, get_settings
from webui.formatting import viewer_today

bp = Blueprint("dashboard", __name__)

# What the owner should know and do for each fair-use step (the ladder: docs/cameras.md,
# The 18-second rule and fair use).
FAIRUSE_NOTICES = {
    FairUseState.WARNED: lazy_gettext(
        "This camera sends alarms almost without pause or with many false alarms. "
        "Please lower its motion sensitivity, shrink the detection areas, or use the PIR sensor "
        "together with motion detection. If it goes on, its clips will be processed later."
    ),
    FairUseState.THROTTLED: lazy_gettext(
        "This camera has sent too many alarms for a while, so its clips are processed "
        "with a delay. It returns to normal by itself once the alarms calm down: please lower its "
        "sensitivity or shrink its detection areas."
    ),
    FairUseState.SUSPENDED: lazy_gettext(
        "An administrator has suspended uploads from this camera because of constant "
        "alarms. Please fix the camera's alarm settings and contact support to have it resumed."
    ),
}


@bp.route("/dashboard")
@login_required
def index():
    db = get_db()
    cameras = camera_summaries(db, g.user["id"], viewer_today())
    for camera in cameras:
        camera["zone_off"] = filed_off(camera)
    quota_mb = g.user["quota_mb"] or get_settings().storage.default_quota_mb
    used = bytes_used(db, g.user["id"])
    return render_template(
        "dashboard.html",
        cameras=cameras,
        used_bytes=used,
        quota_bytes=quota_mb * 1024 * 1024,
        notices=FAIRUSE_NOTICES,
        owner_notices=[
            worded_notice(notice, get_translations())
            for notice in list_notices(db, user_id=g.user["id"], limit=5)
        ],
    )
