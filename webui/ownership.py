"""Whose object is it: every view of the UI and the API that names a camera, recording,
notification target or API token looks it up here (flaskr's ``get_post(id, check_author=True)``).

Someone else's object answers 404 exactly like a missing one, so ids reveal nothing. Under
``/api/v1`` the v1 blueprint turns the 404 into its JSON error body.
"""

from __future__ import annotations

from typing import Any, NoReturn

from flask import abort, g

from core.catalog import NotFound
from core.catalog.browse import recording_with_owner
from core.catalog.cameras import get_camera
from core.catalog.notifications import get_target
from core.catalog.stills import get_still
from core.catalog.tokens import get_token
from webui.db import get_db


def acting_user_id() -> int | None:
    """The user this request acts for: an API call's token owner (set by
    `webui.api.token_auth` once the token is checked; an API call never acts by the session
    cookie), otherwise the user logged in to the UI."""
    token = g.get("api_token")
    if token is not None:
        return int(token["user_id"])
    return int(g.user["id"]) if g.get("user") is not None else None


def _acting_admin() -> bool:
    # API tokens carry no admin rights: an admin looks at released clips in the UI only.
    return g.get("api_token") is None and g.get("user") is not None and bool(g.user["is_admin"])


def _not_found(what: str) -> NoReturn:
    abort(404, description=f"no such {what}")


def camera_or_404(camera_id: int, check_owner: bool = True) -> dict[str, Any]:
    try:
        camera = get_camera(get_db(), camera_id)
    except NotFound:
        _not_found("camera")
    if check_owner and camera["owner_id"] != acting_user_id():
        _not_found("camera")
    return camera


def recording_or_404(
    recording_id: int, check_owner: bool = True, *, owner_only: bool = False
) -> dict[str, Any]:
    """The recording with its camera's name and owner.

    Its owner may see it; an admin (in the UI) only if the owner released it for training,
    and never for what only the owner may do (``owner_only``: delete, release).
    """
    recording = recording_with_owner(get_db(), recording_id)
    if recording is None:
        _not_found("recording")
    if check_owner and recording["owner_id"] != acting_user_id():
        admin_may_view = not owner_only and _acting_admin() and recording["released"]
        if not admin_may_view:
            _not_found("recording")
    return recording


def still_or_404(recording_id: int, still_id: int) -> dict[str, Any]:
    """A still of a recording the acting user may see (`recording_or_404`'s rule)."""
    recording = recording_or_404(recording_id)
    try:
        return get_still(get_db(), recording["id"], still_id)
    except NotFound:
        _not_found("still")


def target_or_404(target_id: int, check_owner: bool = True) -> dict[str, Any]:
    """A notification target (without its sealed URL and secret)."""
    try:
        target = get_target(get_db(), target_id)
    except NotFound:
        _not_found("notification")
    if check_owner and target["user_id"] != acting_user_id():
        _not_found("notification")
    return target


def token_or_404(token_id: int, check_owner: bool = True) -> dict[str, Any]:
    """An API token's public columns (never its hash)."""
    try:
        token = get_token(get_db(), token_id)
    except NotFound:
        _not_found("token")
    if check_owner and token["user_id"] != acting_user_id():
        _not_found("token")
    return token
