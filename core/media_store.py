"""Where recordings, posters and plate crops are kept for good: a POSIX folder or an
S3-compatible bucket, behind one small interface.

Keys are the catalog's relative paths under an area: ``recordings/<camera>/<day>/<job>.mp4``,
``thumbs/<camera>/<day>/<job>.poster.jpg``. `PosixMediaStore` is today's layout under the data
folder (the default); a shared NFS or CephFS mount on every node is just another path.
`S3MediaStore` keeps them in a bucket (``[storage] media = "s3://bucket/prefix"``).

Nothing is ever half-written under a key: a folder store writes ``<key>.partial-…``, syncs it
and renames it into place; an S3 PUT (or multipart upload) makes the object visible only once
it is complete. A node that dies mid-upload leaves at most a partial file or an unfinished
multipart upload; the daily upkeep removes the partial files (`remove_partial_files`) and
aborts the uploads (`S3MediaStore.abort_unfinished_uploads`) once they are older than any
copy can take. The clip reaches the store before its catalog row is committed, so a row never
points at nothing; an object without a row (the node died between the two) is an orphan,
removed after a grace period.

The browser never gets the bucket's keys: playback is a pre-signed link of
``media_link_s`` seconds (`playback_url`), or, from a folder, the web node streams the file
with range requests (`local_path`).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from core.catalog.engine import is_postgresql_url
from core.credentials import credential_file
from core.settings.storage import StorageSettings

logger = logging.getLogger(__name__)

ACCESS_KEY_CREDENTIAL = "s3_access_key_id"
SECRET_KEY_CREDENTIAL = "s3_secret_access_key"  # noqa: S105 - its name, not its value
COPY_CHUNK = 1024 * 1024
# How a file being written aside is named: ``<name>.partial-<pid>`` here, ``<name>.partial``
# (`ClipStore.write_derived`), ``<name>.tmp`` (posters, previews, crops). A stored file never
# is: its name is the job's id, then suffixes and an extension the pipeline chose (mp4, jpg …).
PARTIAL_INFIX = ".partial-"
PARTIAL_ENDINGS = (".partial", ".tmp")


def is_partial_name(name: str) -> bool:
    """Whether a file of this name is a copy in progress (or one a dead node left)."""
    return PARTIAL_INFIX in name or name.endswith(PARTIAL_ENDINGS)


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    modified: float  # seconds since the epoch


class MediaStore(ABC):
    """The operations AlarmVault needs on stored media; keys are ``/``-separated."""

    @abstractmethod
    def put(self, source: IO[bytes], key: str) -> None:
        """Store the stream's bytes under ``key``; visible only once whole."""

    def put_file(self, source: Path, key: str) -> None:
        with source.open("rb") as handle:
            self.put(handle, key)

    def move_in(self, source: Path, key: str) -> None:
        """Store ``source`` under ``key`` and remove it. Idempotent: a repeat after a crash
        (source gone, object there) succeeds; neither there is an error."""
        if source.exists():
            self.put_file(source, key)
            source.unlink()
        elif not self.exists(key):
            raise FileNotFoundError(f"{key} is neither at {source} nor stored")

    @abstractmethod
    def fetch(self, key: str, target: Path) -> None:
        """Copy the object to ``target`` (written aside and renamed: whole or absent)."""

    @abstractmethod
    def read_range(self, key: str, start: int, end: int) -> bytes:
        """Bytes ``start`` .. ``end`` inclusive (HTTP Range semantics), for a streamed range
        response."""

    @abstractmethod
    def stat(self, key: str) -> StoredObject | None:
        """The object's size and time, or None when there is none under ``key``."""

    def exists(self, key: str) -> bool:
        return self.stat(key) is not None

    @abstractmethod
    def delete(self, keys: Iterable[str]) -> None:
        """Remove the objects; keys without one are no error."""

    @abstractmethod
    def list(self, prefix: str = "") -> Iterator[StoredObject]:
        """Every object whose key starts with ``prefix``."""

    def playback_url(
        self, key: str, *, content_type: str, filename: str, attachment: bool = False
    ) -> str | None:
        """A short-lived link the browser may fetch the object from directly (as a download
        with ``attachment``), or None when the web node streams it (`local_path`)."""
        return None

    def local_path(self, key: str) -> Path | None:
        """The object as a file this node can read, or None (fetch it first)."""
        return None


