"""Issue 15, item 3: a new password or a confirmed address shuts out earlier API tokens and
sessions, so nobody keeps access to an account through them; and a mailed link, filed in the
outbox when no SMTP server is set, is for the service user's eyes only."""

from __future__ import annotations

import stat

from core.catalog.tokens import create_token
from tests.webui.conftest import AuthActions, csrf_from, link_in


def api_status(client, token: str) -> int:
    return client.get("/api/v1/cameras", headers={"Authorization": f"Bearer {token}"}).status_code


def test_changing_the_password_revokes_the_accounts_api_tokens_and_says_so(
    client, auth, make_user, catalog
):
    owner = make_user("dora@example.com")
    _, token = create_token(catalog, owner["id"], "attacker's script", "control")
    assert api_status(client, token) == 200
    auth.login_as(owner)

    response = auth.post(
        "/account/password",
        {
            "current_password": owner["password"],
            "password": "fresh password 9",
            "password2": "fresh password 9",
        },
        follow_redirects=True,
    )

    assert b"Your API token is revoked" in response.data
    assert api_status(client, token) == 401


def test_a_password_reset_by_mailed_link_revokes_the_accounts_api_tokens(
    client, auth, make_user, catalog, outbox
):
    owner = make_user("forgetful@example.com")
    _, token = create_token(catalog, owner["id"], "old", "read")
    _, other = create_token(catalog, make_user()["id"], "someone else's", "read")
    client.post("/reset", data={"email": owner["email"], "csrf_token": auth.csrf("/reset")})
    link = link_in(outbox()[-1], "/reset/")
    form = client.get(link).get_data(as_text=True)
    assert "revokes all API tokens" in form

    done = client.post(
        link,
        data={"password": "brand new pw 2", "password2": "brand new pw 2"}
        | {"csrf_token": csrf_from(form)},
        follow_redirects=True,
    )

    assert b"Your API token is revoked" in done.data
    assert api_status(client, token) == 401
    assert api_status(client, other) == 200


def test_confirming_a_pre_registered_address_ends_the_registrants_sessions_and_tokens(
    app, client, auth, catalog, outbox
):
    # An attacker registers the victim's address and somehow holds a session and a token
    # before the victim, the address's owner, confirms it.
    client.post(
        "/register",
        data={
            "email": "victim@example.com",
            "password": "attackers pw 1",
            "password2": "attackers pw 1",
            "csrf_token": auth.csrf("/register"),
        },
    )
    user_id = catalog.execute("SELECT id FROM users WHERE email = 'victim@example.com'").fetchone()[
        0
    ]
    _, token = create_token(catalog, user_id, "kept", "control")
    catalog.execute("UPDATE users SET needs_confirmation = 0 WHERE id = ?", [user_id])
    attacker = app.test_client()
    AuthActions(attacker).login("victim@example.com", "attackers pw 1")
    catalog.execute("UPDATE users SET needs_confirmation = 1 WHERE id = ?", [user_id])
    assert attacker.get("/account").status_code == 200

    victim = app.test_client()
    assert victim.get(link_in(outbox()[0], "/confirm/")).status_code == 302

    assert api_status(client, token) == 401
    assert attacker.get("/account").status_code == 302


def test_log_out_everywhere_ends_every_session_of_the_account(app, client, auth, make_user):
    owner = make_user()
    other_device = app.test_client()
    AuthActions(other_device).login_as(owner)
    auth.login_as(owner)

    response = auth.post("/account/sessions/end")

    assert response.headers["Location"] == "/login"
    assert other_device.get("/account").status_code == 302
    assert client.get("/account").status_code == 302
    fresh = AuthActions(app.test_client()).login(owner["email"], owner["password"])
    assert fresh.status_code == 302


def test_a_reset_link_filed_in_the_outbox_is_readable_by_the_service_user_only(
    client, auth, make_user, settings, outbox
):
    owner = make_user("forgetful@example.com")
    client.post("/reset", data={"email": owner["email"], "csrf_token": auth.csrf("/reset")})
    assert link_in(outbox()[-1], "/reset/")

    [filed] = settings.storage.outbox_dir.glob("*.eml")
    assert stat.S_IMODE(filed.stat().st_mode) == 0o600
    assert stat.S_IMODE(settings.storage.outbox_dir.stat().st_mode) == 0o700
