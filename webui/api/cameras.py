"""Cameras, their alarm settings, and the camera address/login the owner may store."""

from __future__ import annotations

import ipaddress
import logging
from typing import Literal

from flask import jsonify
from pydantic import Field

from core.camera_cgi import dialect_for_model
from core.catalog.alarm_settings import (
    alarm_settings_of_owner,
    get_alarm_settings,
    set_alarm_settings,
)
from core.catalog.browse import camera_summaries
from core.catalog.camera_access import (
    access_summaries,
    delete_camera_access,
    get_camera_access,
    store_camera_access,
)
from core.http_target import TargetRefused, address_allowed, parse_http_url
from webui.api.blueprints import v1
from webui.api.bodies import Body, parse_body
from webui.api.camera_link import camera_client, camera_policy, credential_box
from webui.api.errors import fail
from webui.api.token_auth import api_user_id, camera_call, require_scope
from webui.db import get_db
from webui.formatting import api_time, viewer_today
from webui.ownership import camera_or_404

logger = logging.getLogger(__name__)


class AlarmSettingsChange(Body):
    armed: bool | None = None
    notify: bool | None = None


class CameraAccessBody(Body):
    address: str = Field(min_length=1, max_length=200)
    username: str = Field(min_length=1, max_length=64, pattern=r"^[^:\s]+$")
    password: str = Field(min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$")
    dialect: Literal["fullhd", "wqhd"] | None = None
    verify_tls: bool = False


def camera_json(camera: dict, summary: dict | None, alarm: dict, access: dict | None) -> dict:
    summary = summary or {}
    return {
        "id": camera["id"],
        "name": camera["name"],
        "model": camera["model"],
        "enabled": bool(camera["enabled"]),
        "fairuse_state": camera["fairuse_state"],
        "keep_snapshots": bool(camera["keep_snapshots"]),
        "alarm_settings": alarm,
        "access": {"stored": access is not None, "dialect": access and access["dialect"]},
        "last_alarm_at": api_time(summary.get("last_alarm")),
        "alarms_today": summary.get("alarms_today", 0),
    }


@v1.get("/cameras")
def list_cameras():
    db = get_db()
    owner = api_user_id()
    settings = alarm_settings_of_owner(db, owner)
    access = access_summaries(db, owner)
    items = [
        camera_json(row, row, settings.get(row["id"], {}), access.get(row["id"]))
        for row in camera_summaries(db, owner, viewer_today())
    ]
    return jsonify({"items": items})


@v1.get("/cameras/<id:camera_id>")
def show_camera(camera_id: int):
    camera = camera_or_404(camera_id)
    db = get_db()
    summary = next(
        (
            row
            for row in camera_summaries(db, api_user_id(), viewer_today())
            if row["id"] == camera_id
        ),
        None,
    )
    access = get_camera_access(db, camera_id)
    return jsonify(camera_json(camera, summary, get_alarm_settings(db, camera_id), access))


@v1.patch("/cameras/<id:camera_id>/alarm-settings")
@require_scope("control")
@camera_call
def change_alarm_settings(camera_id: int):
    """Switch alarms (armed) and notifications; with a stored camera login, arming also switches
    the camera's own motion detection, and a camera error leaves both unchanged."""
    camera_or_404(camera_id)
    change = parse_body(AlarmSettingsChange)
    db = get_db()
    camera_updated = False
    if change.armed is not None and get_camera_access(db, camera_id) is not None:
        camera_client(camera_id).set_motion_detection(change.armed)
        camera_updated = True
    settings = set_alarm_settings(db, camera_id, armed=change.armed, notify=change.notify)
    logger.info(
        "api: camera %d alarm settings armed=%s notify=%s",
        camera_id,
        settings["armed"],
        settings["notify"],
    )
    return jsonify({**settings, "camera_updated": camera_updated})


@v1.put("/cameras/<id:camera_id>/access")
@require_scope("control")
def store_access(camera_id: int):
    """Store the camera's address and login, sealed; they are never shown again."""
    camera = camera_or_404(camera_id)
    body = parse_body(CameraAccessBody)
    check_camera_address(body.address)
    dialect = seal_camera_access(camera, body)
    logger.info("api: camera %d access stored (dialect %s)", camera_id, dialect)
    return jsonify({"stored": True, "dialect": dialect})


@v1.delete("/cameras/<id:camera_id>/access")
@require_scope("control")
def remove_access(camera_id: int):
    camera_or_404(camera_id)
    delete_camera_access(get_db(), camera_id)
    logger.info("api: camera %d access removed", camera_id)
    return "", 204


def seal_camera_access(camera: dict, body: CameraAccessBody) -> str:
    """Store the camera's address and login, sealed; returns the dialect, the model's unless
    the owner chose one."""
    dialect = body.dialect or dialect_for_model(camera["model"])
    sealed = credential_box().seal(
        {
            "address": body.address.strip(),
            "username": body.username,
            "password": body.password,
            "verify_tls": body.verify_tls,
        }
    )
    store_camera_access(get_db(), camera["id"], dialect, sealed)
    return dialect


def check_camera_address(address: str) -> None:
    """A usable camera address: http(s), host and port only, not a forbidden literal IP."""
    try:
        target = parse_http_url(address, default_scheme="http")
    except TargetRefused as error:
        fail(422, "invalid_request", f"address: {error}")
    if target.path != "/":
        fail(422, "invalid_request", "address: give only the camera's host and port")
    try:
        literal = ipaddress.ip_address(target.host)
    except ValueError:
        return
    if not address_allowed(literal, camera_policy()):
        fail(422, "invalid_request", "address: this network address cannot be used")
