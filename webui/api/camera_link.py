"""From a camera id to a working CGI client: open the sealed login, apply the address policy."""

from __future__ import annotations

from flask import current_app

from core.camera_cgi import CameraClient, CameraLogin
from core.catalog.camera_access import get_camera_access
from core.credential_box import CredentialBox, load_credential_box
from core.http_target import AllowedNetworks
from webui.api.errors import fail
from webui.db import get_db, get_settings


def credential_box() -> CredentialBox:
    box = current_app.extensions.get("alarmvault_credential_box")
    if box is None:
        box = current_app.extensions.setdefault(
            "alarmvault_credential_box", load_credential_box(get_settings())
        )
    return box


def camera_policy() -> AllowedNetworks:
    settings = get_settings()
    return settings.api.camera_networks_for(settings.web.listen)


def camera_client(camera_id: int) -> CameraClient:
    """The camera's client; 409 when its owner stored no address and login."""
    access = get_camera_access(get_db(), camera_id)
    if access is None:
        fail(
            409,
            "no_camera_access",
            "store the camera's address and login first (PUT /cameras/{id}/access)",
        )
    opened = credential_box().open(access["sealed"])
    login = CameraLogin(
        address=opened["address"],
        username=opened["username"],
        password=opened["password"],
        dialect=access["dialect"],
        verify_tls=bool(opened.get("verify_tls", False)),
    )
    return CameraClient(login, timeout=get_settings().api.camera_timeout_s, policy=camera_policy())
