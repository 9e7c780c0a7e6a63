"""`alarmvault run --demo`'s logins: made once, written to a 0600 file, usable."""

from __future__ import annotations

from cli.demo import DEMO_EMAIL, ensure_demo_account
from core.catalog.cameras import list_cameras
from core.catalog.users import find_user_by_email


def test_demo_logins_are_made_once_and_written_only_for_the_owner(catalog, settings, capsys):
    ensure_demo_account(catalog, settings)

    credentials = settings.storage.data_dir / "demo-credentials.txt"
    assert credentials.stat().st_mode & 0o777 == 0o600
    user = find_user_by_email(catalog, DEMO_EMAIL)
    [camera] = list_cameras(catalog, user["id"])
    text = credentials.read_text()
    assert camera["username"] in text and "password -" not in text
    assert text in capsys.readouterr().out
    ensure_demo_account(catalog, settings)
    assert len(list_cameras(catalog, user["id"])) == 1
    assert str(credentials) in capsys.readouterr().out
