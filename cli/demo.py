"""A demo user and camera for `make run`, so a fresh checkout has something to log in with."""

from __future__ import annotations

import os

from core.catalog.cameras import add_camera
from core.catalog.users import add_user, list_users
from core.security import camera_password

DEMO_EMAIL = "demo@example.com"


def ensure_demo_account(db, settings) -> None:
    """Create the demo logins once; they are written to a 0600 file, never to a log."""
    credentials = settings.storage.data_dir / "demo-credentials.txt"
    if list_users(db):
        if credentials.exists():
            print(f"Demo logins: see {credentials}", flush=True)
        return
    # Letters and digits only: a password that starts with '-' would confuse shells and CLIs.
    password = camera_password(16)
    user = add_user(db, DEMO_EMAIL, password, is_admin=True)
    camera, camera_secret = add_camera(db, user["id"], "Demo camera", "IN-8015")
    host, port = settings.ftp.listen.rsplit(":", 1)
    text = (
        f"Web UI:  http://{settings.web.listen}/  e-mail {DEMO_EMAIL}  password {password}\n"
        f"Camera:  FTP server {host} port {port}  user {camera['username']}"
        f"  password {camera_secret}\n"
        f"Try:     .venv/bin/python scripts/fake-camera --port {port}"
        f" --user {camera['username']} --password {camera_secret}\n"
    )
    credentials.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(credentials, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    print(f"Demo logins (also in {credentials}):\n{text}", flush=True)
