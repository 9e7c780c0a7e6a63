"""Bearer tokens: stored hashed, scoped, revocable; rate limits per token and per network."""

from __future__ import annotations

import hashlib

import pytest

from cli import main as cli_main
from core.catalog.tokens import create_token, revoke_token
from tests.conftest import catalog_dump

# The REST API over the real Flask app, on a SQLite catalog and on PostgreSQL.
pytestmark = pytest.mark.both_engines


def test_a_call_without_a_token_is_refused_with_a_bearer_challenge(client):
    response = client.get("/api/v1/cameras")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json["error"] == "unauthorized"


def test_a_session_cookie_does_not_open_the_api(client, alice):
    from tests.webui.conftest import AuthActions

    AuthActions(client).login_as(alice.user)
    assert client.get("/api/v1/cameras").status_code == 401


def test_tokens_are_stored_only_as_their_sha256(catalog, alice):
    stored = {row["token_hash"] for row in catalog.query("SELECT token_hash FROM api_tokens")}
    assert hashlib.sha256(alice.read_token.encode()).hexdigest() in stored
    dump = catalog_dump(catalog)
    assert hashlib.sha256(alice.control_token.encode()).hexdigest() in dump
    assert alice.read_token not in dump and alice.control_token not in dump


def test_me_names_the_tokens_account_and_scope(alice):
    response = alice.get("/me", scope="read")
    assert response.json["user_id"] == alice.user["id"]
    assert response.json["token"]["scope"] == "read"


def test_a_revoked_token_stops_working(catalog, alice):
    token_id = alice.get("/me").json["token"]["id"]
    revoke_token(catalog, token_id)
    assert alice.get("/cameras").status_code == 401


def test_a_token_can_revoke_its_owners_tokens_but_not_others(alice, bob):
    read_id = alice.get("/me", scope="read").json["token"]["id"]
    assert bob.call("DELETE", f"/tokens/{read_id}").status_code == 404
    assert alice.call("DELETE", f"/tokens/{read_id}").status_code == 204
    assert alice.get("/me", scope="read").status_code == 401
    listed = alice.get("/tokens").json["items"]
    assert {token["scope"] for token in listed} == {"read", "control"}
    assert all("token_hash" not in token for token in listed)


def test_a_read_token_cannot_change_anything(alice):
    camera = alice.camera["id"]
    response = alice.call(
        "PATCH", f"/cameras/{camera}/alarm-settings", scope="read", json={"armed": False}
    )
    assert response.status_code == 403
    assert response.json["error"] == "insufficient_scope"
    assert alice.get(f"/cameras/{camera}").json["alarm_settings"]["armed"] is True


def test_calls_over_the_limit_get_429_with_retry_after(app, alice):
    app.config["SETTINGS"].api.requests_per_minute = 3
    app.extensions.pop("alarmvault_api_limiters", None)
    statuses = [alice.get("/cameras").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = alice.get("/cameras")
    assert int(response.headers["Retry-After"]) >= 1
    # Another token has its own budget.
    assert alice.get("/cameras", scope="read").status_code == 200


def test_guessing_tokens_blocks_the_guesses_but_not_the_valid_tokens_of_the_network(
    app, client, alice
):
    app.config["SETTINGS"].api.auth_failures_per_minute = 3
    app.extensions.pop("alarmvault_api_limiters", None)
    for _ in range(3):
        response = client.get("/api/v1/cameras", headers={"Authorization": "Bearer avt_guess"})
        assert response.status_code == 401
    assert (
        client.get("/api/v1/cameras", headers={"Authorization": "Bearer avt_guess"}).status_code
        == 429
    )
    # A stranger's guesses from the same network (or proxy) lock nobody out.
    assert alice.get("/cameras").status_code == 200


def test_successful_calls_report_the_remaining_budget(alice):
    response = alice.get("/cameras")
    assert int(response.headers["X-RateLimit-Remaining"]) < int(
        response.headers["X-RateLimit-Limit"]
    )


@pytest.fixture
def cli(config_file, capsys):
    def _run(*args: str) -> tuple[int, str]:
        code = cli_main(["--config", str(config_file), *args])
        return code, capsys.readouterr().out

    return _run


def test_the_cli_makes_a_token_that_the_api_accepts_and_revokes_it(cli, client, make_user):
    user = make_user("carol@example.com")
    code, out = cli("token", "create", "carol@example.com", "--scope", "control", "--json")
    assert code == 0
    import json

    made = json.loads(out)
    headers = {"Authorization": f"Bearer {made['token']}"}
    me = client.get("/api/v1/me", headers=headers)
    assert me.json["user_id"] == user["id"] and me.json["token"]["scope"] == "control"
    code, out = cli("token", "list", "carol@example.com")
    assert made["token"] not in out and "control" in out
    assert cli("token", "revoke", str(made["id"]))[0] == 0
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert cli("token", "revoke", str(made["id"]))[0] == 1


def test_the_cli_refuses_an_unknown_account(cli):
    assert cli("token", "create", "nobody@example.com")[0] == 1


def test_an_account_has_a_limited_number_of_tokens(catalog, make_user):
    from core.catalog.tokens import TooManyTokens

    user = make_user()
    for _ in range(2):
        create_token(catalog, user["id"], "t", "read", max_active=2)
    with pytest.raises(TooManyTokens):
        create_token(catalog, user["id"], "t", "read", max_active=2)
