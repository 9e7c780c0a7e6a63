"""Recordings: the owner's list with filters, the player page, clip/poster/download URLs,
release for training and deletion. Every URL that names a recording checks its owner."""

from __future__ import annotations

import logging
import mimetypes
import re
from datetime import date
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)

from core.catalog.browse import (
    Cursor,
    RecordingFilter,
    label_details,
    owned_recordings,
    search_recordings,
    set_released,
)
from core.catalog.cameras import list_cameras
from core.catalog.detections import plate_crops
from core.catalog.plates import known_plate_for, list_known_plates
from core.detection.plate_text import MAX_PLATE_LENGTH, normalise_plate
from webui.auth import local_path, login_required
from webui.data_removal import remove_recordings
from webui.db import get_clipstore, get_db, get_settings
from webui.ids import parse_id
from webui.ownership import recording_or_404

logger = logging.getLogger(__name__)

bp = Blueprint("recordings", __name__, url_prefix="/recordings")

# Labels the detection stage produces (docs/cameras.md, Detection); the filter offers exactly these.
LABELS = {
    "person": "Person",
    "vehicle": "Vehicle",
    "animal": "Animal",
    "plate": "Licence plate",
    "rain": "Rain",
    "false_alarm": "False alarm",
}
_CONTAINER_TYPES = {"mp4": "video/mp4", "mov": "video/quicktime", "avi": "video/x-msvideo"}


def _parse_date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def current_filter() -> tuple[RecordingFilter, dict[str, str]]:
    """The filter from the query string, and the same values to keep in links and forms."""
    args = request.args
    camera_id = parse_id(args.get("camera"))
    since, until = _parse_date(args.get("from")), _parse_date(args.get("to"))
    label = args.get("label") if args.get("label") in LABELS else None
    plate = normalise_plate(args.get("plate", "")[: 2 * MAX_PLATE_LENGTH]) or None
    flt = RecordingFilter(
        owner_id=g.user["id"],
        camera_id=camera_id,
        since=since,
        until=until,
        label=label,
        plate=plate,
    )
    kept = {
        "camera": str(camera_id) if camera_id is not None else "",
        "from": since.isoformat() if since else "",
        "to": until.isoformat() if until else "",
        "label": label or "",
        "plate": plate or "",
    }
    return flt, {key: value for key, value in kept.items() if value}


@bp.route("")
@login_required
def index():
    flt, kept = current_filter()
    after = Cursor.decode(request.args.get("after"))
    page = search_recordings(get_db(), flt, after=after, limit=get_settings().web.page_size)
    next_url = None
    if page.next_cursor:
        # Any: url_for's own keywords (_external: bool …) refuse a **dict[str, str].
        query: dict[str, Any] = {"after": page.next_cursor.encode(), **kept}
        next_url = url_for("recordings.index", **query)
    return render_template(
        "recordings/index.html",
        page=page,
        cameras=list_cameras(get_db(), g.user["id"]),
        labels=LABELS,
        kept=kept,
        paged=after is not None,
        next_url=next_url,
    )