class PosixMediaStore(MediaStore):
    """A folder: the data folder by default, or a shared mount (NFS, CephFS) on every node."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"key {key!r} leaves the media folder")
        return path

    def put(self, source: IO[bytes], key: str) -> None:
        _write_whole(source, self.path(key))

    def move_in(self, source: Path, key: str) -> None:
        target = self.path(key)
        if source.exists():
            move_file(source, target)
        elif not target.exists():
            raise FileNotFoundError(f"{key} is neither at {source} nor stored")

    def fetch(self, key: str, target: Path) -> None:
        with self.path(key).open("rb") as handle:
            _write_whole(handle, target)

    def read_range(self, key: str, start: int, end: int) -> bytes:
        with self.path(key).open("rb") as handle:
            handle.seek(start)
            return handle.read(end - start + 1)

    def stat(self, key: str) -> StoredObject | None:
        try:
            info = self.path(key).stat()
        except FileNotFoundError:
            return None
        return StoredObject(key, info.st_size, info.st_mtime)

    def delete(self, keys: Iterable[str]) -> None:
        for key in keys:
            with contextlib.suppress(FileNotFoundError):
                self.path(key).unlink()

    def list(self, prefix: str = "") -> Iterator[StoredObject]:
        root = self.root.resolve()
        if not root.is_dir():
            return
        for folder, _, names in os.walk(root):
            for name in names:
                path = Path(folder) / name
                key = path.relative_to(root).as_posix()
                if key.startswith(prefix):
                    with contextlib.suppress(FileNotFoundError):
                        info = path.stat()
                        yield StoredObject(key, info.st_size, info.st_mtime)

    def local_path(self, key: str) -> Path | None:
        return self.path(key)


class S3MediaStore(MediaStore):
    """An S3-compatible bucket (AWS, MinIO, Ceph RGW …), every key under ``prefix``."""

    def __init__(self, client: Any, bucket: str, prefix: str = "", link_s: int = 300) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.link_s = link_s

    def _name(self, key: str) -> str:
        if key.startswith("/") or ".." in key.split("/"):
            raise ValueError(f"key {key!r} leaves the media prefix")
        return self.prefix + key

    def put(self, source: IO[bytes], key: str) -> None:
        # upload_fileobj: one PUT, or a multipart upload that is completed only after its last
        # part; an error before that aborts it, and the key never shows a partial object.
        self.client.upload_fileobj(source, self.bucket, self._name(key))

    def fetch(self, key: str, target: Path) -> None:
        body = self.client.get_object(Bucket=self.bucket, Key=self._name(key))["Body"]
        with contextlib.closing(body):
            _write_whole(body, target)

    def read_range(self, key: str, start: int, end: int) -> bytes:
        response = self.client.get_object(
            Bucket=self.bucket, Key=self._name(key), Range=f"bytes={start}-{end}"
        )
        with contextlib.closing(response["Body"]) as body:
            return bytes(body.read())

    def stat(self, key: str) -> StoredObject | None:
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        except self.client.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return StoredObject(key, int(head["ContentLength"]), head["LastModified"].timestamp())

    def delete(self, keys: Iterable[str]) -> None:
        names = [self._name(key) for key in keys]
        for start in range(0, len(names), 1000):  # the API's limit per request
            chunk = names[start : start + 1000]
            self.client.delete_objects(
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": name} for name in chunk], "Quiet": True},
            )

    def list(self, prefix: str = "") -> Iterator[StoredObject]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix + prefix
        )
        for page in pages:
            for item in page.get("Contents", []):
                yield StoredObject(
                    item["Key"][len(self.prefix) :],
                    int(item["Size"]),
                    item["LastModified"].timestamp(),
                )

    def playback_url(
        self, key: str, *, content_type: str, filename: str, attachment: bool = False
    ) -> str | None:
        disposition = "attachment" if attachment else "inline"
        return str(
            self.client.generate_presigned_url(
                "get_object",
                Params={
                    "Bucket": self.bucket,
                    "Key": self._name(key),
                    "ResponseContentType": content_type,
                    "ResponseContentDisposition": f'{disposition}; filename="{filename}"',
                },
                ExpiresIn=self.link_s,
            )
        )

    def abort_unfinished_uploads(self, prefix: str, started_before: float) -> int:
        """Abort the multipart uploads of keys starting with ``prefix`` begun before
        ``started_before`` (epoch seconds): a node died in the middle, and the parts it sent
        would be kept (and billed) for ever. Returns how many. Uploads under other prefixes
        of the bucket are never touched. A bucket may also expire them by a lifecycle rule."""
        aborted = 0
        pages = self.client.get_paginator("list_multipart_uploads").paginate(
            Bucket=self.bucket, Prefix=self._name(prefix)
        )
        for page in pages:
            for upload in page.get("Uploads", []):
                if upload["Initiated"].timestamp() < started_before:
                    self.client.abort_multipart_upload(
                        Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                    )
                    aborted += 1
        return aborted


def move_file(source: Path, target: Path) -> None:
    """Move ``source`` to ``target``: one atomic rename on the same file system; onto another
    mount (a shared NFS folder) a copy written aside, synced and renamed into place, then the
    source removed. Either way ``target`` is whole or absent."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(source, target)
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise
        with source.open("rb") as handle:
            _write_whole(handle, target)
        source.unlink()


