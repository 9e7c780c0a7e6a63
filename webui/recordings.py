"""Recordings: the owner's list with filters (grouped by day, with activity strips), the player
page with previous/next, the reviewed state, clip/poster/download URLs, release for training and
deletion. Every URL that names a recording checks its owner.

Days, hours and the from/to dates of the filter are the viewer's (`webui.formatting`); the
catalog compares UTC bounds made from them."""

from __future__ import annotations

import logging
import mimetypes
import re
from collections.abc import Mapping
from dataclasses import replace
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
from flask_babel import gettext, lazy_gettext, ngettext

from core.catalog import utcnow
from core.catalog.activity import Seen
from core.catalog.browse import (
    Cursor,
    RecordingFilter,
    label_details,
    mark_reviewed,
    newer_recording,
    owned_recordings,
    search_recordings,
    set_released,
    set_reviewed,
    unreviewed_count,
)
from core.catalog.cameras import list_cameras
from core.catalog.detections import plate_crops
from core.catalog.plates import known_plate_for, list_known_plates
from core.catalog.stills import stills_of
from core.clipstore import RECORDINGS_AREA, THUMBS_AREA
from core.detection.plate_text import MAX_PLATE_LENGTH, normalise_plate
from core.label_names import LABEL_NAMES
from core.timestamps import local_window
from webui.auth import local_path, login_required
from webui.data_removal import remove_recordings
from webui.db import get_clipstore, get_db, get_settings
from webui.formatting import local_now, viewer_zone
from webui.ids import parse_id
from webui.ownership import recording_or_404, still_or_404
from webui.review import SEEN_NAMES, StripCells, day_groups

logger = logging.getLogger(__name__)

bp = Blueprint("recordings", __name__, url_prefix="/recordings")

# Labels the detection stage produces (docs/cameras.md, Detection); the filter offers exactly these.
LABELS = {label: lazy_gettext(name) for label, name in LABEL_NAMES.items()}
_CONTAINER_TYPES = {"mp4": "video/mp4", "mov": "video/quicktime", "avi": "video/x-msvideo"}
# The "state" filter: which recordings by their reviewed state.
REVIEW_STATES = {"unreviewed": False, "reviewed": True}


def _parse_date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _parse_hour(text: str | None) -> int | None:
    # isdecimal, not isdigit: "²" is a digit that int() refuses.
    return int(text) if text and len(text) <= 2 and text.isdecimal() and int(text) < 24 else None


def current_filter(
    args: Mapping[str, str] | None = None,
) -> tuple[RecordingFilter, dict[str, str]]:
    """The filter from the query string (or a form that carries it), and the same values to
    keep in links and forms. Dates and the hour are the viewer's wall-clock time."""
    args = request.args if args is None else args
    zone = viewer_zone()
    camera_id = parse_id(args.get("camera"))
    since, until = _parse_date(args.get("from")), _parse_date(args.get("to"))
    day = _parse_date(args.get("day"))
    hour = _parse_hour(args.get("hour")) if day else None
    label = args.get("label") if args.get("label") in LABELS else None
    state = args.get("state") if args.get("state") in REVIEW_STATES else None
    starts, ends = [], []
    if since:
        starts.append(local_window(since, zone)[0])
    if until:
        ends.append(local_window(until, zone)[1])
    if day:
        day_start, day_end = local_window(day, zone, hour)
        starts.append(day_start)
        ends.append(day_end)
    plate = normalise_plate(args.get("plate", "")[: 2 * MAX_PLATE_LENGTH]) or None
    flt = RecordingFilter(
        owner_id=g.user["id"],
        camera_id=camera_id,
        label=label,
        start=max(starts) if starts else None,
        end=min(ends) if ends else None,
        reviewed=REVIEW_STATES[state] if state else None,
        plate=plate,
    )
    kept = {
        "camera": str(camera_id) if camera_id is not None else "",
        "from": since.isoformat() if since else "",
        "to": until.isoformat() if until else "",
        "day": day.isoformat() if day else "",
        "hour": str(hour) if hour is not None else "",
        "label": label or "",
        "state": state or "",
        "plate": plate or "",
    }
    return flt, {key: value for key, value in kept.items() if value}