def _timeline(recording: dict[str, Any], details: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Detections with a start and end second, as fractions of the clip for the timeline."""
    duration = max(float(recording["duration_s"] or 0), 0.1)
    spans = []
    for row in details:
        first = row.get("first_s", row.get("start_s"))
        last = row.get("last_s", row.get("end_s"))
        if first is None or last is None:
            continue
        first, last = max(0.0, float(first)), min(duration, max(float(first), float(last)))
        spans.append(
            {
                "label": row.get("label", "?"),
                "score": row.get("score", row.get("best_score")),
                "first_s": first,
                "last_s": last,
                "x": round(100 * first / duration, 2),
                "width": max(round(100 * (last - first) / duration, 2), 0.8),
            }
        )
    return spans


def _best_frame_path(recording: dict[str, Any], details: list[dict[str, Any]]) -> str | None:
    if recording.get("best_frame_path"):
        return recording["best_frame_path"]
    for row in sorted(details, key=lambda r: -(r.get("score") or r.get("best_score") or 0)):
        for column in ("best_frame_path", "frame_path"):
            if row.get(column):
                return row[column]
    return None


@bp.route("/<id:recording_id>")
@login_required
def detail(recording_id: int):
    recording = recording_or_404(recording_id)
    details = label_details(get_db(), recording_id)
    is_owner = recording["owner_id"] == g.user["id"]
    return render_template(
        "recordings/detail.html",
        recording=recording,
        is_owner=is_owner,
        timeline=_timeline(recording, details),
        has_best_frame=_best_frame_path(recording, details) is not None,
        labels=LABELS,
        # Plate text is the owner's business only (an admin may see a released clip).
        plates=_plates_with_names(recording) if is_owner else [],
    )


def _plates_with_names(recording: dict[str, Any]) -> list[dict[str, Any]]:
    """Each stored plate crop (numbered as its URL) with its text and the owner's name for it."""
    known = list_known_plates(get_db(), recording["owner_id"])
    crops = []
    for number, crop in enumerate(plate_crops(get_db(), recording["id"])):
        plate = known_plate_for(known, crop["text"]) if crop["text"] else None
        crops.append({**crop, "number": number, "name": plate["name"] if plate else None})
    return crops


def _send_clip(relpath: str | None, *, as_attachment: bool = False, name: str | None = None):
    if not relpath:
        abort(404)
    try:
        path = get_clipstore().recording_file(relpath)
    except ValueError:
        abort(404)
    if not path.is_file():
        abort(404)
    mimetype = mimetypes.guess_type(path.name)[0] or _CONTAINER_TYPES.get(
        path.suffix.lstrip(".").lower(), "application/octet-stream"
    )
    # conditional=True: werkzeug answers Range requests with 206 and the exact byte span.
    response = send_file(
        path,
        mimetype=mimetype,
        conditional=True,
        as_attachment=as_attachment,
        download_name=name,
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def _playback_path(recording: dict[str, Any]) -> str:
    # The pipeline makes an H.264 MP4 for what browsers cannot play (AVI, H.265).
    if recording.get("playback_path"):
        return recording["playback_path"]
    return recording["path"]


@bp.route("/<id:recording_id>/video")
@login_required
def video(recording_id: int):
    return _send_clip(_playback_path(recording_or_404(recording_id)))


@bp.route("/<id:recording_id>/download")
@login_required
def download(recording_id: int):
    recording = recording_or_404(recording_id)
    suffix = Path(recording["path"]).suffix or ".mp4"
    camera = re.sub(r"[^A-Za-z0-9_-]+", "-", recording["camera_name"]).strip("-") or "camera"
    stamp = re.sub(r"[^0-9T]", "", recording["started_at"][:19])
    return _send_clip(recording["path"], as_attachment=True, name=f"{camera}-{stamp}{suffix}")


def _send_thumb(relpath: str | None):
    if not relpath:
        abort(404)
    try:
        path = get_clipstore().thumb_file(relpath)
    except ValueError:
        abort(404)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype="image/jpeg", conditional=True, max_age=0)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.route("/<id:recording_id>/poster")
@login_required
def poster(recording_id: int):
    return _send_thumb(recording_or_404(recording_id)["thumb_path"])


@bp.route("/<id:recording_id>/best-frame")
@login_required
def best_frame(recording_id: int):
    recording = recording_or_404(recording_id)
    return _send_thumb(_best_frame_path(recording, label_details(get_db(), recording_id)))


@bp.route("/<id:recording_id>/plates/<int:number>")
@login_required
def plate_crop(recording_id: int, number: int):
    recording = recording_or_404(recording_id, owner_only=True)
    crops = plate_crops(get_db(), recording["id"])
    if number >= len(crops):
        abort(404)
    return _send_thumb(crops[number]["path"])


def _back_to_list():
    target = local_path(request.form.get("back"))
    if target and target.startswith("/recordings"):
        return redirect(target)
    return redirect(url_for("recordings.index"))


@bp.route("/<id:recording_id>/delete", methods=("POST",))
@login_required
def delete(recording_id: int):
    recording = recording_or_404(recording_id, owner_only=True)
    remove_recordings([recording])
    logger.info("recording %d deleted by its owner (user %d)", recording_id, g.user["id"])
    flash("The recording is deleted.", "info")
    return redirect(url_for("recordings.index"))


@bp.route("/<id:recording_id>/release", methods=("POST",))
@login_required
def release(recording_id: int):
    recording = recording_or_404(recording_id, owner_only=True)
    released = request.form.get("released") == "1"
    set_released(get_db(), [recording["id"]], released)
    logger.info("recording %d released=%s by its owner", recording_id, released)
    flash(
        "Released for training: thank you."
        if released
        else "No longer released: nobody but you can open it.",
        "info",
    )
    return redirect(url_for("recordings.detail", recording_id=recording_id))


@bp.route("/bulk", methods=("POST",))
@login_required
def bulk():
    ids = [id_ for id_ in map(parse_id, request.form.getlist("ids")) if id_ is not None]
    action = request.form.get("action")
    # Ids of other users' recordings are dropped silently, as if they did not exist.
    recordings = owned_recordings(get_db(), g.user["id"], ids[:1000])
    if not recordings:
        flash("Please select recordings first.", "error")
        return _back_to_list()
    if action == "delete":
        remove_recordings(recordings)
        flash(f"{len(recordings)} recording(s) deleted.", "info")
    elif action in ("release", "unrelease"):
        set_released(get_db(), [r["id"] for r in recordings], action == "release")
        flash(f"{len(recordings)} recording(s) updated.", "info")
    else:
        abort(400)
    logger.info("bulk %s of %d recordings (user %d)", action, len(recordings), g.user["id"])
    return _back_to_list()
