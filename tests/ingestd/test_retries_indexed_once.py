"""A camera's retry (same name, same bytes) is indexed once; new bytes under the same name are a
new clip; an empty upload is recorded as rejected ``empty``. Real curl uploads into a real
ingestd, then the pipeline's `ClipProcessor` takes the spool as its daemon would."""

from __future__ import annotations

import io
import subprocess

from core.catalog.recordings import list_recordings
from core.catalog.rejections import list_rejections
from core.catalog.states import JobState
from core.spool import file_sha256, list_incoming
from pipeline.processor import ClipProcessor
from tests.ingestd.clients import needs_tool

NAME = "A_20261206_101500.mp4"


def _process_spool(settings, catalog) -> list[JobState | None]:
    processor = ClipProcessor(settings, catalog, "test:0")
    return [processor.process(folder) for folder in list_incoming(settings.storage.spool_dir)]


def _curl_upload(ingestd, camera, clip, name: str = NAME) -> None:
    curl = needs_tool("curl")
    host, port = ingestd.ftp.address
    result = subprocess.run(
        [
            curl, "--silent", "--show-error",
            "--user", f"{camera['username']}:{camera['password']}",
            "-T", str(clip), f"ftp://{host}:{port}/{name}",
        ],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_a_retry_of_the_same_file_is_indexed_once_new_bytes_are_a_new_clip(
    ingestd, make_camera, camera_clip, clip_factory, ingest_settings, catalog
):
    camera = make_camera()
    _curl_upload(ingestd, camera, camera_clip)
    assert _process_spool(ingest_settings, catalog) == [JobState.INDEXED]
    [first] = list(catalog.query("SELECT content_sha256 FROM jobs"))
    assert first["content_sha256"] == file_sha256(camera_clip)
    # The camera timed out waiting for the 226 and sends the same file again.
    _curl_upload(ingestd, camera, camera_clip)
    assert _process_spool(ingest_settings, catalog) == [JobState.REJECTED]
    [recording] = list_recordings(catalog)
    [rejection] = list_rejections(catalog)
    assert rejection["reason"] == "duplicate"
    assert rejection["original_name"] == NAME
    # Another clip under the same name (a camera that reuses names) is a clip of its own.
    other = clip_factory("vtest.mp4", seconds=18, width=1280, height=720, fps=15, keyframe_s=3)
    _curl_upload(ingestd, camera, other)
    assert _process_spool(ingest_settings, catalog) == [JobState.INDEXED]
    assert len(list_recordings(catalog)) == 2
    # The same bytes from another camera are that camera's clip.
    _curl_upload(ingestd, make_camera(), camera_clip)
    assert _process_spool(ingest_settings, catalog) == [JobState.INDEXED]
    assert recording["id"] in {row["id"] for row in list_recordings(catalog)}


def test_an_empty_upload_is_recorded_as_rejected_empty(
    ftp_connect, make_camera, ingest_settings, catalog
):
    camera = make_camera()
    ftp = ftp_connect(camera)
    assert ftp.storbinary("STOR test.mp4", io.BytesIO(b"")).startswith("226")
    assert _process_spool(ingest_settings, catalog) == [JobState.REJECTED]
    [rejection] = list_rejections(catalog)
    assert rejection["reason"] == "empty"
    assert rejection["camera_id"] == camera["id"]
    assert rejection["size_bytes"] == 0
