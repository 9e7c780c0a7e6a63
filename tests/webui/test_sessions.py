"""Issue 15, item 9: web sessions live on the server, so a logout, a lost device or a new
password ends them for good; the account page lists them."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest

from core.catalog.web_sessions import create_session
from pipeline.scheduler.upkeep import database_upkeep
from tests.ops.conftest import NOW
from tests.webui.conftest import AuthActions

# Pages that read and write through the catalog: on SQLite and on PostgreSQL.
pytestmark = pytest.mark.both_engines

COOKIE = "alarmvault_session"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def cookie_of(client) -> str:
    return client.get_cookie(COOKIE).value


def replayed(app, cookie: str):
    """A stranger's browser with a copy of the cookie."""
    stranger = app.test_client()
    stranger.set_cookie(COOKIE, cookie)
    return stranger.get("/account")


def test_a_cookie_copied_before_logout_is_worthless_after_it(app, client, auth, make_user):
    auth.login_as(make_user())
    copied = cookie_of(client)
    assert replayed(app, copied).status_code == 200

    auth.logout()

    assert replayed(app, copied).status_code == 302


def test_the_account_page_lists_each_device_and_one_can_be_logged_out(
    app, client, auth, make_user, catalog
):
    owner = make_user()
    phone = app.test_client()
    phone.environ_base["HTTP_USER_AGENT"] = "Mozilla/5.0 (Linux; Android 14) Chrome/126.0 Mobile"
    AuthActions(phone).login_as(owner)
    client.environ_base["HTTP_USER_AGENT"] = FIREFOX
    auth.login_as(owner)

    page = client.get("/account").get_data(as_text=True)
    assert "Firefox on Linux" in page and "(this one)" in page
    assert "Chrome on Android" in page and "127.0.0.0/24" in page
    phone_session = catalog.execute(
        "SELECT id FROM web_sessions WHERE browser = 'Chrome on Android'"
    ).fetchone()[0]

    auth.post(f"/account/sessions/{phone_session}/end")

    assert phone.get("/account").status_code == 302
    assert client.get("/account").status_code == 200


def test_nobody_can_log_out_another_accounts_session(app, client, auth, make_user, catalog):
    victim = app.test_client()
    AuthActions(victim).login_as(make_user())
    victims_session = catalog.execute("SELECT id FROM web_sessions").fetchone()[0]
    auth.login_as(make_user())

    auth.post(f"/account/sessions/{victims_session}/end")

    assert victim.get("/account").status_code == 200


def test_a_new_password_ends_every_other_session(app, client, auth, make_user):
    owner = make_user()
    other = app.test_client()
    AuthActions(other).login_as(owner)
    copied = cookie_of(other)
    auth.login_as(owner)

    auth.post(
        "/account/password",
        {
            "current_password": owner["password"],
            "password": "fresh password 9",
            "password2": "fresh password 9",
        },
    )

    assert replayed(app, copied).status_code == 302
    assert client.get("/account").status_code == 200


def test_the_catalog_keeps_only_a_hash_of_the_session_id(app, client, auth, make_user, catalog):
    auth.login_as(make_user())
    serializer = app.session_interface.get_signing_serializer(app)
    session_id = serializer.loads(cookie_of(client))["sid"]

    [row] = [dict(row) for row in catalog.query("SELECT * FROM web_sessions")]

    assert row["token_hash"] == hashlib.sha256(session_id.encode()).hexdigest()
    assert session_id not in json.dumps(row)
    assert row["network"] == "127.0.0.0/24"


def test_a_session_unused_for_session_days_ends_and_upkeep_removes_it(
    app, client, auth, make_user, catalog, settings
):
    auth.login_as(make_user())
    days = settings.web.session_days
    catalog.execute(
        "UPDATE web_sessions SET last_seen_at = ?",
        [(NOW - timedelta(days=days + 1)).isoformat(timespec="seconds")],
    )
    assert client.get("/account").status_code == 302

    fresh_user = make_user()
    create_session(catalog, fresh_user["id"], network="127.0.0.0/24", browser="Firefox")
    catalog.execute(
        "UPDATE web_sessions SET last_seen_at = ? WHERE user_id = ?",
        [(NOW - timedelta(days=1)).isoformat(timespec="seconds"), fresh_user["id"]],
    )
    assert database_upkeep(catalog, settings, NOW)["idle_sessions"] == 1
    assert catalog.execute("SELECT user_id FROM web_sessions").fetchall() == [(fresh_user["id"],)]
