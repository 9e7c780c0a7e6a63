"""The signed download link: no token header (players and browsers cannot send one); the
signature is the permission."""

from __future__ import annotations

import logging

from flask import redirect, request, send_file

from core.catalog.browse import recording_with_owner
from core.catalog.tokens import is_token_active
from core.clipstore import RECORDINGS_AREA
from webui.api.blueprints import v1
from webui.api.errors import fail, not_found
from webui.api.signed_links import signature_valid
from webui.api.token_auth import public
from webui.db import get_clipstore, get_db, get_settings

logger = logging.getLogger(__name__)

MIMETYPES = {"avi": "video/x-msvideo", "mp4": "video/mp4", "mov": "video/quicktime"}


def _number(name: str) -> int:
    text = request.args.get(name, "")
    if not text.isdecimal() or len(text) > 18:
        fail(403, "invalid_link", "the link is invalid or has expired")
    return int(text)


@v1.get("/downloads/<id:recording_id>")
@public
def download(recording_id: int):
    expires, token_id = _number("expires"), _number("token")
    signature = request.args.get("signature", "")
    recording = recording_with_owner(get_db(), recording_id)
    max_s = get_settings().api.signed_url_lifetime_s
    if recording is None or not signature_valid(
        recording_id, recording["owner_id"], token_id, expires, signature, max_s
    ):
        fail(403, "invalid_link", "the link is invalid or has expired")
    if not is_token_active(get_db(), token_id):
        fail(403, "invalid_link", "the token that made this link was revoked")
    clips = get_clipstore()
    try:
        path = clips.recording_file(recording["path"])
    except ValueError:
        not_found("recording")
    ext = path.suffix.lstrip(".").lower()
    link = clips.media_link(
        RECORDINGS_AREA,
        recording["path"],
        content_type=MIMETYPES.get(ext, "application/octet-stream"),
        filename=f"alarmvault-recording-{recording_id}.{ext or 'bin'}",
        attachment=True,
    )
    if link is not None:
        logger.info("api: recording %d downloaded by signed link (from the bucket)", recording_id)
        return redirect(link)
    if not path.is_file():
        not_found("recording file")
    logger.info("api: recording %d downloaded by signed link", recording_id)
    return send_file(
        path,
        mimetype=MIMETYPES.get(ext, "application/octet-stream"),
        as_attachment=True,
        download_name=f"alarmvault-recording-{recording_id}.{ext or 'bin'}",
        conditional=True,
        max_age=0,
    )
