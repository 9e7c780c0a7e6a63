"""The Integrations pages (session login): make and revoke API tokens, store or forget a
camera's address and login, and watch a camera's live picture relayed through AlarmVault."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext
from pydantic import ValidationError

from core.camera_cgi import CameraClient, CameraError
from core.catalog.camera_access import access_summaries, delete_camera_access
from core.catalog.cameras import list_cameras
from core.catalog.notifications import list_targets, public_target
from core.catalog.tokens import TooManyTokens, create_token, list_tokens, revoke_token
from core.credential_box import SealBroken
from webui.api.blueprints import pages_bp
from webui.api.camera_link import camera_client
from webui.api.camera_slots import within_camera_call_slot
from webui.api.cameras import CameraAccessBody, check_camera_address, seal_camera_access
from webui.api.errors import ApiError
from webui.api.live import mjpeg_response, snapshot_response
from webui.api.token_auth import limiters
from webui.auth import login_required
from webui.db import get_db, get_settings
from webui.ownership import camera_or_404, token_or_404

logger = logging.getLogger(__name__)


def _render(new_token: str | None = None, status: int = 200):
    db = get_db()
    user_id = g.user["id"]
    return (
        render_template(
            "api/integrations.html",
            tokens=[token for token in list_tokens(db, user_id) if not token["revoked_at"]],
            cameras=list_cameras(db, user_id),
            access=access_summaries(db, user_id),
            targets=[public_target(row) for row in list_targets(db, user_id)],
            new_token=new_token,
        ),
        status,
    )


@pages_bp.get("/")
@login_required
def index():
    return _render()


@pages_bp.post("/tokens")
@login_required
def add_token():
    scope = request.form.get("scope", "read")
    if scope not in ("read", "control"):
        abort(400)
    try:
        row, token = create_token(
            get_db(),
            g.user["id"],
            request.form.get("name", ""),
            scope,
            max_active=get_settings().api.max_tokens_per_user,
        )
    except TooManyTokens:
        flash(
            gettext(
                "At most %(num)d active tokens per account.",
                num=get_settings().api.max_tokens_per_user,
            ),
            "error",
        )
        return redirect(url_for(".index"))
    logger.info("token %d created in the UI (user %d)", row["id"], g.user["id"])
    # Rendered, not flashed: a flashed message would travel in the session cookie.
    return _render(new_token=token, status=201)


@pages_bp.post("/tokens/<id:token_id>/revoke")
@login_required
def revoke(token_id: int):
    token_or_404(token_id)
    if not revoke_token(get_db(), token_id, g.user["id"]):
        abort(404)  # revoked already
    flash(gettext("The token was revoked."), "ok")
    return redirect(url_for(".index"))


@pages_bp.post("/cameras/<id:camera_id>/access")
@login_required
def store_access(camera_id: int):
    camera = camera_or_404(camera_id)
    dialect = request.form.get("dialect") or None
    try:
        body = CameraAccessBody.model_validate(
            {
                "address": request.form.get("address", ""),
                "username": request.form.get("username", ""),
                "password": request.form.get("password", ""),
                "dialect": dialect,
                "verify_tls": request.form.get("verify_tls") == "1",
            }
        )
        check_camera_address(body.address)
    except (ValidationError, ApiError):
        flash(gettext("Check the camera's address, user name and password."), "error")
        return redirect(url_for(".index"))
    seal_camera_access(camera, body)
    flash(gettext("The camera's address and login are stored (encrypted)."), "ok")
    return redirect(url_for(".index"))


@pages_bp.post("/cameras/<id:camera_id>/access/delete")
@login_required
def forget_access(camera_id: int):
    camera_or_404(camera_id)
    delete_camera_access(get_db(), camera_id)
    flash(gettext("The camera's address and login are forgotten."), "ok")
    return redirect(url_for(".index"))


@pages_bp.get("/cameras/<id:camera_id>/live")
@login_required
def live(camera_id: int):
    camera = camera_or_404(camera_id)
    return render_template("api/live.html", camera=camera)


def _relay(camera_id: int, relay: Callable[[CameraClient], Response]):
    camera_or_404(camera_id)
    if not limiters().control.hit(f"user:{g.user['id']}").allowed:
        abort(429)
    try:
        return within_camera_call_slot(g.user["id"], lambda: relay(camera_client(camera_id)))
    except ApiError as error:
        abort(error.status if error.status in (429, 503) else 404)
    except (CameraError, SealBroken):
        abort(502)


@pages_bp.get("/cameras/<id:camera_id>/snapshot.jpg")
@login_required
def live_snapshot(camera_id: int):
    return _relay(camera_id, snapshot_response)


@pages_bp.get("/cameras/<id:camera_id>/live.mjpeg")
@login_required
def live_stream(camera_id: int):
    return _relay(camera_id, mjpeg_response)