def remove_partial_files(folder: Path, changed_before: float) -> int:
    """Remove the partial files (`is_partial_name`) under ``folder`` last changed before
    ``changed_before`` (epoch seconds): what a node left that died in the middle of a copy.
    Returns how many. A copy in progress writes all the time, so with ``changed_before`` an
    hour or more ago it is never removed. Symlinks are neither followed nor removed.

    Cost: one listing of every folder below ``folder`` (os.scandir: names and types come with
    the listing, d_type) and one stat per partial file; complete files are never stat'ed. 200 k
    files in 40 k day folders: about 1 s warm, where stat'ing every file (`list`) takes 6 s;
    linear in folders and files (README, "Media storage")."""
    removed = 0
    pending = [os.fspath(folder)]
    while pending:
        try:
            listing = os.scandir(pending.pop())
        except (FileNotFoundError, NotADirectoryError):
            continue  # removed meanwhile (retention), or never made
        with listing:
            for entry in listing:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
                elif is_partial_name(entry.name) and entry.is_file(follow_symlinks=False):
                    with contextlib.suppress(FileNotFoundError):  # renamed into place meanwhile
                        if entry.stat(follow_symlinks=False).st_mtime < changed_before:
                            os.unlink(entry.path)
                            removed += 1
    return removed


def _write_whole(source: IO[bytes] | Any, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}{PARTIAL_INFIX}{os.getpid()}")
    try:
        with partial.open("wb") as handle:
            shutil.copyfileobj(source, handle, COPY_CHUNK)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def unshared_media_warning(storage: StorageSettings) -> str | None:
    """What ``check-config`` says when the catalog is shared (PostgreSQL) but the media are not:
    each node then keeps the recordings it indexed in its own data folder, where no other node
    finds them. Right for one node on PostgreSQL, a surprise on several."""
    if storage.media or not is_postgresql_url(storage.catalog_path):
        return None
    return (
        "[storage] catalog is PostgreSQL but [storage] media is not set: recordings stay in "
        f"this node's data folder ({storage.data_dir}), where other nodes cannot play them. "
        "With several nodes set media to a folder every node mounts or an s3:// bucket "
        "(docs/cluster.md)."
    )


def media_folder(storage: StorageSettings) -> Path | None:
    """The folder ``[storage] media`` names (the data folder when unset), or None for an
    address (a bucket)."""
    if not storage.media:
        return Path(storage.data_dir)
    if "://" not in storage.media:
        return Path(storage.media)
    return None


def media_store(storage: StorageSettings) -> MediaStore:
    """The store ``[storage] media`` names: the data folder when unset, a folder when a path,
    a bucket when ``s3://bucket/prefix``."""
    folder = media_folder(storage)
    if folder is not None:
        return PosixMediaStore(folder)
    assert storage.media is not None  # no folder: an address
    parts = urlsplit(storage.media)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError(
            f"[storage] media must be a folder or s3://bucket/prefix, not {storage.media!r}"
        )
    return S3MediaStore(
        s3_client(storage), parts.netloc, parts.path.strip("/"), link_s=storage.media_link_s
    )


def s3_client(storage: StorageSettings) -> Any:
    """A boto3 S3 client: keys from the credentials directory when given there, else boto3's
    usual sources (environment, instance role)."""
    import boto3  # only S3 set-ups need it loaded (slow to import)
    from botocore.config import Config

    keys: dict[str, str] = {}
    access, secret = credential_file(ACCESS_KEY_CREDENTIAL), credential_file(SECRET_KEY_CREDENTIAL)
    if access and secret:
        keys = {
            "aws_access_key_id": access.read_text().strip(),
            "aws_secret_access_key": secret.read_text().strip(),
        }
    # SigV4 links (X-Amz-Expires: a lifetime, not a date); path-style addresses for endpoints
    # other than AWS (MinIO, RGW), which rarely have a wildcard DNS name per bucket.
    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": "path" if storage.media_endpoint_url else "auto"},
    )
    return boto3.client(
        "s3",
        endpoint_url=storage.media_endpoint_url,
        region_name=storage.media_region or "us-east-1",
        config=config,
        **keys,
    )
