"""Camera control through the camera's CGI: motion detection, alarm e-mail, presets, areas."""

from __future__ import annotations

import logging

from flask import jsonify
from pydantic import Field

from webui.api.blueprints import v1
from webui.api.bodies import Body, parse_body
from webui.api.camera_link import camera_client
from webui.api.errors import not_found
from webui.api.token_auth import camera_call, require_scope
from webui.ownership import camera_or_404

logger = logging.getLogger(__name__)


class Switch(Body):
    enabled: bool


class PresetBody(Body):
    number: int = Field(ge=0, le=7)


class AreaBody(Body):
    enabled: bool
    sensitivity: int | None = Field(None, ge=1, le=100)


def _done(camera_id: int, what: str, dialect: str):
    logger.info("api: camera %d control %s done", camera_id, what)
    return jsonify({"ok": True, "dialect": dialect})


@v1.put("/cameras/<id:camera_id>/control/motion-detection")
@require_scope("control")
@camera_call
def motion_detection(camera_id: int):
    camera_or_404(camera_id)
    body = parse_body(Switch)
    client = camera_client(camera_id)
    client.set_motion_detection(body.enabled)
    return _done(camera_id, "motion-detection", client.dialect.name)


@v1.put("/cameras/<id:camera_id>/control/alarm-email")
@require_scope("control")
@camera_call
def alarm_email(camera_id: int):
    camera_or_404(camera_id)
    body = parse_body(Switch)
    client = camera_client(camera_id)
    client.set_alarm_email(body.enabled)
    return _done(camera_id, "alarm-email", client.dialect.name)


@v1.post("/cameras/<id:camera_id>/control/preset")
@require_scope("control")
@camera_call
def goto_preset(camera_id: int):
    camera_or_404(camera_id)
    body = parse_body(PresetBody)
    client = camera_client(camera_id)
    client.goto_preset(body.number)
    return _done(camera_id, "preset", client.dialect.name)


@v1.put("/cameras/<id:camera_id>/control/areas/<int:area>")
@require_scope("control")
@camera_call
def alarm_area(camera_id: int, area: int):
    camera_or_404(camera_id)
    if not 1 <= area <= 4:
        not_found("alarm area (1..4)")
    body = parse_body(AreaBody)
    client = camera_client(camera_id)
    client.set_alarm_area(area, body.enabled, body.sensitivity)
    return _done(camera_id, "area", client.dialect.name)
