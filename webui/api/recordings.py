"""Recordings: list with filters, the latest, one, its stills (JPEG snapshots of the alarm), a
short-lived signed download link, and the reviewed state (one recording, or every recording a
filter matches).

Marking reviewed needs only the 'read' scope: it is the viewer's own bookkeeping of what they
have seen (a wall tablet with a read token ticks off what it showed), it changes no recording."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from flask import g, jsonify, request, send_file, url_for

from core.catalog import MAX_ID, utcnow
from core.catalog.browse import (
    Cursor,
    RecordingFilter,
    mark_reviewed,
    search_recordings,
    set_reviewed,
)
from core.catalog.recordings import public_recording
from core.catalog.stills import attach_stills
from webui.api.blueprints import v1
from webui.api.bodies import Body, parse_body, query_date, query_int, query_text
from webui.api.errors import fail, not_found
from webui.api.signed_links import link_signature
from webui.api.token_auth import api_user_id
from webui.db import get_clipstore, get_db, get_settings
from webui.formatting import api_time, viewer_zone
from webui.ownership import camera_or_404, recording_or_404, still_or_404


def _filter() -> RecordingFilter:
    camera_id = query_int("camera_id", None, 1, MAX_ID)
    if camera_id is not None:
        camera_or_404(camera_id)
    # 'since' after 'until' is an empty range (nothing listed, nothing marked), not an error.
    since, until = query_date("since"), query_date("until")
    return RecordingFilter(
        owner_id=api_user_id(),
        camera_id=camera_id,
        since=since,
        until=until,
        label=query_text("label", 32),
        reviewed=_query_bool("reviewed"),
        plate=query_text("plate", 20),
    )


def _query_bool(name: str) -> bool | None:
    text = query_text(name, 5)
    if text is None:
        return None
    if text not in ("true", "false"):
        fail(400, "bad_request", f"'{name}' must be true or false")
    return text == "true"


def _public(row: dict) -> dict:
    return _public_rows([row])[0]


def _public_rows(rows: list[dict]) -> list[dict]:
    attach_stills(get_db(), rows)
    zone = viewer_zone()
    return [public_recording(row, zone) for row in rows]


@v1.get("/recordings")
def list_recordings():
    flt = _filter()
    limit = query_int("limit", 50, 1, get_settings().api.page_size_max)
    cursor_text = query_text("cursor", 80)
    cursor = Cursor.decode(cursor_text)
    if cursor_text and cursor is None:
        fail(400, "bad_request", "'cursor' is not a cursor this API gave out")
    page = search_recordings(get_db(), flt, after=cursor, limit=limit or 50)
    return jsonify(
        {
            "items": _public_rows(page.rows),
            "next_cursor": page.next_cursor.encode() if page.next_cursor else None,
        }
    )


@v1.get("/recordings/latest")
def latest_recording():
    page = search_recordings(get_db(), _filter(), limit=1)
    if not page.rows:
        not_found("recording")
    return jsonify(_public(page.rows[0]))


@v1.get("/recordings/<id:recording_id>")
def show_recording(recording_id: int):
    return jsonify(_public(recording_or_404(recording_id)))


@v1.get("/recordings/<id:recording_id>/stills/<id:still_id>")
def recording_still(recording_id: int, still_id: int):
    still = still_or_404(recording_id, still_id)
    try:
        path = get_clipstore().recording_file(still["path"])
    except ValueError:
        not_found("still")
    if not path.is_file():
        not_found("still file")
    return send_file(path, mimetype="image/jpeg", conditional=True, max_age=0)


class ReviewBody(Body):
    reviewed: bool


@v1.post("/recordings/<id:recording_id>/review")
def review_recording(recording_id: int):
    recording = recording_or_404(recording_id)
    reviewed = parse_body(ReviewBody).reviewed
    set_reviewed(get_db(), [recording["id"]], utcnow() if reviewed else None)
    return jsonify(_public(recording_or_404(recording_id)))


@v1.post("/recordings/mark-reviewed")
def mark_all_reviewed():
    marked = mark_reviewed(get_db(), _filter(), utcnow())
    return jsonify({"marked": marked})


@v1.post("/recordings/<id:recording_id>/download-url")
def download_url(recording_id: int):
    recording = recording_or_404(recording_id)
    lifetime = get_settings().api.signed_url_lifetime_s
    expires = int(time.time()) + lifetime
    token_id = g.api_token["id"]
    signature = link_signature(recording["id"], recording["owner_id"], token_id, expires)
    path = url_for(
        "api.v1.download",
        recording_id=recording["id"],
        expires=expires,
        token=token_id,
        signature=signature,
    )
    base = get_settings().web.public_url or request.host_url
    url = base.rstrip("/") + path
    expires_at = api_time(datetime.fromtimestamp(expires, UTC).isoformat(timespec="seconds"))
    return jsonify({"url": url, "expires_at": expires_at, "lifetime_s": lifetime})