@bp.app_context_processor
def _review_counts() -> dict[str, int]:
    """The unreviewed count in the menu of every page."""
    if not g.get("user"):
        return {}
    return {"unreviewed_count": unreviewed_count(get_db(), g.user["id"])}


@bp.route("")
@login_required
def index():
    flt, kept = current_filter()
    after = Cursor.decode(request.args.get("after"))
    db = get_db()
    page = search_recordings(db, flt, after=after, limit=get_settings().web.page_size)
    cameras = list_cameras(db, g.user["id"])
    days = day_groups(
        db,
        flt,
        page.rows,
        {camera["id"]: camera["name"] for camera in cameras},
        viewer_zone(),
        local_now().date(),
    )
    next_url = None
    if page.next_cursor:
        # Any: url_for's own keywords (_external: bool …) refuse a **dict[str, str].
        query: dict[str, Any] = {"after": page.next_cursor.encode(), **kept}
        next_url = url_for("recordings.index", **query)
    return render_template(
        "recordings/index.html",
        page=page,
        days=days,
        cameras=cameras,
        labels=LABELS,
        seen_kinds=[(seen.value, SEEN_NAMES[seen]) for seen in Seen],
        cells=StripCells(url_for("recordings.index"), kept),
        kept=kept,
        paged=after is not None,
        next_url=next_url,
    )


def _neighbours(flt: RecordingFilter, recording: dict[str, Any]) -> dict[str, Any]:
    """Previous (newer) and next (older) recording in the filtered list, and the next
    unreviewed one: older than this first, else the newest left."""
    db = get_db()
    here = Cursor(recording["started_at"], recording["id"])
    older = search_recordings(db, flt, after=here, limit=1).rows
    unreviewed = replace(flt, reviewed=False)
    next_unreviewed = (
        search_recordings(db, unreviewed, after=here, limit=1).rows
        or [
            row
            for row in search_recordings(db, unreviewed, limit=2).rows
            if row["id"] != recording["id"]
        ][:1]
    )
    return {
        "previous": newer_recording(db, flt, here),
        "next": older[0] if older else None,
        "next_unreviewed": next_unreviewed[0] if next_unreviewed else None,
    }


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
    is_owner = recording["owner_id"] == g.user["id"]
    if is_owner and recording["reviewed_at"] is None:
        # Opening a clip is reviewing it (an admin opening a released clip is not its owner).
        set_reviewed(get_db(), [recording_id], utcnow())
    details = label_details(get_db(), recording_id)
    flt, kept = current_filter()
    return render_template(
        "recordings/detail.html",
        recording=recording,
        is_owner=is_owner,
        kept=kept,
        neighbours=_neighbours(flt, recording) if is_owner else {},
        autoplay=request.args.get("play") == "1",
        timeline=_timeline(recording, details),
        has_best_frame=_best_frame_path(recording, details) is not None,
        labels=LABELS,
        # Plate text is the owner's business only (an admin may see a released clip).
        plates=_plates_with_names(recording) if is_owner else [],
        stills=stills_of(get_db(), recording_id),
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
    clips = get_clipstore()
    try:
        path = clips.recording_file(relpath)
    except ValueError:
        abort(404)
    mimetype = mimetypes.guess_type(path.name)[0] or _CONTAINER_TYPES.get(
        path.suffix.lstrip(".").lower(), "application/octet-stream"
    )
    # A bucket: a short-lived pre-signed link (the browser never sees the bucket's keys).
    link = clips.media_link(
        RECORDINGS_AREA,
        relpath,
        content_type=mimetype,
        filename=name or path.name,
        attachment=as_attachment,
    )
    if link is not None:
        return redirect(link)
    if not path.is_file():
        abort(404)
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


_THUMB_TYPES = {".jpg": "image/jpeg", ".webp": "image/webp"}


def _send_thumb(relpath: str | None):
    if not relpath:
        abort(404)
    clips = get_clipstore()
    try:
        path = clips.thumb_file(relpath)
    except ValueError:
        abort(404)
    if path.suffix not in _THUMB_TYPES:
        abort(404)
    link = clips.media_link(
        THUMBS_AREA, relpath, content_type=_THUMB_TYPES[path.suffix], filename=path.name
    )
    if link is not None:
        return redirect(link)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=_THUMB_TYPES[path.suffix], conditional=True, max_age=0)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.route("/<id:recording_id>/poster")
