"""The media stores under test: the data folder, and a bucket on a local S3-protocol server
(moto's server mode on loopback) standing in for the object store."""

from __future__ import annotations

import re
from collections.abc import Iterator

import boto3
import pytest
from moto.server import ThreadedMotoServer

from core.media_store import MediaStore, media_store
from tests.loopback import free_port
from tests.pipeline.conftest import spool_upload  # noqa: F401 - a fixture for these tests

BUCKET = "alarmvault-media"
ACCESS_KEY = "AKIAEXAMPLEMEDIA0001"
SECRET_KEY = "media-secret-never-shown-to-a-browser"


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture(params=["posix", "s3"])
def store_kind(request) -> str:
    return request.param


@pytest.fixture
def store(store_kind, settings, s3_endpoint, tmp_path, monkeypatch, request) -> MediaStore:
    """The store ``[storage]`` names: the data folder, or ``s3://bucket/<test>`` with its keys
    in the credentials directory as systemd's LoadCredential= gives them."""
    if store_kind == "s3":
        credentials = tmp_path / "credentials"
        credentials.mkdir()
        (credentials / "s3_access_key_id").write_text(ACCESS_KEY + "\n")
        (credentials / "s3_secret_access_key").write_text(SECRET_KEY + "\n")
        monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(credentials))
        client = boto3.client(
            "s3",
            endpoint_url=s3_endpoint,
            region_name="us-east-1",
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )
        if BUCKET not in [b["Name"] for b in client.list_buckets().get("Buckets", [])]:
            client.create_bucket(Bucket=BUCKET)
        settings.storage.media = (
            f"s3://{BUCKET}/{re.sub(r'[^A-Za-z0-9_-]', '-', request.node.name)[:60]}"
        )
        settings.storage.media_endpoint_url = s3_endpoint
    return media_store(settings.storage)
