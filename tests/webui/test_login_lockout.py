"""Strangers cannot lock an owner out: failures count per (network, account), and a browser
that logged in before (signed device cookie) gets in with the right password."""

from __future__ import annotations

import pytest

from cli import main as cli_main
from core.catalog.users import set_password
from tests.webui.conftest import AuthActions
from webui.known_devices import COOKIE

OWNER_NETWORK = "198.51.100.7"
STRANGER_NETWORK = "203.0.113.9"


@pytest.fixture
def settings_dict(settings_dict):
    settings_dict["web"] = {
        **settings_dict["web"],
        "login_max_failures": 5,
        "login_max_failures_per_address": 12,
        "login_max_failures_per_account": 15,
    }
    return settings_dict


def browser(app, address: str) -> tuple:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client, AuthActions(client)


def fail_logins(auth: AuthActions, email: str, times: int) -> None:
    for _ in range(times):
        assert auth.login(email, "a wrong guess").status_code in (401, 429)


def test_a_strangers_failures_do_not_block_the_owner_on_another_network(app, make_user):
    owner = make_user()
    _, stranger = browser(app, STRANGER_NETWORK)
    fail_logins(stranger, owner["email"], 5)
    assert stranger.login(owner["email"], owner["password"]).status_code == 429
    _, at_home = browser(app, OWNER_NETWORK)
    assert at_home.login(owner["email"], owner["password"]).status_code == 302


def test_a_known_device_gets_in_while_strangers_on_its_network_are_refused(app, make_user):
    """Behind a reverse proxy (or one NAT) everyone shares one address."""
    owner, other = make_user(), make_user()
    owners_browser, owners_auth = browser(app, OWNER_NETWORK)
    assert owners_auth.login(owner["email"], owner["password"]).status_code == 302
    assert owners_browser.get_cookie(COOKIE, path="/login") is not None
    owners_auth.logout()

    _, stranger = browser(app, OWNER_NETWORK)
    fail_logins(stranger, owner["email"], 5)
    fail_logins(stranger, other["email"], 7)  # the network's window is full too
    assert stranger.login(owner["email"], owner["password"]).status_code == 429
    assert stranger.login(other["email"], other["password"]).status_code == 429

    assert owners_auth.login(owner["email"], owner["password"]).status_code == 302


def test_guesses_from_many_networks_leave_the_account_to_its_known_devices(app, make_user):
    owner = make_user()
    _, owners_auth = browser(app, OWNER_NETWORK)
    assert owners_auth.login(owner["email"], owner["password"]).status_code == 302
    owners_auth.logout()
    for number in range(4):
        _, stranger = browser(app, f"203.0.{number}.9")
        fail_logins(stranger, owner["email"], 4)
    _, new_browser = browser(app, "192.0.2.50")
    assert new_browser.login(owner["email"], owner["password"]).status_code == 429
    assert owners_auth.login(owner["email"], owner["password"]).status_code == 302


def test_a_known_device_has_its_own_failure_limit(app, make_user):
    owner = make_user()
    _, owners_auth = browser(app, OWNER_NETWORK)
    assert owners_auth.login(owner["email"], owner["password"]).status_code == 302
    owners_auth.logout()
    fail_logins(owners_auth, owner["email"], 5)
    assert owners_auth.login(owner["email"], owner["password"]).status_code == 429


def test_a_device_cookie_helps_only_its_own_account_and_ends_with_a_new_password(
    app, make_user, catalog
):
    owner, victim = make_user(), make_user()
    _, stranger = browser(app, STRANGER_NETWORK)
    assert stranger.login(owner["email"], owner["password"]).status_code == 302
    stranger.logout()
    fail_logins(stranger, victim["email"], 5)
    assert stranger.login(victim["email"], victim["password"]).status_code == 429

    set_password(catalog, owner["id"], "a brand new password 1")
    fail_logins(stranger, owner["email"], 5)
    assert stranger.login(owner["email"], "a brand new password 1").status_code == 429


def test_check_config_says_when_an_untrusted_proxy_makes_everyone_share_one_address(
    client, config_file, capsys
):
    assert cli_main(["--config", str(config_file), "check-config"]) == 0
    assert "X-Forwarded-For" not in capsys.readouterr().out
    client.get("/login", headers={"X-Forwarded-For": "198.51.100.7"})
    assert cli_main(["--config", str(config_file), "check-config"]) == 0
    out = capsys.readouterr().out
    assert "X-Forwarded-For" in out
    assert "trusted_proxies = 0" in out