@login_required
def poster(recording_id: int):
    return _send_thumb(recording_or_404(recording_id)["thumb_path"])


@bp.route("/<id:recording_id>/stills/<id:still_id>")
@login_required
def still(recording_id: int, still_id: int):
    return _send_clip(still_or_404(recording_id, still_id)["path"])


@bp.route("/<id:recording_id>/preview")
@login_required
def preview(recording_id: int):
    """The animated preview the list plays on hover or tap (made during analysis)."""
    return _send_thumb(recording_or_404(recording_id)["preview_path"])


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
    flash(gettext("The recording is deleted."), "info")
    return redirect(url_for("recordings.index"))


@bp.route("/<id:recording_id>/release", methods=("POST",))
@login_required
def release(recording_id: int):
    recording = recording_or_404(recording_id, owner_only=True)
    released = request.form.get("released") == "1"
    set_released(get_db(), [recording["id"]], released)
    logger.info("recording %d released=%s by its owner", recording_id, released)
    flash(
        gettext("Released for training: thank you.")
        if released
        else gettext("No longer released: nobody but you can open it."),
        "info",
    )
    return redirect(url_for("recordings.detail", recording_id=recording_id))


@bp.route("/<id:recording_id>/reviewed", methods=("POST",))
@login_required
def reviewed(recording_id: int):
    """Set the reviewed state by hand (opening the clip already marked it reviewed)."""
    recording = recording_or_404(recording_id, owner_only=True)
    is_reviewed = request.form.get("reviewed") == "1"
    set_reviewed(get_db(), [recording["id"]], utcnow() if is_reviewed else None)
    flash(
        gettext("Marked as reviewed.") if is_reviewed else gettext("Marked as not reviewed."),
        "info",
    )
    return _back_to_list()


@bp.route("/mark-reviewed", methods=("POST",))
@login_required
def mark_all_reviewed():
    """Every unreviewed recording the list's filter matches (all pages, not only the shown)."""
    flt, kept = current_filter(request.form)
    marked = mark_reviewed(get_db(), flt, utcnow())
    logger.info("%d recordings marked reviewed (user %d)", marked, g.user["id"])
    flash(
        ngettext(
            "%(num)d recording marked as reviewed.",
            "%(num)d recordings marked as reviewed.",
            marked,
        ),
        "info",
    )
    query: dict[str, Any] = dict(kept)  # url_for's own keywords refuse a **dict[str, str]
    return redirect(url_for("recordings.index", **query))


@bp.route("/bulk", methods=("POST",))
@login_required
def bulk():
    ids = [id_ for id_ in map(parse_id, request.form.getlist("ids")) if id_ is not None]
    action = request.form.get("action")
    # Ids of other users' recordings are dropped silently, as if they did not exist.
    recordings = owned_recordings(get_db(), g.user["id"], ids[:1000])
    if not recordings:
        flash(gettext("Please select recordings first."), "error")
        return _back_to_list()
    if action == "delete":
        remove_recordings(recordings)
        flash(
            ngettext("%(num)d recording deleted.", "%(num)d recordings deleted.", len(recordings)),
            "info",
        )
    elif action in ("release", "unrelease"):
        set_released(get_db(), [r["id"] for r in recordings], action == "release")
        flash(
            ngettext("%(num)d recording updated.", "%(num)d recordings updated.", len(recordings)),
            "info",
        )
    elif action in ("review", "unreview"):
        stamp = utcnow() if action == "review" else None
        set_reviewed(get_db(), [r["id"] for r in recordings], stamp)
        flash(
            ngettext("%(num)d recording updated.", "%(num)d recordings updated.", len(recordings)),
            "info",
        )
    else:
        abort(400)
    logger.info("bulk %s of %d recordings (user %d)", action, len(recordings), g.user["id"])
    return _back_to_list()
