"""Cameras: add, edit, remove, rotate the upload password, and what to type into the camera."""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext, ngettext
from pydantic import ValidationError

from core.camera_models import CameraModel, load_model_table
from core.catalog import NotFound
from core.catalog.camera_access import get_camera_access
from core.catalog.camera_edits import set_keep_snapshots, update_camera
from core.catalog.cameras import add_camera, list_cameras, rotate_camera_password
from core.catalog.detections import get_detection_switches, set_detection_switches
from core.catalog.login_crypto import camera_login_crypto
from core.catalog.quarantine import list_quarantined
from core.catalog.time_zones import set_file_timezone
from core.detection.availability import unavailable_models
from core.detection.results import DetectionSwitches
from core.legacy_crypto import needs_old_firmware_crypto
from core.security import camera_password
from core.timestamps import is_zone
from pipeline.quarantine import accept_quarantined, discard_quarantined
from webui.api.camera_slots import within_camera_call_slot
from webui.api.cameras import CameraAccessBody, check_camera_address
from webui.api.errors import ApiError
from webui.api.token_auth import limiters
from webui.auth import login_required
from webui.camera_autosetup import SetupResult, is_lan_install, write_and_test
from webui.camera_setup import upload_setups
from webui.camera_zone import zone_suggestion
from webui.dashboard import FAIRUSE_NOTICES
from webui.data_removal import remove_camera
from webui.db import get_clipstore, get_db, get_settings
from webui.ownership import camera_or_404

logger = logging.getLogger(__name__)

bp = Blueprint("cameras", __name__, url_prefix="/cameras")

# What each detection switch does, in the words the owner consents to.
DETECTION_SWITCHES = {
    "objects": lazy_gettext(
        "People, vehicles and animals: each clip is analysed on this server to label "
        "what moved, so you can filter by it."
    ),
    "plates": lazy_gettext(
        "Licence plates: plates of vehicles are found, small pictures of them are "
        "stored with the recording, and their text is read on this server (no outside service), "
        "so you can search recordings by plate and name plates you know. The text is stored only "
        "with its recording and deleted with it. Plates are personal data of others: switch this "
        "on only where you may film them (your own property)."
    ),
    "rain": lazy_gettext("Rain: clips where rain or snow set off the alarm are marked."),
    "false_alarm": lazy_gettext(
        "False-alarm check: clips where nothing relevant moved (light changes, "
        "insects, foliage) are marked as false alarms."
    ),
}


@cache
def _model_table(extra: Path | None) -> dict[str, CameraModel]:
    return load_model_table(extra)


def camera_models() -> dict[str, CameraModel]:
    return _model_table(get_settings().validation.extra_camera_models)


