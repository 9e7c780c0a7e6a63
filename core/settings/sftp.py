"""SFTP ingest (ingestd, paramiko)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from core.settings.base import StrictModel, listen_validator

# The SSH ciphers paramiko's server offers, in its order: `[sftp] ciphers` may only name these.
# Held here so that the settings load without paramiko; tests/ingestd/test_sftp_protocol_pin.py
# fails when the pinned paramiko offers others (ingestd.sftp.protocol.paramiko_ciphers).
SSH_CIPHERS = (
    "aes128-ctr",
    "aes192-ctr",
    "aes256-ctr",
    "aes128-cbc",
    "aes192-cbc",
    "aes256-cbc",
    "3des-cbc",
    "aes128-gcm@openssh.com",
    "aes256-gcm@openssh.com",
)
# What is offered by default: counter mode and GCM. CBC (padding-oracle attacks such as
# Lucky Thirteen on SSH) and 3DES (64-bit blocks, Sweet32) are not.
MODERN_SSH_CIPHERS = (
    "aes128-ctr",
    "aes192-ctr",
    "aes256-ctr",
    "aes128-gcm@openssh.com",
    "aes256-gcm@openssh.com",
)
# SHA-2 MACs only; HMAC-SHA1 and HMAC-MD5 (and their -96 truncations) are not offered.
MODERN_SSH_MACS = (
    "hmac-sha2-256",
    "hmac-sha2-512",
    "hmac-sha2-256-etm@openssh.com",
    "hmac-sha2-512-etm@openssh.com",
)
# `legacy_algorithms` adds these (after the modern ones): what old embedded SSH clients (libssh2
# <= 1.8, old dropbear) may know and nothing better. 3DES and MD5 stay out even then.
LEGACY_SSH_CIPHERS = ("aes128-cbc", "aes192-cbc", "aes256-cbc")
LEGACY_SSH_MACS = ("hmac-sha1",)


class SftpSettings(StrictModel):
    enabled: bool = Field(True, description="Serve SFTP.")
    listen: str = Field("127.0.0.1:2222", description="HOST:PORT to listen on (22 in production).")
    host_key: Path | None = Field(
        None, description="SSH host key file; if unset one is generated once in the data dir."
    )
    idle_timeout_s: int = Field(120, ge=5, description="Close sessions idle this long.")
    max_connections_per_ip: int = Field(16, ge=1, description="Concurrent connections per address.")
    max_connections: int = Field(256, ge=1, description="Total concurrent SSH connections.")
    max_channels_per_connection: int = Field(
        4,
        ge=1,
        le=64,
        description=(
            "SSH session channels one connection may open in its life: each may run an SFTP "
            "server thread and buffer up to window_size_mb in ingestd. A camera's client opens "
            "one; more are refused (resource shortage)."
        ),
    )
    login_timeout_s: int = Field(
        30, ge=1, description="Close a connection that has not logged in after this long."
    )
    legacy_algorithms: bool = Field(
        False,
        description="Also offer what old camera firmware (libssh2 <= 1.8) needs: the ssh-rsa "
        "(SHA-1) host key signature (needs an RSA host key), diffie-hellman-group14-sha1 key "
        "exchange, AES-CBC ciphers and hmac-sha1. Weaker; off unless a camera cannot connect "
        "otherwise. Modern clients still get modern algorithms.",
    )
    public_keys: bool = Field(
        True, description="Also accept the public keys registered per camera (camera_keys)."
    )
    window_size_mb: int = Field(
        16,
        ge=1,
        le=1024,
        description="SSH channel window; with max_packet_kb it sets the upload speed "
        "(docs/cameras.md, Upload speed).",
    )
    max_packet_kb: int = Field(
        256, ge=32, le=256, description="Largest SSH packet the server accepts, in KiB."
    )

    ciphers: list[str] = Field(
        default_factory=list,
        description=(
            "SSH ciphers offered; empty: AES-CTR and AES-GCM (plus AES-CBC with "
            "legacy_algorithms). The client takes its own first "
            "choice among them (RFC 4253), so this list decides only by what it leaves out: "
            '["aes128-gcm@openssh.com", "aes256-gcm@openssh.com"] makes OpenSSH clients use GCM '
            "(about a third less server CPU per MB than their default aes128-ctr with HMAC), "
            "but a camera whose SSH client lacks GCM can then no longer connect."
        ),
    )

    _check_listen = listen_validator("listen")

    @field_validator("ciphers")
    @classmethod
    def _known_ciphers(cls, ciphers: list[str]) -> list[str]:
        unknown = [cipher for cipher in ciphers if cipher not in SSH_CIPHERS]
        if unknown:
            raise ValueError(
                f"unknown SSH cipher {', '.join(unknown)}; supported: {', '.join(SSH_CIPHERS)}"
            )
        return ciphers

    @property
    def offered_ciphers(self) -> tuple[str, ...]:
        """The SSH ciphers offered, in order: `ciphers` if set, else the modern ones (and the
        legacy ones after them with `legacy_algorithms`)."""
        if self.ciphers:
            return tuple(self.ciphers)
        return MODERN_SSH_CIPHERS + (LEGACY_SSH_CIPHERS if self.legacy_algorithms else ())

    @property
    def offered_macs(self) -> tuple[str, ...]:
        """The SSH MACs offered (GCM ciphers bring their own): SHA-2, and hmac-sha1 with
        `legacy_algorithms`."""
        return MODERN_SSH_MACS + (LEGACY_SSH_MACS if self.legacy_algorithms else ())
