"""Logging in and out, registration with a mailed confirmation, password reset, the session
cookie, CSRF and login rate limiting."""

from __future__ import annotations

import logging

import pytest

from tests.webui.conftest import AuthActions, csrf_from, link_in

# Pages that read and write through the catalog: on SQLite and on PostgreSQL.
pytestmark = pytest.mark.both_engines


def test_login_with_email_and_password_opens_the_dashboard(client, auth, make_user):
    user = make_user("alice@example.com")
    response = auth.login(user["email"], user["password"])
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"
    assert client.get("/dashboard").status_code == 200


def test_session_cookie_is_httponly_and_samesite_and_secure_only_over_tls(app, make_user):
    user = make_user()
    plain = app.test_client()
    AuthActions(plain).login_as(user)
    cookie = plain.get_cookie("alarmvault_session")
    assert cookie.http_only and cookie.same_site == "Lax" and not cookie.secure
    tls = app.test_client()
    page = tls.get("/login", base_url="https://vault.example")

    response = tls.post(
        "/login",
        base_url="https://vault.example",
        headers={"Referer": "https://vault.example/login"},  # CSRF checks it over TLS
        data={
            "email": user["email"],
            "password": user["password"],
            "csrf_token": csrf_from(page.get_data(as_text=True)),
        },
    )
    assert response.status_code == 302
    set_cookie = response.headers["Set-Cookie"]
    assert "Secure" in set_cookie and "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie


def test_wrong_password_is_refused_without_naming_the_address_in_the_log(
    client, auth, make_user, caplog
):
    user = make_user("secret-person@example.com")
    with caplog.at_level(logging.DEBUG):
        response = auth.login(user["email"], "wrong password")
        unknown = auth.login("nobody@example.com", "wrong password")
    assert response.status_code == unknown.status_code == 401
    assert b"Wrong e-mail address or password." in response.data
    assert client.get("/dashboard").status_code == 302
    assert "secret-person@example.com" not in caplog.text
    assert "nobody@example.com" not in caplog.text


def test_a_form_posted_without_its_csrf_token_is_refused(client, make_user):
    user = make_user()
    response = client.post("/login", data={"email": user["email"], "password": user["password"]})
    assert response.status_code == 400
    assert client.get("/dashboard").status_code == 302


def test_logins_are_blocked_after_too_many_failures_even_with_the_right_password(
    client, auth, make_user
):
    """A new browser on the guessing network: blocked for that account, right password or not."""
    user = make_user()
    for _ in range(5):
        assert auth.login(user["email"], "guess").status_code == 401
    blocked = auth.login(user["email"], user["password"])
    assert blocked.status_code == 429
    assert b"Too many failed logins" in blocked.data


def test_logout_ends_the_session(client, auth, make_user):
    auth.login_as(make_user())
    assert auth.logout().status_code == 302
    assert client.get("/dashboard").status_code == 302


def test_next_parameter_never_leads_off_the_site(client, auth, make_user):
    user = make_user()
    response = client.post(
        "/login",
        data={
            "email": user["email"],
            "password": user["password"],
            "next": "//evil.example/x",
            "csrf_token": auth.csrf(),
        },
    )
    assert response.headers["Location"] == "/dashboard"


@pytest.mark.parametrize(
    "target",
    ["/\t/evil.example", "/\n/evil.example", "/\\evil.example", "/\r\nSet-Cookie: x=1", "/ /x"],
)
def test_next_with_characters_browsers_drop_never_leads_off_the_site_or_fails(
    client, auth, make_user, target
):
    user = make_user()
    response = client.post(
        "/login",
        data={
            "email": user["email"],
            "password": user["password"],
            "next": target,
            "csrf_token": auth.csrf(),
        },
    )
    assert (response.status_code, response.headers["Location"]) == (302, "/dashboard")


def test_next_inside_the_site_is_followed_after_login(client, auth, make_user):
    user = make_user()
    target = "/recordings?camera=3&page=2"
    response = client.post(
        "/login",
        data={
            "email": user["email"],
            "password": user["password"],
            "next": target,
            "csrf_token": auth.csrf(),
        },
    )
    assert response.headers["Location"] == target


def test_registration_needs_the_mailed_confirmation_link(client, auth, outbox):
    response = client.post(
        "/register",
        data={
            "email": "new@example.com",
            "password": "long enough 1",
            "password2": "long enough 1",
            "csrf_token": auth.csrf("/register"),
        },
    )
    assert response.status_code == 200
    assert b"Check your mail" in response.data
    [mail] = outbox()
    assert mail["To"] == "new@example.com"
    refused = auth.login("new@example.com", "long enough 1")
    assert refused.status_code == 403
    link = link_in(outbox()[-1], "/confirm/")
    assert client.get(link).status_code == 302
    assert auth.login("new@example.com", "long enough 1").status_code == 302


def test_registering_a_taken_address_tells_its_owner_not_the_visitor(
    client, auth, make_user, outbox
):
    user = make_user("taken@example.com")
    response = client.post(
        "/register",
        data={
            "email": user["email"],
            "password": "another one 1",
            "password2": "another one 1",
            "csrf_token": auth.csrf("/register"),
        },
    )
    assert b"Check your mail" in response.data
    [mail] = outbox()
    assert "has an account already" in mail.get_content()
    assert auth.login(user["email"], "another one 1").status_code == 401


def test_password_reset_by_mailed_link_works_once(client, auth, make_user, outbox):
    user = make_user("forgetful@example.com")
    client.post("/reset", data={"email": user["email"], "csrf_token": auth.csrf("/reset")})
    link = link_in(outbox()[-1], "/reset/")
    form = client.get(link)
    assert form.status_code == 200

    token = csrf_from(form.get_data(as_text=True))
    done = client.post(
        link,
        data={"password": "brand new pw 2", "password2": "brand new pw 2", "csrf_token": token},
    )
    assert done.status_code == 302
    assert auth.login(user["email"], user["password"]).status_code == 401
    assert auth.login(user["email"], "brand new pw 2").status_code == 302
    # Used once: the link is void now.
    assert client.get(link).headers["Location"] == "/reset"


def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(
    client, auth, outbox
):
    response = client.post(
        "/reset", data={"email": "ghost@example.com", "csrf_token": auth.csrf("/reset")}
    )
    assert b"If an account uses" in response.data
    assert outbox() == []


def test_links_in_mails_never_follow_a_forged_host_header(
    client, auth, make_user, outbox, settings
):
    user = make_user()
    forged = "http://evil.example"
    form = client.get("/reset", base_url=forged).get_data(as_text=True)
    response = client.post(
        "/reset", base_url=forged, data={"email": user["email"], "csrf_token": csrf_from(form)}
    )
    assert response.status_code == 200
    body = outbox()[-1].get_content()
    assert "evil.example" not in body
    assert f"http://{settings.web.listen}/reset/" in body


def test_registrations_from_one_network_are_rate_limited(client, auth):
    statuses = []
    for number in range(32):
        response = client.post(
            "/register",
            data={
                "email": f"flood{number}@example.com",
                "password": "long enough 1",
                "password2": "long enough 1",
                "csrf_token": auth.csrf("/register"),
            },
        )
        statuses.append(response.status_code)
    assert statuses[:30] == [200] * 30
    assert statuses[-1] == 429
