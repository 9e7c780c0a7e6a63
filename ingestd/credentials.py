"""Who may log in: one credential store for FTP, FTPS and SFTP, and the brute-force ban.

Passwords are argon2 hashes in the catalog; checking one costs 0.1-0.4 core-seconds, so the
checks run in a small thread pool, never in the FTP I/O loop, and a login verified a moment ago
is recognised without argon2 (`login_cache.RecentLogins`). Guessing is limited by
`login_ban.LoginBan`: per (address, account), with a wider cap per address that cameras known to
log in from there pass.
"""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from core.catalog import DATABASE_ERRORS
from core.catalog.camera_keys import camera_has_key
from core.catalog.cameras import check_camera_login, find_camera_by_username
from core.catalog.engine import error_reason
from core.catalog.login_crypto import LoginCrypto, record_login_crypto
from core.catalog.reconnect import ReconnectingCatalog, reconnecting_catalog
from core.catalog.states import AccountState, FairUseState
from core.catalog.upload_accounts import find_upload_account, owner_stored_bytes
from core.settings import Settings
from ingestd.login_ban import LoginBan
from ingestd.login_cache import RecentLogins

logger = logging.getLogger(__name__)

MSG_WRONG = "Login incorrect."
MSG_BANNED = "Too many failed logins from your address; try again later."
MSG_DISABLED = "This camera is disabled; enable it in the AlarmVault web UI."
MSG_SUSPENDED = "Processing suspended for fair-use reasons, see the web UI."
MSG_PAUSED = "The owner's account is paused; see the AlarmVault web UI."
MSG_SERVER_ERROR = "Temporary server error; try again later."


class LoginRefused(Exception):
    """A login was refused; the message is safe to send to the client."""


@dataclass(frozen=True)
class CameraAccount:
    """A logged-in camera: who it is, where its jail is, and how much its owner may still store."""

    camera_id: int
    username: str
    owner_id: int
    jail: Path
    quota_bytes: int
    stored_bytes: int

    @property
    def quota_left_bytes(self) -> int:
        return max(0, self.quota_bytes - self.stored_bytes)


