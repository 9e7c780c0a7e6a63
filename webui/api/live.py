"""The camera's live picture relayed through AlarmVault: the browser or app never sees the
camera's address or login. Also used by the live-view page (session login)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from flask import Response, stream_with_context

from core.camera_cgi import CameraClient, CameraError
from webui.api.blueprints import v1
from webui.api.camera_link import camera_client
from webui.api.token_auth import camera_call
from webui.db import get_settings
from webui.ownership import camera_or_404

_MJPEG_TYPE = re.compile(r"^multipart/x-mixed-replace;\s*boundary=[\w'()+,\-./:=?]{1,70}$")


def snapshot_response(client: CameraClient) -> Response:
    picture = client.snapshot()
    return Response(picture, mimetype="image/jpeg", headers={"Cache-Control": "no-store"})


def mjpeg_response(client: CameraClient) -> Response:
    # The camera connection is cut at the deadline even while no byte comes, and the slot of
    # the request (webui.api.camera_slots) is given back when this stream ends.
    content_type, chunks = client.mjpeg_stream(max_s=get_settings().api.live_stream_max_s)
    if not _MJPEG_TYPE.match(content_type):
        chunks.close()  # type: ignore[attr-defined]
        raise CameraError("the camera did not send an MJPEG stream")

    def relay() -> Iterator[bytes]:
        try:
            yield from chunks
        finally:
            chunks.close()  # type: ignore[attr-defined]

    return Response(
        stream_with_context(relay()),
        content_type=content_type,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@v1.get("/cameras/<id:camera_id>/snapshot")
@camera_call
def snapshot(camera_id: int):
    camera_or_404(camera_id)
    return snapshot_response(camera_client(camera_id))


@v1.get("/cameras/<id:camera_id>/live.mjpeg")
@camera_call
def live_mjpeg(camera_id: int):
    camera_or_404(camera_id)
    return mjpeg_response(camera_client(camera_id))
