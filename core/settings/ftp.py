"""FTP and FTPS ingest (ingestd)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from core.settings.base import StrictModel, listen_validator


class FtpSettings(StrictModel):
    enabled: bool = Field(True, description="Serve FTP/FTPS.")
    listen: str = Field("127.0.0.1:2121", description="HOST:PORT to listen on (21 in production).")
    passive_ports: str = Field(
        "30000-30099", description="LOW-HIGH range for passive data connections."
    )
    masquerade_address: str | None = Field(
        None, description="Address announced in PASV replies when behind NAT (port forward)."
    )
    tls_cert: Path | None = Field(
        None, description="PEM certificate for FTPS; if unset a self-signed one is generated once."
    )
    tls_key: Path | None = Field(None, description="PEM private key for tls_cert.")
    tls_hostnames: list[str] = Field(
        default_factory=list,
        description="Host names and addresses the cameras are told to connect to (what is typed "
        "into the camera): the generated self-signed certificate is valid for these (and for "
        "masquerade_address, localhost, 127.0.0.1), so a camera that verifies (ft_insecure=0) "
        "accepts it once it trusts it. Changing the list makes a new certificate.",
    )
    require_tls: bool = Field(False, description="Refuse logins that did not issue AUTH TLS first.")
    tls_min_version: Literal["1.0", "1.1", "1.2", "1.3"] = Field(
        "1.2",
        description="Oldest TLS version FTPS accepts. With 1.2 (and 1.3) only ECDHE key "
        "exchange with AEAD ciphers (GCM, ChaCha20) is accepted. 1.0/1.1 only for old camera "
        "firmware that knows nothing newer: they also allow the CBC and static-RSA ciphers "
        "such firmware needs (check-config warns).",
    )
    tls_max_version: Literal["1.2", "1.3"] = Field(
        "1.3",
        description="Newest TLS version FTPS offers. 1.3 needs TLS 1.3 session tickets off "
        "(lftp aborts uploads on them): `python -m ingestd` sees to that; where it cannot, "
        "FTPS offers 1.2 at most and logs why.",
    )
    idle_timeout_s: int = Field(120, ge=5, description="Close control connections idle this long.")
    data_timeout_s: int = Field(60, ge=5, description="Abort a stalled data transfer after this.")
    max_connections: int = Field(256, ge=1, description="Total concurrent connections.")
    max_connections_per_ip: int = Field(16, ge=1, description="Concurrent connections per address.")
    # One pyftpdlib loop already moves more than 1 GB/s on loopback; a second FTP process on a
    # 2-core box competes with the clients and the SFTP workers and lowered clips/s in
    # scripts/bench-ingest (137 vs 46 clips/s, 8 clients x 5 x 10 MB).
    workers: int = Field(
        1,
        ge=1,
        le=32,
        description="How many of the [ingest] workers serve FTP/FTPS (the others serve SFTP "
        "only); each FTP worker gets a slice of passive_ports.",
    )
    banner: str = Field(
        "AlarmVault upload server ready.", description="Greeting sent on connect (220 reply)."
    )
    permit_foreign_addresses: bool = Field(
        False,
        description="Allow PORT/EPRT to an address other than the client's (FXP); a bounce risk.",
    )

    _check_listen = listen_validator("listen")

    @model_validator(mode="after")
    def _check_tls_versions(self) -> FtpSettings:
        if float(self.tls_min_version) > float(self.tls_max_version):
            raise ValueError(
                f"tls_min_version {self.tls_min_version} is newer than "
                f"tls_max_version {self.tls_max_version}"
            )
        return self

    @field_validator("passive_ports")
    @classmethod
    def _check_passive_ports(cls, value: str) -> str:
        low, sep, high = value.partition("-")
        if not sep or not low.strip().isdigit() or not high.strip().isdigit():
            raise ValueError(f"expected LOW-HIGH, got {value!r}")
        if not 1024 <= int(low) <= int(high) <= 65535:
            raise ValueError(
                f"passive port range {value!r} must lie within 1024-65535, low <= high"
            )
        return value

    @property
    def passive_port_range(self) -> range:
        low, _, high = self.passive_ports.partition("-")
        return range(int(low), int(high) + 1)
