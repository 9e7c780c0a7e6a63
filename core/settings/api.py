"""The REST API (`/api/v1`): rate limits, signed download links and camera control."""

from __future__ import annotations

import ipaddress

from pydantic import Field, field_validator

from core.http_target import AllowedNetworks
from core.settings.base import StrictModel, parse_listen


class ApiSettings(StrictModel):
    enabled: bool = Field(True, description="Serve the REST API under /api/v1.")
    requests_per_minute: int = Field(
        120, ge=1, description="Calls one API token may make per minute (all endpoints)."
    )
    control_per_minute: int = Field(
        20, ge=1, description="Camera-control and live-view calls one token may make per minute."
    )
    auth_failures_per_minute: int = Field(
        20,
        ge=1,
        description="Calls with a wrong or revoked token from one client network per minute "
        "before its further invalid tokens are answered 429 (valid tokens are never refused).",
    )
    max_tokens_per_user: int = Field(20, ge=1, description="Active API tokens per account.")
    signed_url_lifetime_s: int = Field(
        300, ge=10, le=86_400, description="How long a signed recording-download link works."
    )
    page_size_max: int = Field(200, ge=1, le=1000, description="Most rows one list call returns.")
    camera_timeout_s: float = Field(
        8.0,
        gt=0,
        le=60,
        description="How long one HTTP call to a camera's CGI (a command, a snapshot) may take "
        "in all, however slowly the camera answers.",
    )
    live_stream_max_s: int = Field(
        300, ge=5, description="A relayed MJPEG live stream is closed after this long."
    )
    camera_calls_per_account: int = Field(
        2,
        ge=1,
        description="Camera calls (live streams, snapshots, control) one account may have "
        "running at once; more are answered 429.",
    )
    camera_call_threads: int = Field(
        4,
        ge=1,
        description="Web threads that camera calls of all accounts may hold at once (at most "
        "[web] threads - 2, so pages always have threads left); more are answered 503.",
    )
    camera_networks: list[str] | None = Field(
        None,
        description="Where stored camera addresses may point: 'public' (internet addresses), "
        "'lan' (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7) or networks like "
        "'192.168.1.0/24'. Unset: ['public', 'lan'] when [web] listen is loopback or a private "
        "address (a NAS at home), else ['public'] only (a hosted service must not reach its own "
        "network). Cloud metadata addresses and the server's own addresses are always refused.",
    )
    camera_allow_loopback: bool = Field(
        False,
        description="Allow camera addresses on loopback or link-local networks (tests only: "
        "otherwise a stored camera address could reach services on the server itself).",
    )

    @field_validator("camera_networks")
    @classmethod
    def _known_networks(cls, value: list[str] | None) -> list[str] | None:
        if value is not None:
            AllowedNetworks.parse(value)  # ValueError names the bad entry
        return value

    def camera_networks_for(self, web_listen: str) -> AllowedNetworks:
        """The networks camera addresses may be in, for a web UI listening on ``web_listen``."""
        entries = self.camera_networks
        if entries is None:
            entries = ["public", "lan"] if listens_inside(web_listen) else ["public"]
        return AllowedNetworks.parse(entries, loopback=self.camera_allow_loopback)


def listens_inside(listen: str) -> bool:
    """The web UI listens on loopback or a private address only (not every address)."""
    host, _ = parse_listen(listen)
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost"
    return address.is_loopback or (address.is_private and not address.is_unspecified)
