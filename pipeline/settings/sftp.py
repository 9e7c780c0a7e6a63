"""SFTP ingest (ingestd, paramiko)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from pipeline.settings.base import StrictModel, listen_validator


class SftpSettings(StrictModel):
    enabled: bool = Field(True, description="Serve SFTP.")
    listen: str = Field("127.0.0.1:2222", description="HOST:PORT to listen on (22 in production).")
    host_key: Path | None = Field(
        None, description="SSH host key file; if unset one is generated once in the data dir."
    )
    idle_timeout_s: int = Field(120, ge=5, description="Close sessions idle this long.")
    max_connections_per_ip: int = Field(16, ge=1, description="Concurrent connections per address.")
    max_connections: int = Field(256, ge=1, description="Total concurrent SSH connections.")
    login_timeout_s: int = Field(
        30, ge=1, description="Close a connection that has not logged in after this long."
    )
    public_keys: bool = Field(
        True, description="Also accept the public keys registered per camera (camera_keys)."
    )
    window_size_mb: int = Field(
        16,
        ge=1,
        le=1024,
        description="SSH channel window; with max_packet_kb it sets the upload speed (DESIGN 1b).",
    )
    max_packet_kb: int = Field(
        256, ge=32, le=256, description="Largest SSH packet the server accepts, in KiB."
    )

    _check_listen = listen_validator("listen")
