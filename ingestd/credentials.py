"""Who may log in: one credential store for FTP, FTPS and SFTP, and the brute-force ban.

Passwords are argon2 hashes in the catalog; checking one costs 0.1-0.4 core-seconds, so the
checks run in a small thread pool, never in the FTP I/O loop, and a login verified a moment ago
is recognised without argon2 (`login_cache.RecentLogins`). The ban keys on the full address;
the log sees the shortened form.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from core.catalog import DATABASE_ERRORS, open_catalog
from core.catalog.camera_keys import camera_has_key
from core.catalog.cameras import check_camera_login, find_camera_by_username
from core.catalog.states import AccountState, FairUseState
from core.catalog.upload_accounts import find_upload_account, owner_stored_bytes
from core.settings import Settings
from core.sliding_window import Clock, SlidingWindowLimiter, WindowStore
from core.spool import shorten_address
from ingestd.login_cache import RecentLogins
from ingestd.shared_state import login_failures_store

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


class LoginBan:
    """Refuses an address for ``duration_s`` after ``failures`` failed logins in ``window_s``.

    A `SlidingWindowLimiter` with a lockout, keyed by the full address; with a
    `SqliteWindowStore` (`shared_state`) every worker process counts into the same window.
    Each ban is logged once, with the shortened address.
    """

    def __init__(
        self,
        failures: int,
        window_s: float,
        duration_s: float,
        clock: Clock = time.monotonic,
        store: WindowStore | None = None,
    ) -> None:
        self.failures = failures
        self.duration_s = duration_s
        self.window = SlidingWindowLimiter(
            failures, window_s, lockout_s=duration_s, clock=clock, store=store
        )

    @classmethod
    def for_settings(cls, settings: Settings, *, shared: bool = False) -> LoginBan:
        """This process's ban; ``shared``: the one all workers keep in the shared file."""
        ingest = settings.ingest
        if not shared:
            return cls(ingest.ban_after_failures, ingest.ban_window_s, ingest.ban_duration_s)
        # Wall-clock time: the same in every process.
        return cls(
            ingest.ban_after_failures,
            ingest.ban_window_s,
            ingest.ban_duration_s,
            clock=time.time,
            store=login_failures_store(settings),
        )

    def is_banned(self, address: str) -> bool:
        return self.window.is_blocked(address)

    def record_failure(self, address: str) -> bool:
        """Count a failed login; True when this failure starts a ban (logged here, once)."""
        starts_ban = self.window.record(address)
        if starts_ban:
            logger.warning(
                "login ban: %s refused for %d s after %d failed logins",
                shorten_address(address),
                self.duration_s,
                self.failures,
            )
        return starts_ban

    def record_success(self, address: str) -> None:
        self.window.reset(address)

    def close(self) -> None:
        self.window.close()


class CameraCredentials:
    """The one credential store: checks a camera's login for either protocol."""

    def __init__(self, settings: Settings, ban: LoginBan | None = None) -> None:
        ingest = settings.ingest
        self.settings = settings
        self.ban = ban or LoginBan.for_settings(settings)
        self.recent_logins = RecentLogins(ingest.login_cache_s)
        self._catalog_path = settings.storage.catalog_path
        self._local = threading.local()
        self._connections: list[sqlite_utils.Database] = []
        self._connections_lock = threading.Lock()
        self._pool = ThreadPoolExecutor(
            max_workers=ingest.login_threads, thread_name_prefix="ingestd-login"
        )

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
            row = find_upload_account(self._db(), account.username)
        except DATABASE_ERRORS:
            logger.exception("login check at handover failed in the catalog")
            return True
        return row is not None and row["camera_id"] == account.camera_id

    def is_banned(self, address: str) -> bool:
        return self.ban.is_banned(address)

    def record_failure(self, address: str) -> None:
        self.ban.record_failure(address)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        with self._connections_lock:
            for db in self._connections:
                db.close()
            self._connections.clear()
        self.ban.close()

    # --- in the login pool

    def _password_login(self, username: str, password: str, address: str) -> CameraAccount:
        if self.ban.is_banned(address):
            raise LoginRefused(MSG_BANNED)
        db = self._db()
        try:
            camera = self._verified_camera(db, username, password)
        except Exception:
            logger.exception("login check failed in the catalog")
            raise LoginRefused(MSG_SERVER_ERROR) from None
        if camera is None:
            self.ban.record_failure(address)
            raise LoginRefused(MSG_WRONG)
        return self._account(db, username, address)

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
        if self.ban.is_banned(address):
            raise LoginRefused(MSG_BANNED)
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
        self.ban.record_success(address)
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

    def _db(self) -> sqlite_utils.Database:
        db = getattr(self._local, "db", None)
        if db is None:
            db = open_catalog(self._catalog_path, migrate=False)
            self._local.db = db
            with self._connections_lock:
                self._connections.append(db)
        return db
