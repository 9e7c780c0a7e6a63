"""Fixtures shared by every test area: settings in a temp folder, a fresh catalog, users,
cameras, and real H.264 clips (cached per test session).

Clips are synthesised (`pipeline.media.clipmaker.synthetic_scene`) unless a test asks for real
footage by name; only detection-quality tests do, because only they care what is in the picture.
Test material lives in ../shared (or $ALARMVAULT_SHARED): without it those tests skip with the
reason, except under CI (``CI=true``), where a missing ../shared stops the run at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import os
import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
import sqlite_utils
from argon2 import PasswordHasher

import core.security
from core.catalog import (
    Dialect,
    atomic,
    dialect_of,
    is_postgresql_url,
    migrations,
    open_catalog,
    utcnow,
)
from core.catalog.activity import count_relabelled, labels_of
from core.catalog.cameras import add_camera
from core.catalog.engine import close_catalog_pools
from core.catalog.recordings import insert_recording
from core.catalog.users import add_user
from core.settings import Settings, settings_from_dict
from pipeline.media.clipmaker import make_clip
from tests.loopback import free_port, free_port_range
from tests.postgres import PostgresServer, server_of_its_own

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("ALARMVAULT_SHARED", REPO.parent / "shared"))
FOOTAGE = SHARED / "footage"
MODELS = SHARED / "models"
STILLS = SHARED / "stills"
TEST_OUTPUT = Path(os.environ.get("ALARMVAULT_TEST_OUTPUT", REPO / "test-output"))


def wait_for(predicate, timeout=60.0, interval=0.2, what="condition"):
    """``predicate()``'s first true value, polled every ``interval`` s for ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"{what} not met within {timeout:.0f} s")


# The folders of ../shared that tests read; CI must have all of them.
SHARED_FOLDERS = ("footage", "models", "stills")


def running_in_ci() -> bool:
    """CI services set CI=true; there a test that cannot run must fail, not skip unseen."""
    return os.environ.get("CI", "").lower() in ("true", "1", "yes")


def requires_shared(*parts: str) -> Path:
    """The path in ../shared; if it is absent, skip the test saying what is missing (under CI,
    fail it: a CI run without its test material proves nothing)."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        reason = f"{path} is absent (test material lives in ../shared)"
        if running_in_ci():
            pytest.fail(reason + "; CI=true, so this is an error, not a skip", pytrace=False)
        pytest.skip(reason)
    return path


def pytest_sessionstart(session) -> None:
    """Under CI, stop before running anything if ../shared is missing, naming what is missing,
    instead of skipping every test that needs it."""
    if not running_in_ci():
        return
    missing = [str(SHARED / name) for name in SHARED_FOLDERS if not (SHARED / name).is_dir()]
    if missing:
        raise pytest.UsageError(
            f"CI=true but the test material is missing: {', '.join(missing)}. Link ../shared"
            " beside the checkout or set ALARMVAULT_SHARED to its path."
        )


# What a test leaves running or unclosed must fail that test, not a later one. pytest reports
# an exception of a background thread, and an exception in a finalizer (``__del__``, e.g. the
# ResourceWarning of an unclosed file or socket, an error under ``filterwarnings = error``), in
# the test phase during which it is noticed: left to chance, that is the setup of some later,
# unrelated test (a thread that dies between two tests, garbage collected when the next
# test's fixtures allocate a lot, as the first Flask apps after many small tests do).
THREAD_GRACE_S = 30.0


def pytest_collection_finish(session) -> None:
    """Modules and collected tests live as long as the session: freeze them out of the garbage
    collector, so the full collection after each test only looks at what tests made."""
    gc.collect()
    gc.freeze()


@pytest.fixture(autouse=True)
def leaves_nothing_behind():
    """Set up first, so torn down last: after the test's own fixtures stopped their servers,
    the threads the test started must end (else the test fails, naming them), and its garbage
    is collected now, so finalizer errors are reported in this test's teardown."""
    before = set(threading.enumerate())
    yield
    close_catalog_pools()  # a PostgreSQL catalog's pools (web requests, scheduled jobs)
    deadline = time.monotonic() + THREAD_GRACE_S
    running = []
    for thread in threading.enumerate():
        if thread in before or thread is threading.current_thread():
            continue
        thread.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive():
            running.append(thread.name)
    gc.collect()
    assert not running, f"threads the test started still run after its teardown: {running}"


