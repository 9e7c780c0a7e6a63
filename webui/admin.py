"""The admin area: users, cameras with fair-use states (suspend/resume), rejected uploads,
recordings owners released for training, and system status. Admins never see unreleased clips."""

from __future__ import annotations

import logging
import shutil

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from pipeline.catalog import NotFound
from pipeline.catalog.accounts import list_users_with_counts
from pipeline.catalog.browse import has_table, released_recordings
from pipeline.catalog.camera_edits import cameras_with_owners, fairuse_evidence, set_fairuse_state
from pipeline.catalog.cameras import get_camera
from pipeline.catalog.jobs import count_jobs_by_state
from pipeline.catalog.rejections import list_rejections
from webui.auth import admin_required
from webui.db import get_db, get_settings

logger = logging.getLogger(__name__)

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _detector_speed(db) -> dict | None:
    """Mean detection time per clip from the detection tables, once they record it."""
    for table, column in (("detection_runs", "elapsed_ms"), ("detections", "elapsed_ms")):
        if has_table(db, table) and column in db[table].columns_dict:
            row = db.execute(
                f"SELECT count(*), avg({column}) FROM {table}"  # noqa: S608 - names are ours
            ).fetchone()
            if row and row[0]:
                return {"clips": row[0], "mean_ms": round(row[1])}
    return None


@bp.route("")
@admin_required
def index():
    db = get_db()
    data_dir = get_settings().storage.data_dir
    try:
        disk = shutil.disk_usage(data_dir)
    except OSError:
        disk = None
    return render_template(
        "admin/index.html",
        disk=disk,
        jobs=count_jobs_by_state(db),
        detector=_detector_speed(db),
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
        row["evidence"] = fairuse_evidence(db, row["id"], limit=5)
    return render_template("admin/cameras.html", cameras=rows)


@bp.route("/cameras/<int:camera_id>/fairuse", methods=("POST",))
@admin_required
def fairuse(camera_id: int):
    try:
        get_camera(get_db(), camera_id)
    except NotFound:
        abort(404)
    action = request.form.get("action")
    if action not in ("suspend", "resume"):
        abort(400)
    state = "suspended" if action == "suspend" else "ok"
    set_fairuse_state(get_db(), camera_id, state)
    logger.info("admin set camera %d fair-use state to %s", camera_id, state)
    flash(f"Camera {camera_id} is now {state}.", "info")
    return redirect(url_for("admin.cameras"))


@bp.route("/rejections")
@admin_required
def rejections():
    return render_template("admin/rejections.html", rejections=list_rejections(get_db(), limit=500))


@bp.route("/released")
@admin_required
def released():
    return render_template("admin/released.html", recordings=released_recordings(get_db()))