class CameraCredentials:
    """The one credential store: checks a camera's login for either protocol."""

    def __init__(self, settings: Settings, ban: LoginBan | None = None) -> None:
        ingest = settings.ingest
        self.settings = settings
        self.ban = ban or LoginBan.for_settings(settings)
        self.recent_logins = RecentLogins(ingest.login_cache_s)
        self._catalog_path = settings.storage.catalog_path
        # One catalog connection per login thread, opened again after the catalog was lost.
        self._local = threading.local()
        self._connections: list[ReconnectingCatalog] = []
        self._connections_lock = threading.Lock()
        # The handover check's one connection, used by the threads that hand uploads over (the
        # FTP loop, the rename timer, each SFTP session's own thread) one at a time: one per
        # thread would stay open after its SFTP session ended, one more for every session.
        self._handover_db = reconnecting_catalog(self._catalog_path, "ingestd")
        self._handover_lock = threading.Lock()
        self._pool = ThreadPoolExecutor(
            max_workers=ingest.login_threads, thread_name_prefix="ingestd-login"
        )
        # What each camera logged in with, as last written by this process.
        self._login_crypto: dict[int, LoginCrypto] = {}
        self._login_crypto_lock = threading.Lock()

    def submit_password_login(self, username: str, password: str, address: str) -> Future:
        """Check a password in the login pool; the future's result is a `CameraAccount`."""
        return self._pool.submit(self._password_login, username, password, address)

    def password_login(self, username: str, password: str, address: str) -> CameraAccount:
        """Blocking form of `submit_password_login`, for threads that may wait (SFTP)."""
        return self.submit_password_login(username, password, address).result()

    def key_login(self, username: str, key_base64: str, address: str) -> CameraAccount:
        """Log in with a public key registered for the camera (the signature is checked by SSH)."""
        return self._pool.submit(self._key_login, username, key_base64, address).result()

    def login_is_current(self, account: CameraAccount) -> bool:
        """Whether the camera that logged in still exists under the same id and user name.

        Asked at every handover, in the caller's thread (one indexed read). A catalog error
        answers yes: the pipeline checks every upload's login again before filing it.
        """
        try:
            with self._handover_lock:
                row = find_upload_account(self._handover_catalog(), account.username)
        except DATABASE_ERRORS as error:
            logger.warning("login check at handover failed in the catalog: %s", error_reason(error))
            return True
        return row is not None and row["camera_id"] == account.camera_id

    def address_is_closed(self, address: str) -> bool:
        """Whether to turn ``address`` away before it may try a login (`LoginBan`)."""
        return self.ban.address_is_closed(address)

    def record_login_crypto(self, camera_id: int, crypto: LoginCrypto) -> None:
        """Note in the catalog (in the login pool, never the caller's thread) which algorithms
        a camera logged in with; the same as its last login here writes nothing."""
        with self._login_crypto_lock:
            if self._login_crypto.get(camera_id) == crypto:
                return
            self._login_crypto[camera_id] = crypto
        self._pool.submit(self._record_login_crypto, camera_id, crypto)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        with self._connections_lock:
            for db in self._connections:
                db.close()
            self._connections.clear()
        with self._handover_lock:
            self._handover_db.close()
        self.ban.close()

    # --- in the login pool

    def _refuse_banned(self, address: str, username: str) -> None:
        try:
            banned = self.ban.refuses(address, username)
        except DATABASE_ERRORS as error:
            # The catalog is down (its outage is logged once where it was noticed).
            logger.info("login refused: the ban cannot be checked (%s)", type(error).__name__)
            raise LoginRefused(MSG_SERVER_ERROR) from None
        if banned:
            raise LoginRefused(MSG_BANNED)

    def _password_login(self, username: str, password: str, address: str) -> CameraAccount:
        self._refuse_banned(address, username)
        try:
            db = self._db()
            camera = self._verified_camera(db, username, password)
        except DATABASE_ERRORS as error:
            logger.warning("login check failed in the catalog: %s", error_reason(error))
            raise LoginRefused(MSG_SERVER_ERROR) from None
        except Exception:
            logger.exception("login check failed in the catalog")
            raise LoginRefused(MSG_SERVER_ERROR) from None
        if camera is None:
            self.ban.record_failure(address, username)
            raise LoginRefused(MSG_WRONG)
        return self._account(db, username, address)

    def _record_login_crypto(self, camera_id: int, crypto: LoginCrypto) -> None:
        try:
            record_login_crypto(self._db(), camera_id, crypto)
        except DATABASE_ERRORS:
            logger.exception("could not note the algorithms of a login in the catalog")
            with self._login_crypto_lock:
                self._login_crypto.pop(camera_id, None)  # try again at its next login

    def _verified_camera(self, db: sqlite_utils.Database, username: str, password: str):
        """The camera row if the password is right; argon2 only when not verified recently."""
        camera = find_camera_by_username(db, username)
        if camera is not None and self.recent_logins.matches(
            username, password, camera["id"], camera["password_hash"]
        ):
            return camera
        camera = check_camera_login(db, username, password)
        if camera is not None:
            self.recent_logins.remember(username, password, camera["id"], camera["password_hash"])
        return camera

    def _key_login(self, username: str, key_base64: str, address: str) -> CameraAccount:
        self._refuse_banned(address, username)
        db = self._db()
        account = find_upload_account(db, username)
        if account is None or not camera_has_key(db, account["camera_id"], key_base64):
            # Not a failure yet: SSH clients offer every key they hold before a password.
            raise LoginRefused(MSG_WRONG)
        return self._account(db, username, address)

    def _account(self, db: sqlite_utils.Database, username: str, address: str) -> CameraAccount:
        row = find_upload_account(db, username)
        if row is None:
            raise LoginRefused(MSG_WRONG)
        if not row["enabled"]:
            raise LoginRefused(MSG_DISABLED)
        if row["fairuse_state"] == FairUseState.SUSPENDED:
            raise LoginRefused(MSG_SUSPENDED)
        if row["owner_state"] == AccountState.PAUSED:
            raise LoginRefused(MSG_PAUSED)
        self.ban.record_success(address, username)
        quota_mb = row["quota_mb"] or self.settings.storage.default_quota_mb
        jail = self.settings.storage.uploads_dir / username
        # 0o750: the pipeline's group may read a jail for support; other users never.
        jail.mkdir(parents=True, exist_ok=True, mode=0o750)
        return CameraAccount(
            camera_id=row["camera_id"],
            username=username,
            owner_id=row["owner_id"],
            jail=Path(os.path.realpath(jail)),
            quota_bytes=quota_mb * 1024 * 1024,
            stored_bytes=owner_stored_bytes(db, row["owner_id"]),
        )

    def _handover_catalog(self) -> sqlite_utils.Database:
        """The handover check's connection (the caller holds ``_handover_lock``), opened again
        after PostgreSQL restarted or was unreachable (`CatalogUnavailable` meanwhile)."""
        return self._handover_db.connection()

    def _db(self) -> sqlite_utils.Database:
        """This thread's catalog connection (`CatalogUnavailable` while the catalog is away)."""
        catalog = getattr(self._local, "catalog", None)
        if catalog is None:
            catalog = reconnecting_catalog(self._catalog_path, "ingestd")
            self._local.catalog = catalog
            with self._connections_lock:
                self._connections.append(catalog)
        return catalog.connection()