@pytest.fixture(autouse=True)
def cheaper_argon2(monkeypatch):
    """Real argon2id at its lowest cost for the passwords tests hash: at the production cost a
    hash or a check takes ~0.2-0.5 s on two shared cores, and the tests make thousands (every
    user and camera, every login). The cost is stored in each hash, so a server process the
    test starts checks these hashes as cheaply; what the production cost is, is not tested."""
    monkeypatch.setattr(
        core.security, "_hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )


def pytest_generate_tests(metafunc) -> None:
    """Tests marked ``both_engines`` run once on a SQLite catalog and once on PostgreSQL
    (unless the test names its engine itself with ``parametrize("catalog_engine", …)``)."""
    named = any(
        "catalog_engine" in str(marker.args[0])
        for marker in metafunc.definition.iter_markers("parametrize")
    )
    if (
        "catalog_engine" in metafunc.fixturenames
        and metafunc.definition.get_closest_marker("both_engines")
        and not named
    ):
        metafunc.parametrize("catalog_engine", list(Dialect), indirect=True, ids=str)


@pytest.fixture
def catalog_engine(request) -> Dialect:
    """The catalog's engine for this test: SQLite unless the test is marked ``both_engines``
    or ``ALARMVAULT_TEST_CATALOG=postgresql`` runs every test on PostgreSQL. A test marked
    ``sqlite_only(reason)`` looks at what only a SQLite catalog has: on PostgreSQL it is
    skipped with that reason."""
    default = os.environ.get("ALARMVAULT_TEST_CATALOG", Dialect.SQLITE)
    engine = Dialect(getattr(request, "param", default))
    sqlite_only = request.node.get_closest_marker("sqlite_only")
    if sqlite_only and engine is not Dialect.SQLITE:
        pytest.skip(f"SQLite only: {sqlite_only.kwargs.get('reason') or sqlite_only.args[0]}")
    return engine


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One real PostgreSQL server for the whole session, with the migrated catalog template.
    Its folder is outside pytest's (which only root may enter): the server runs as nobody."""
    with server_of_its_own() as server:
        yield server


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server of the test module's own, for tests that stop or restart it: a
    module marked ``postgres_of_its_own`` has its catalogs there (the session's server serves
    every other test)."""
    with server_of_its_own() as server:
        yield server


@pytest.fixture
def postgres_catalog_url(request) -> Iterator[str]:
    """A fresh PostgreSQL database holding the migrated, empty catalog (on the module's own
    server where it is marked ``postgres_of_its_own``)."""
    own = request.node.get_closest_marker("postgres_of_its_own")
    server = request.getfixturevalue("own_postgres" if own else "postgres_server")
    url = server.fresh_database()
    yield url
    server.drop(url)


@pytest.fixture
def settings_dict(tmp_path: Path, catalog_engine: Dialect, request) -> dict:
    """Settings as written in a TOML file: data in tmp_path, every service on a free port; the
    catalog a SQLite file in the data folder or a fresh PostgreSQL database."""
    low, high = free_port_range()
    storage: dict = {"data_dir": str(tmp_path / "data"), "min_free_mb": 0}
    if catalog_engine is Dialect.POSTGRESQL:
        storage["catalog"] = request.getfixturevalue("postgres_catalog_url")
    return {
        "storage": storage,
        "ftp": {"listen": f"127.0.0.1:{free_port()}", "passive_ports": f"{low}-{high}"},
        "sftp": {"listen": f"127.0.0.1:{free_port()}"},
        "web": {"listen": f"127.0.0.1:{free_port()}"},
        "pipeline": {"poll_interval_s": 0.5},
        "logging": {"level": "DEBUG"},
    }


@pytest.fixture
def settings(settings_dict: dict, tmp_path: Path) -> Settings:
    return settings_from_dict(settings_dict, tmp_path)


class SmallFileSystem:
    """A real file system of a chosen size: a tmpfs mounted on ``path``, so a write past its
    size fails with ENOSPC as on a full disk, and ``statvfs`` reports exactly its size. Mounting
    needs root with CAP_SYS_ADMIN (this sandbox, a privileged CI container); elsewhere the
    test is skipped with the reason."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def mount(self, size_kib: int) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        self._mount("-t", "tmpfs", "-o", f"size={size_kib}k,mode=0755", "tmpfs")

    def resize(self, size_kib: int) -> None:
        """Grow (or shrink) it in place: what an admin who freed space does."""
        self._mount("-o", f"remount,size={size_kib}k")

    def unmount(self) -> None:
        subprocess.run(["umount", str(self.path)], check=False, capture_output=True)

    def _mount(self, *options: str) -> None:
        done = subprocess.run(
            ["mount", *options, str(self.path)], check=False, capture_output=True, text=True
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a small file system here: {done.stderr.strip()}")


@pytest.fixture
def small_file_system(tmp_path: Path) -> Iterator[SmallFileSystem]:
    """A 1 MiB file system of its own (`SmallFileSystem`), unmounted after the test."""
    file_system = SmallFileSystem(tmp_path / "small-fs")
    file_system.mount(1024)
    try:
        yield file_system
    finally:
        file_system.unmount()


@pytest.fixture
def config_file(settings_dict: dict, tmp_path: Path) -> Path:
    """The same settings written to a TOML file, for tests that start real processes."""
    import tomli_w

    path = tmp_path / "alarmvault.toml"
    path.write_bytes(tomli_w.dumps(settings_dict).encode())
    return path


@pytest.fixture(scope="session")
def sqlite_catalog_template(tmp_path_factory) -> Path:
    """The migrated, empty SQLite catalog, made once per session: a test's catalog starts as a
    copy of it (what ``CREATE DATABASE … TEMPLATE`` is on PostgreSQL). Running every migration
    with a synchronous commit each costs ~0.15 s, in each of a thousand tests."""
    path = tmp_path_factory.mktemp("catalog-template") / "catalog.db"
    open_catalog(path).close()  # the last connection folds the WAL into the file
    assert not path.with_name(path.name + "-wal").exists()
    return path


@pytest.fixture
def catalog(settings: Settings, request) -> Iterator:
    """The test's catalog: a fresh PostgreSQL database, or a SQLite file in the data folder,
    both migrated; ``open_catalog`` would migrate what is missing, so this is the same."""
    path = settings.storage.catalog_path
    if isinstance(path, Path) and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(request.getfixturevalue("sqlite_catalog_template"), path)
    db = open_catalog(path)
    yield db
    db.close()


@pytest.fixture
def dispatcher(settings: Settings, catalog) -> Iterator:
    """The notification dispatcher (webhooks, MQTT, mail) on the test catalog, stopped after."""
    from pipeline.integrations.dispatcher import NotificationDispatcher

    dispatcher = NotificationDispatcher(settings, db=catalog)
    yield dispatcher
    dispatcher.stop()


@pytest.fixture
def make_user(catalog) -> Callable[..., dict]:
    counter = iter(range(1, 10_000))

    def _make(email: str | None = None, password: str = "correct horse 1", **kwargs) -> dict:
        user = add_user(catalog, email or f"user{next(counter)}@example.com", password, **kwargs)
        user["password"] = password
        return user

    return _make


@pytest.fixture
def make_camera(catalog, make_user) -> Callable[..., dict]:
    """A camera with its clear-text upload password in ``camera['password']``."""

    def _make(owner: dict | None = None, model: str = "IN-8015", name: str = "Garden") -> dict:
        owner = owner or make_user()
        camera, password = add_camera(catalog, owner["id"], name, model)
        camera["password"] = password
        camera["owner"] = owner
        return camera

    return _make


class ClipFactory:
    """Makes real clips with `pipeline.media.clipmaker` and caches them for the session.

    ``source`` names a video in ../shared/footage; without one the clip shows a synthetic scene.
    The cache may be shared by the processes of one run (pytest-xdist's workers): each clip is
    made by one of them, under a file lock, and written whole before its name appears.
    """

    def __init__(self, cache: Path) -> None:
        self.cache = cache
        self._lock = threading.Lock()

    def __call__(self, source: str | None = None, name: str | None = None, **options) -> Path:
        src = requires_shared("footage", source) if source is not None else None
        key = name or (
            (Path(source).stem if source is not None else "synthetic")
            + "-"
            + "-".join(f"{k}{v}" for k, v in sorted(options.items()) if k != "frame_filter")
        )
        suffix = ".avi" if options.get("container_format") == "avi" else ".mp4"
        target = self.cache / f"{key}{suffix}"
        with self._lock:
            if target.exists():
                return target
            with open(target.with_name(target.name + ".lock"), "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
                if not target.exists():
                    tmp = target.with_name(f"tmp-{os.getpid()}-{target.name}")
                    make_clip(src, tmp, **options)
                    tmp.replace(target)
        return target


def label_recording(
    catalog: sqlite_utils.Database,
    recording_id: int,
    label: str,
    *,
    score: float = 0.9,
    first_s: float = 1.0,
    last_s: float = 4.0,
) -> None:
    """A detection label on a recording, without a detection run, counted in its camera's
    activity slots and label counts as `store_detection_results` counts what it writes."""
    with atomic(catalog):
        before = labels_of(catalog, recording_id)
        catalog.execute(
            "INSERT INTO recording_labels (recording_id, label, best_score, first_s, last_s)"
            " VALUES (?, ?, ?, ?, ?)",
            [recording_id, label, score, first_s, last_s],
        )
        count_relabelled(catalog, recording_id, before, before | {label})


def catalog_dump(db: sqlite_utils.Database) -> str:
    """Every row of every catalog table as text, on either engine: what anyone holding a copy
    of the catalog (the SQLite file, a PostgreSQL dump) can read."""
    return "\n".join(
        f"{table}: {row!r}"
        for table in db.table_names()
        for row in db.query(f'SELECT * FROM "{table}"')  # noqa: S608 - the catalog's own names
    )


def catalog_writes(db: sqlite_utils.Database) -> object:
    """A value that changes with every row written to the catalog, even an UPDATE that sets
    what was there: SQLite's count of changed rows; on PostgreSQL the version (``xmin``, the
    transaction that wrote it, and ``ctid``, where) of every row, which any write replaces."""
    if dialect_of(db) is Dialect.SQLITE:
        return db.conn.total_changes
    return {
        table: sorted(
            db.execute(f'SELECT xmin::text, ctid::text FROM "{table}"').fetchall()  # noqa: S608
        )
        for table in db.table_names()
    }


def open_catalog_as_of(path: Path | str, last_migration: int) -> sqlite_utils.Database:
    """The catalog as the release whose newest migration was ``last_migration`` left it: an old
    data folder, or an old PostgreSQL database, for the upgrade-in-place tests (opening it again
    with `open_catalog` upgrades). A test's PostgreSQL database starts migrated (a copy of the
    template): it is emptied first, as a new database is."""
    if is_postgresql_url(path):
        with contextlib.closing(psycopg.connect(str(path), autocommit=True)) as conn:
            conn.execute("DROP SCHEMA public CASCADE")
            conn.execute("CREATE SCHEMA public")
    every = migrations.available_migrations()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            migrations,
            "available_migrations",
            lambda: [(number, name) for number, name in every if number <= last_migration],
        )
        return open_catalog(path)


def insert_old_recording(db: sqlite_utils.Database, recording: dict) -> int:
    """A recording row as a release before the running totals (m0101) wrote it: the row only,
    for catalogs from `open_catalog_as_of` (their upgrade fills the totals in)."""
    row = {"released": 0, "created_at": utcnow(), **recording}
    columns, marks = ", ".join(row), ", ".join("?" for _ in row)
    inserted = db.execute(
        f"INSERT INTO recordings ({columns}) VALUES ({marks}) RETURNING id",  # noqa: S608
        list(row.values()),
    )
    return int(inserted.fetchone()[0])


def index_names(db: sqlite_utils.Database) -> set[str]:
    """The names of the catalog's indexes, on either engine."""
    if dialect_of(db) is Dialect.SQLITE:
        query = "SELECT name FROM sqlite_master WHERE type = 'index'"
    else:
        query = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
    return {row[0] for row in db.execute(query)}


@pytest.fixture(scope="session")
def clip_factory(tmp_path_factory, request) -> ClipFactory:
    """``clip_factory(seconds=18, width=1280, height=720, fps=15, keyframe_s=2)`` → Path.
    Under pytest-xdist the workers share one cache in the run's temp folder (each worker's own
    folder is inside it), so a clip is encoded once per run, not once per worker."""
    run_folder = tmp_path_factory.getbasetemp()
    if hasattr(request.config, "workerinput"):  # an xdist worker's folder is inside the run's
        run_folder = run_folder.parent
    cache = run_folder / "clips"
    cache.mkdir(exist_ok=True)
    return ClipFactory(cache)


@pytest.fixture(scope="session")
def camera_clip(clip_factory) -> Path:
    """An 18 s 1280x720 15 fps H.264 MP4 (keyframe every 2 s), like an IN-8015 alarm clip;
    a synthetic scene."""
    return clip_factory(seconds=18, width=1280, height=720, fps=15)


@pytest.fixture(scope="session")
def people_clip(clip_factory) -> Path:
    """Real footage with people walking (../shared/footage/vtest.mp4), 18 s 1280x720 15 fps:
    for tests that need what a real model finds (a synthetic scene has nobody in it)."""
    return clip_factory("vtest.mp4", seconds=18, width=1280, height=720, fps=15)


BROWSER_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser():
    """Debian's headless Chromium driven by Playwright (never a downloaded browser)."""
    executable = Path("/usr/bin/chromium")
    if not executable.exists():
        pytest.skip("/usr/bin/chromium is absent: run scripts/install-sysdeps")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(executable), args=BROWSER_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def index_recording_row(catalog) -> Callable[..., int]:
    """Index a recording row for ``camera`` without a file (optionally with detection labels, and
    a detection run): for what reacts to new recordings, not for what plays them."""

    def _record(camera: dict, labels: tuple[str, ...] = (), analysed: bool = False) -> int:
        with atomic(catalog):
            recording_id = insert_recording(
                catalog,
                {
                    "camera_id": camera["id"],
                    "job_id": uuid.uuid4().hex,
                    "started_at": utcnow(),
                    "received_at": utcnow(),
                    "duration_s": 18.0,
                    "width": 1280,
                    "height": 720,
                    "fps": 15.0,
                    "frame_count": 270,
                    "codec": "h264",
                    "container": "mp4",
                    "size_bytes": 1000,
                    "path": f"{camera['id']}/x/{uuid.uuid4().hex}.mp4",
                },
            )
            for label in labels:
                label_recording(catalog, recording_id, label, last_s=5.0)
            if analysed:
                catalog.execute(
                    "INSERT INTO detection_runs (recording_id, analyzed_at, switches, model,"
                    " keyframes, extra_frames, detector_runs, elapsed_ms)"
                    " VALUES (?, ?, 'objects', 'test', 9, 0, 9, 100)",
                    [recording_id, utcnow()],
                )
        return recording_id

    return _record
