"""Where AlarmVault keeps its data."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import psycopg
from psycopg.conninfo import conninfo_to_dict
from pydantic import Field, field_validator

from core.settings.base import StrictModel

POSTGRESQL_SCHEMES = ("postgresql://", "postgres://")


class StorageSettings(StrictModel):
    data_dir: Path = Field(
        Path("var"),
        description="Data directory: catalog, spool, recordings, thumbnails, keys. "
        "Relative paths resolve against the config file's folder.",
    )
    catalog: Path | str | None = Field(
        None,
        description="SQLite catalog file (default <data_dir>/catalog.db), or a PostgreSQL URL "
        "postgresql://user@host/database shared by every node; its password from the "
        "credential catalog_password (systemd LoadCredential=), PGPASSWORD or ~/.pgpass.",
    )
    catalog_pool_size: int = Field(
        8,
        ge=1,
        le=200,
        description="PostgreSQL catalog: connections each process keeps open for its short "
        "uses (a web request, a scheduled job, a metrics scrape) instead of a new one each "
        "time; a web node's waitress threads share them and wait for one when all are busy "
        "(the default matches [web] threads). Count them in the server's max_connections "
        "(docs/cluster.md). Unused with SQLite.",
    )
    catalog_idle_in_transaction_s: int = Field(
        60,
        ge=1,
        le=3600,
        description="PostgreSQL catalog: a session that sits this long inside a transaction "
        "without a statement (its node paused, hung or cut off mid-write, holding the "
        "cluster-wide writer lock) is ended by the server, so the other nodes' writes go on; "
        "the node connects again. Set on every catalog connection (libpq options "
        "-c idle_in_transaction_session_timeout) unless the URL's options set it. "
        "Unused with SQLite.",
    )
    media: str | None = Field(
        None,
        description="Where recordings, posters and plate crops are kept: a folder (a shared "
        "NFS/CephFS mount on every node is just a path) or an S3-compatible bucket as "
        '"s3://bucket/prefix" (keys from the credentials s3_access_key_id and '
        "s3_secret_access_key, else boto3's usual sources). Default: <data_dir>.",
    )
    media_endpoint_url: str | None = Field(
        None, description="The S3 endpoint (MinIO, Ceph RGW …); default: AWS."
    )
    media_region: str | None = Field(None, description="The S3 region, where it matters.")
    media_link_s: int = Field(
        300, ge=10, le=86_400, description="Lifetime of a pre-signed playback link (S3)."
    )
    default_quota_mb: int = Field(
        10_240, ge=1, description="Storage quota per account in MB unless set per user."
    )
    min_free_mb: int = Field(
        512,
        ge=0,
        description="Refuse uploads when the data folder's file system, or a media folder on "
        "another file system, has less free space than this (MB).",
    )

    @field_validator("catalog", mode="before")
    @classmethod
    def _file_or_url(cls, value: object) -> object:
        """A PostgreSQL URL stays text; anything else is a file path (resolved like others)."""
        if isinstance(value, str) and not value.startswith(POSTGRESQL_SCHEMES):
            return Path(value)
        if isinstance(value, str):
            try:
                conninfo_to_dict(value)
            except psycopg.ProgrammingError:
                # libpq's reason quotes the part it choked on, which may be the password.
                raise ValueError(
                    "libpq cannot read this PostgreSQL URL (its reason is not shown: it may "
                    "quote a password); check its form: postgresql://user@host:port/database"
                ) from None
        return value

    @property
    def catalog_path(self) -> Path | str:
        """Where the catalog is: the SQLite file, or the PostgreSQL URL (with the settings
        every session starts with)."""
        if isinstance(self.catalog, str):
            return with_server_setting(
                self.catalog,
                "idle_in_transaction_session_timeout",
                f"{self.catalog_idle_in_transaction_s}s",
            )
        return self.catalog or self.data_dir / "catalog.db"

    @property
    def spool_dir(self) -> Path:
        return self.data_dir / "spool"

    @property
    def incoming_dir(self) -> Path:
        """Completed uploads, one folder each, handed over by ingestd with one atomic rename."""
        return self.spool_dir / "incoming"

    @property
    def staging_dir(self) -> Path:
        """Where ingestd assembles an upload's folder before renaming it into `incoming`."""
        return self.spool_dir / "staging"

    @property
    def uploads_dir(self) -> Path:
        """The per-camera jails that FTP/SFTP sessions write into."""
        return self.data_dir / "uploads"

    @property
    def recordings_dir(self) -> Path:
        return self.data_dir / "recordings"

    @property
    def thumbs_dir(self) -> Path:
        return self.data_dir / "thumbs"

    @property
    def keys_dir(self) -> Path:
        """TLS certificate, SSH host key and the at-rest encryption key."""
        return self.data_dir / "keys"

    @property
    def outbox_dir(self) -> Path:
        """Mails written as files when no SMTP server is configured (dev)."""
        return self.data_dir / "outbox"


def with_server_setting(url: str, name: str, value: str) -> str:
    """The PostgreSQL ``url`` with ``-c name=value`` in its libpq ``options``, unless they set
    ``name`` already: the server applies it as the session's own default, so it holds for every
    connection made with the URL, pooled or not, and ``RESET ALL`` keeps it."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    given = " ".join(option for key, option in query if key == "options")
    if f"{name}=" in given.replace("-", "_"):
        return url
    query = [(key, text) for key, text in query if key != "options"]
    query.append(("options", f"{given} -c {name}={value}".strip()))
    return parts._replace(query=urlencode(query, quote_via=quote)).geturl()
