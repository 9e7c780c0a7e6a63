"""Every object an API call names is looked up together with its owner: someone else's object
answers 404 exactly like a missing one (as `webui.cameras.get_owned_camera` does)."""

from __future__ import annotations

from typing import Any

from core.catalog import MAX_ID, NotFound
from core.catalog.browse import recording_with_owner
from core.catalog.cameras import get_camera
from core.catalog.notifications import get_target
from core.catalog.tokens import get_token
from webui.api.errors import not_found
from webui.api.token_auth import api_user_id
from webui.db import get_db


def _check_id(value: int, what: str) -> None:
    if not 0 < value <= MAX_ID:
        not_found(what)


def owned_camera(camera_id: int) -> dict[str, Any]:
    _check_id(camera_id, "camera")
    try:
        camera = get_camera(get_db(), camera_id)
    except NotFound:
        not_found("camera")
    if camera["owner_id"] != api_user_id():
        not_found("camera")
    return camera


def owned_recording(recording_id: int) -> dict[str, Any]:
    _check_id(recording_id, "recording")
    recording = recording_with_owner(get_db(), recording_id)
    if recording is None or recording["owner_id"] != api_user_id():
        not_found("recording")
    return recording


def owned_target(target_id: int) -> dict[str, Any]:
    _check_id(target_id, "notification")
    try:
        target = get_target(get_db(), target_id)
    except NotFound:
        not_found("notification")
    if target["user_id"] != api_user_id():
        not_found("notification")
    return target


def owned_token(token_id: int) -> dict[str, Any]:
    _check_id(token_id, "token")
    try:
        token = get_token(get_db(), token_id)
    except NotFound:
        not_found("token")
    if token["user_id"] != api_user_id():
        not_found("token")
    return token
