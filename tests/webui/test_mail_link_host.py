"""Issue 15, item 5: links in mails never follow the Host header, even when the UI listens on
every address and no public URL is set."""

from __future__ import annotations

import socket

import pytest

from cli import main as cli_main
from tests.webui.conftest import csrf_from


@pytest.fixture
def settings_dict(settings_dict):
    return {**settings_dict, "web": {"listen": "0.0.0.0:8080"}}


def test_reset_link_ignores_a_forged_host_when_listening_on_every_address(
    client, make_user, outbox
):
    user = make_user()
    forged = "http://evil.example"
    form = client.get("/reset", base_url=forged).get_data(as_text=True)
    client.post(
        "/reset", base_url=forged, data={"email": user["email"], "csrf_token": csrf_from(form)}
    )

    body = outbox()[-1].get_content()
    assert "evil.example" not in body
    assert f"http://{socket.getfqdn()}:8080/reset/" in body


def test_check_config_says_that_mail_links_need_the_public_url(config_file, capsys):
    assert cli_main(["--config", str(config_file), "check-config"]) == 0

    out = capsys.readouterr().out
    assert "public_url is not set" in out
    assert f"point to http://{socket.getfqdn()}:8080" in out