def _render_camera(
    camera: dict,
    password: str | None = None,
    status: int = 200,
    setup_result: SetupResult | None = None,
):
    models = camera_models()
    settings = get_settings()
    setups = upload_setups(settings, camera, models.get(camera["model"]), password, request.host)
    db = get_db()
    last_login = camera_login_crypto(db, camera["id"])
    return (
        render_template(
            "cameras/detail.html",
            camera=camera,
            models=models,
            setups=setups,
            password=password,
            notices=FAIRUSE_NOTICES,
            switches=get_detection_switches(db, camera["id"]),
            switch_texts=DETECTION_SWITCHES,
            quarantined=list_quarantined(db, camera_id=camera["id"]),
            last_login=last_login,
            last_login_is_old=last_login is not None and needs_old_firmware_crypto(last_login),
            zone_suggestion=zone_suggestion(camera),
            default_zone=settings.pipeline.camera_timezone,
            has_access=get_camera_access(db, camera["id"]) is not None,
            lan_install=is_lan_install(settings),
            setup_result=setup_result,
            live_max_s=settings.api.live_stream_max_s,
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
        flash(gettext("Please give the camera a name and choose its model."), "error")
        return render_template("cameras/add.html", models=models, name=name), 400
    camera, password = add_camera(get_db(), g.user["id"], name, model)
    logger.info("camera %d added (user %d)", camera["id"], g.user["id"])
    flash(gettext("The camera is added. Type these settings into the camera now."), "info")
    # Rendered, not redirected: the clear-text password is never put into the session cookie.
    return _render_camera(camera, password, 201)


@bp.route("/<id:camera_id>")
@login_required
def detail(camera_id: int):
    return _render_camera(camera_or_404(camera_id))


@bp.route("/<id:camera_id>/edit", methods=("POST",))
@login_required
def edit(camera_id: int):
    camera = camera_or_404(camera_id)
    name = request.form.get("name", "").strip()
    model = request.form.get("model", camera["model"])
    if not name or model not in camera_models():
        flash(gettext("Please give the camera a name and choose its model."), "error")
        return _render_camera(camera, status=400)
    update_camera(get_db(), camera_id, name=name, model=model)
    flash(gettext("Saved."), "info")
    return redirect(url_for("cameras.detail", camera_id=camera_id))


@bp.route("/<id:camera_id>/rotate", methods=("POST",))
@login_required
def rotate(camera_id: int):
    camera = camera_or_404(camera_id)
    password = rotate_camera_password(get_db(), camera_id)
    logger.info("camera %d upload password rotated", camera_id)
    flash(
        gettext("New password: the old one no longer works. Type the new one into the camera."),
        "info",
    )
    return _render_camera(camera, password)


@bp.route("/<id:camera_id>/timezone", methods=("POST",))
@login_required
def timezone(camera_id: int):
    camera_or_404(camera_id)
    zone = request.form.get("timezone", "")
    if not is_zone(zone):
        flash(gettext("Please choose a time zone from the list."), "error")
        return redirect(url_for("cameras.detail", camera_id=camera_id) + "#timezone")
    moved = set_file_timezone(get_db(), camera_id, zone, get_settings().pipeline.timestamp_patterns)
    logger.info("camera %d file-name zone %s; %d recordings re-filed", camera_id, zone, moved)
    flash(
        ngettext(
            "Time zone saved: %(zone)s. %(num)d earlier recording moved to the right time.",
            "Time zone saved: %(zone)s. %(num)d earlier recordings moved to the right time.",
            moved,
            zone=zone,
        ),
        "info",
    )
    return redirect(url_for("cameras.detail", camera_id=camera_id) + "#timezone")


@bp.route("/<id:camera_id>/snapshots", methods=("POST",))
@login_required
def snapshots(camera_id: int):
    camera_or_404(camera_id)
    keep = request.form.get("keep") == "1"
    set_keep_snapshots(get_db(), camera_id, keep)
    logger.info("camera %d snapshots %s", camera_id, "kept" if keep else "refused")
    flash(
        gettext("Snapshots of this camera are kept with its alarms.")
        if keep
        else gettext("Snapshots of this camera are refused from now on."),
        "info",
    )
    return redirect(url_for("cameras.detail", camera_id=camera_id) + "#snapshots")


@bp.route("/<id:camera_id>/setup-for-me", methods=("POST",))
@login_required
def setup_for_me(camera_id: int):
    """Write the upload settings into the camera through its CGI and run its upload test
    (`webui.camera_autosetup`); the new upload password is never shown."""
    camera = camera_or_404(camera_id)
    settings = get_settings()
    if not is_lan_install(settings):
        abort(404)
    try:
        access = CameraAccessBody.model_validate(
            {
                "address": request.form.get("address", ""),
                "username": request.form.get("username", ""),
                "password": request.form.get("password", ""),
                "verify_tls": request.form.get("verify_tls") == "1",
            }
        )
        check_camera_address(access.address)
    except (ValidationError, ApiError):
        flash(gettext("Check the camera's address, user name and password."), "error")
        return _render_camera(camera, status=400)
    password = camera_password()
    setups = upload_setups(
        settings, camera, camera_models().get(camera["model"]), password, request.host
    )
    setup = next((s for s in setups if s.key == request.form.get("protocol")), None)
    if setup is None:
        flash(gettext("Please choose how the camera should upload."), "error")
        return _render_camera(camera, status=400)
    if not limiters().control.hit(f"user:{g.user['id']}").allowed:
        abort(429)
    try:
        return within_camera_call_slot(
            g.user["id"],
            lambda: _render_camera(
                camera,
                setup_result=write_and_test(settings, camera, access, setup, password),
            ),
        )
    except ApiError as error:
        abort(error.status if error.status in (429, 503) else 400)


@bp.route("/<id:camera_id>/delete", methods=("POST",))
@login_required
def delete(camera_id: int):
    camera = camera_or_404(camera_id)
    if request.form.get("confirm") != "yes":
        flash(gettext("Please tick the box to confirm."), "error")
        return _render_camera(camera, status=400)
    remove_camera(camera)
    flash(gettext("Camera “%(name)s” and its recordings are removed.", name=camera["name"]), "info")
    return redirect(url_for("cameras.index"))


@bp.route("/<id:camera_id>/detection", methods=("POST",))
@login_required
def detection(camera_id: int):
    camera = camera_or_404(camera_id)
    chosen = {name for name in DETECTION_SWITCHES if request.form.get(name) == "1"}
    if chosen and request.form.get("consent") != "yes":
        flash(gettext("Please confirm that you have read what the analysis does."), "error")
        return _render_camera(camera, status=400)
    switches = DetectionSwitches.from_names(chosen)
    settings = get_settings()
    missing = unavailable_models(settings.detection, settings.storage.data_dir, switches)
    if missing:
        # The path is for the admin's log, not the customer's page.
        logger.error(
            "camera %d: detection models missing: %s",
            camera_id,
            ", ".join(str(path) for path in missing),
        )
        flash(
            gettext(
                "Detection is not available on this server yet: its models are not installed. "
                "Please ask the administrator."
            ),
            "error",
        )
        return _render_camera(camera, status=503)
    set_detection_switches(get_db(), camera_id, switches)
    logger.info("camera %d detection switches: %s", camera_id, ",".join(sorted(chosen)) or "off")
    flash(gettext("Detection settings saved. They apply to clips received from now on."), "info")
    return redirect(url_for("cameras.detail", camera_id=camera_id))


@bp.route("/<id:camera_id>/quarantine/<id:quarantine_id>", methods=("POST",))
@login_required
def quarantine(camera_id: int, quarantine_id: int):
    camera = camera_or_404(camera_id)
    action = request.form.get("action")
    try:
        if action == "accept":
            recording_id = accept_quarantined(
                get_db(), get_settings(), quarantine_id, owner_id=camera["owner_id"]
            )
            flash(
                gettext(
                    "Accepted: the clip is now a recording, and the camera's new settings are "
                    "learned."
                ),
                "info",
            )
            return redirect(url_for("recordings.detail", recording_id=recording_id))
        if action == "discard":
            discard_quarantined(
                get_db(), get_clipstore(), quarantine_id, owner_id=camera["owner_id"]
            )
            flash(gettext("Discarded: the clip is deleted."), "info")
            return redirect(url_for("cameras.detail", camera_id=camera_id))
    except NotFound:
        abort(404)
    abort(400)
