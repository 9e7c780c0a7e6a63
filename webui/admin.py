"""The admin area: users, cameras with fair-use states (suspend/resume), rejected uploads,
recordings owners released for training, and system status. Admins never see unreleased clips."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext

from core.catalog import atomic, utcnow
from core.catalog.accounts import list_users_with_counts
from core.catalog.browse import released_recordings
from core.catalog.camera_edits import cameras_with_owners
from core.catalog.fairuse import fairuse_events, record_transition
from core.catalog.jobs import count_jobs_by_state
from core.catalog.rejections import list_rejections, routine_rejection_counts
from core.catalog.service_figures import analysis_backlog, detector_speed
from core.catalog.states import FairUseState
from core.storage_space import storage_spaces
from webui.auth import admin_required
from webui.db import get_db, get_settings
from webui.ownership import camera_or_404
from webui.recordings import LABELS

logger = logging.getLogger(__name__)

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("")
@admin_required
def index():
    db = get_db()
    return render_template(
        "admin/index.html",
        disk=storage_spaces(get_settings().storage),
        jobs=count_jobs_by_state(db),
        backlog=analysis_backlog(db),
        detector=detector_speed(db),
    )


@bp.route("/users")
@admin_required
def users():
    return render_template("admin/users.html", users=list_users_with_counts(get_db()))


@bp.route("/cameras")
@admin_required
def cameras():
    db = get_db()
    rows = cameras_with_owners(db)
    for row in rows:
        row["evidence"] = fairuse_events(db, row["id"], limit=5)
    return render_template("admin/cameras.html", cameras=rows)


@bp.route("/cameras/<id:camera_id>/fairuse", methods=("POST",))
@admin_required
def fairuse(camera_id: int):
    camera = camera_or_404(camera_id, check_owner=False)
    action = request.form.get("action")
    if action not in ("suspend", "resume"):
        abort(400)
    db = get_db()
    target = FairUseState.SUSPENDED if action == "suspend" else FairUseState.OK
    with atomic(db):
        step = record_transition(
            db,
            camera_id,
            FairUseState(camera["fairuse_state"]),
            target,
            rules=[f"admin_{action}"],
            evidence={"note": request.form.get("note", "")[:500]},
            actor=f"admin:{g.user['id']}",
            at=utcnow(),
        )
    if step is None:
        flash(gettext("The camera's state changed meanwhile; please look again."), "error")
    else:
        logger.info("admin %d set camera %d fair-use state to %s", g.user["id"], camera_id, target)
        flash(
            gettext("Camera %(camera)s is now %(state)s.", camera=camera_id, state=target), "info"
        )
    return redirect(url_for("admin.cameras"))


@bp.route("/rejections")
@admin_required
def rejections():
    db = get_db()
    return render_template(
        "admin/rejections.html",
        rejections=list_rejections(db, limit=500, routine=False),
        routine=routine_rejection_counts(db),
    )


@bp.route("/released")
@admin_required
def released():
    return render_template(
        "admin/released.html", recordings=released_recordings(get_db()), labels=LABELS
    )
