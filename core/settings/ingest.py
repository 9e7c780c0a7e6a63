"""Rules ingestd applies to every camera account, whatever the protocol."""

from __future__ import annotations

import os

from pydantic import Field, model_validator

from core.settings.base import StrictModel

# What clients and camera firmware call a file while it is still being written (ncftpput -S,
# WinSCP, rclone, curl scripts, editors' backups): handed over only once renamed.
TEMPORARY_NAMES = ("*.tmp", "*.part", "*~", "*.filepart", "*.partial", ".*")


class IngestSettings(StrictModel):
    max_upload_mb: int = Field(200, ge=1, description="Largest single file accepted (hard cap).")
    ban_after_failures: int = Field(
        5,
        ge=1,
        description=(
            "Failed logins to one camera account from one address before that account is "
            "refused from that address (other cameras on the address are not)."
        ),
    )
    ban_address_after_failures: int = Field(
        30,
        ge=1,
        description=(
            "Failed logins from one address to any accounts together before the address is "
            "refused, except for cameras that logged in from it before (known logins)."
        ),
    )
    ban_window_s: int = Field(600, ge=1, description="Window in which failed logins are counted.")
    ban_duration_s: int = Field(
        900, ge=1, description="How long a banned account (or address) is refused."
    )
    known_login_days: int = Field(
        30,
        ge=1,
        le=3650,
        description=(
            "How long a camera's successful login from an address lets it past that address's "
            "ban (renewed with each login)."
        ),
    )
    failed_login_delay_s: float = Field(
        2.0, ge=0, le=30, description="Pause before answering a failed login (slows guessing)."
    )
    login_threads: int = Field(
        2, ge=1, le=16, description="Threads that check passwords (argon2) off the FTP I/O loop."
    )
    login_cache_s: int = Field(
        300,
        ge=0,
        le=3600,
        description="Recognise a login verified this recently without argon2 (0: always verify).",
    )
    temporary_names: list[str] = Field(
        list(TEMPORARY_NAMES),
        description=(
            "Shell patterns (fnmatch, case-insensitive) of file names that are not final: such "
            "an upload waits in the jail for its rename (FTP RNFR/RNTO, SFTP rename) to a final "
            "name and is handed over under that name; [] hands every upload over at once."
        ),
    )
    rename_timeout_s: int = Field(
        120,
        ge=1,
        le=86400,
        description=(
            "How long an upload under a temporary name waits for its rename; then it is handed "
            "over under its own name (and logged)."
        ),
    )
    max_open_files_per_session: int = Field(
        8,
        ge=1,
        le=256,
        description=(
            "Files one SFTP session may have open for upload at once (rclone --transfers, "
            "WinSCP); more are refused with a message until one is closed. Every open file "
            "holds a file descriptor of the ingestd process all cameras share."
        ),
    )
    max_uploads_awaiting_rename: int = Field(
        16,
        ge=1,
        le=1000,
        description=(
            "Complete uploads under a temporary name one camera may have waiting for their "
            "rename; one more hands the oldest over under its own name at once."
        ),
    )
    max_folders_per_camera: int = Field(
        200,
        ge=1,
        le=100_000,
        description=(
            "Folders a camera may have in its upload folder at once (day folders and the like; "
            "empty ones are removed). More: FTP 550 / SFTP failure, saying so."
        ),
    )
    max_folder_depth: int = Field(
        4,
        ge=1,
        le=64,
        description="How deep a camera's folders may nest (a/b/c/d is 4 levels).",
    )
    empty_folder_age_s: int = Field(
        300,
        ge=60,
        le=86400,
        description=(
            "The upkeep job removes folders in the upload folders that have been empty and "
            "unchanged this long (ingestd removes the ones a session's uploads left when it ends)."
        ),
    )
    free_space_check_s: float = Field(
        2.0,
        gt=0,
        le=60,
        description=(
            "How often a thread of each ingestd process measures the free space that [storage] "
            "min_free_mb guards; an upload start reads the latest figure and never waits on "
            "the file system (a hung NFS mount)."
        ),
    )
    free_space_timeout_s: float = Field(
        30.0,
        gt=0,
        le=3600,
        description=(
            "A free-space measurement not back for this long (a hung mount) means the space "
            "cannot be told: uploads are refused with a temporary reply (the camera keeps its "
            "clip and tries later) until it answers again."
        ),
    )
    workers: int = Field(
        2,
        ge=1,
        le=32,
        description=(
            "ingestd processes sharing the FTP and SFTP ports (about one per core); each gets "
            "a slice of ftp.passive_ports. Per-address connection limits (and sftp's total) "
            "count all of them together."
        ),
    )
    node_name: str = Field(
        default_factory=lambda: os.uname().nodename,
        min_length=1,
        description=(
            "This node's name in the connection counts of a shared PostgreSQL catalog (default: "
            "the host name). Two ingestd on one host against one catalog need different names."
        ),
    )
    node_heartbeat_s: float = Field(
        5.0,
        gt=0,
        le=300,
        description=(
            "How often each ingestd process notes in the shared connection count that it is "
            "alive (PostgreSQL catalog, or several workers)."
        ),
    )
    node_timeout_s: float = Field(
        30.0,
        gt=0,
        le=3600,
        description=(
            "The open connections of an ingestd process not heard from for this long (killed, "
            "its machine off) stop counting towards the per-address limits, and are removed."
        ),
    )

    @model_validator(mode="after")
    def _heartbeat_within_timeout(self) -> IngestSettings:
        if self.node_heartbeat_s * 2 > self.node_timeout_s:
            raise ValueError(
                "ingest.node_timeout_s must be at least twice ingest.node_heartbeat_s: a live "
                "node's connections would stop counting between two heartbeats"
            )
        return self

    @model_validator(mode="after")
    def _free_space_check_within_timeout(self) -> IngestSettings:
        if self.free_space_check_s * 2 > self.free_space_timeout_s:
            raise ValueError(
                "ingest.free_space_timeout_s must be at least twice ingest.free_space_check_s: "
                "a working file system would time out between two measurements"
            )
        return self
