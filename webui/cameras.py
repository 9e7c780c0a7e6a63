"""Cameras: add, edit, remove, rotate the upload password, and what to type into the camera."""

from __future__ import annotations

import logging
from functools import cache

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from pipeline.camera_models import CameraModel, load_model_table
from pipeline.catalog import NotFound
from pipeline.catalog.camera_edits import update_camera
from pipeline.catalog.cameras import add_camera, get_camera, list_cameras, rotate_camera_password
from webui.auth import login_required
from webui.camera_setup import upload_setups
from webui.dashboard import FAIRUSE_NOTICES
from webui.data_removal import remove_camera
from webui.db import get_db, get_settings

logger = logging.getLogger(__name__)

bp = Blueprint("cameras", __name__, url_prefix="/cameras")


@cache
def _model_table(extra: str | None) -> dict[str, CameraModel]:
    return load_model_table(extra)


def camera_models() -> dict[str, CameraModel]:
    extra = get_settings().validation.extra_camera_models
    return _model_table(str(extra) if extra else None)


def get_owned_camera(camera_id: int, check_owner: bool = True) -> dict:
    try:
        camera = get_camera(get_db(), camera_id)
    except NotFound:
        abort(404)
    if check_owner and camera["owner_id"] != g.user["id"]:
        abort(404)
    return camera


def _render_camera(camera: dict, password: str | None = None, status: int = 200):
    models = camera_models()
    setups = upload_setups(
        get_settings(), camera, models.get(camera["model"]), password, request.host
    )
    return (
        render_template(
            "cameras/detail.html",
            camera=camera,
            models=models,
            setups=setups,
            password=password,
            notices=FAIRUSE_NOTICES,
        ),
        status,
    )


@bp.route("")
@login_required
def index():
    return render_template(
        "cameras/index.html", cameras=list_cameras(get_db(), g.user["id"]), models=camera_models()
    )


@bp.route("/add", methods=("GET", "POST"))
@login_required
def add():
    models = camera_models()
    if request.method == "GET":
        return render_template("cameras/add.html", models=models)
    name = request.form.get("name", "").strip()[:80]
    model = request.form.get("model", "")
    if not name or model not in models:
        flash("Please give the camera a name and choose its model.", "error")
        return render_template("cameras/add.html", models=models, name=name), 400
    camera, password = add_camera(get_db(), g.user["id"], name, model)
    logger.info("camera %d added (user %d)", camera["id"], g.user["id"])
    flash("The camera is added. Type these settings into the camera now.", "info")
    # Rendered, not redirected: the clear-text password is never put into the session cookie.
    return _render_camera(camera, password, 201)


@bp.route("/<int:camera_id>")
@login_required
def detail(camera_id: int):
    return _render_camera(get_owned_camera(camera_id))


@bp.route("/<int:camera_id>/edit", methods=("POST",))
@login_required
def edit(camera_id: int):
    camera = get_owned_camera(camera_id)
    name = request.form.get("name", "").strip()
    model = request.form.get("model", camera["model"])
    if not name or model not in camera_models():
        flash("Please give the camera a name and choose its model.", "error")
        return _render_camera(camera, status=400)
    update_camera(get_db(), camera_id, name=name, model=model)
    flash("Saved.", "info")
    return redirect(url_for("cameras.detail", camera_id=camera_id))


@bp.route("/<int:camera_id>/rotate", methods=("POST",))
@login_required
def rotate(camera_id: int):
    camera = get_owned_camera(camera_id)
    password = rotate_camera_password(get_db(), camera_id)
    logger.info("camera %d upload password rotated", camera_id)
    flash("New password: the old one no longer works. Type the new one into the camera.", "info")
    return _render_camera(camera, password)


@bp.route("/<int:camera_id>/delete", methods=("POST",))
@login_required
def delete(camera_id: int):
    camera = get_owned_camera(camera_id)
    if request.form.get("confirm") != "yes":
        flash("Please tick the box to confirm.", "error")
        return _render_camera(camera, status=400)
    remove_camera(camera)
    flash(f"Camera “{camera['name']}” and its recordings are removed.", "info")
    return redirect(url_for("cameras.index"))
