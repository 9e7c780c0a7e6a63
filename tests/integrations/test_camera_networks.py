"""The camera relay reaches only the networks ``[api] camera_networks`` allows, never cloud
metadata or the server's own addresses, and tells a stranger nothing about ports it probes."""

from __future__ import annotations

import ipaddress
import socket
import threading
import time

import pytest

from core.camera_cgi import UNREACHABLE, CameraClient, CameraLogin, CameraUnreachable
from core.http_target import AddressPolicy, AllowedNetworks, address_allowed, own_addresses
from core.settings.api import ApiSettings
from tests.loopback import free_port

METADATA = ["169.254.169.254", "100.100.100.200", "168.63.129.16", "fd00:ec2::254", "fe80::1"]
TIMEOUT_S = 0.6


def ip(text: str):
    return ipaddress.ip_address(text)


@pytest.mark.parametrize("address", METADATA)
def test_metadata_addresses_are_refused_under_every_policy(address):
    policies = [
        *AddressPolicy,
        AllowedNetworks.parse(["public", "lan", "0.0.0.0/0", "::/0"], loopback=True),
    ]
    forms = [ip(address)] + ([ip(f"::ffff:{address}")] if "." in address else [])
    for policy in policies:
        for form in forms:
            assert not address_allowed(form, policy), (form, policy)


def test_the_servers_own_addresses_are_refused_even_inside_allowed_networks():
    own = [address for address in own_addresses() if not address.is_loopback]
    if not own:
        pytest.skip("this machine has no address besides loopback")
    everything = AllowedNetworks.parse(["public", "lan", "0.0.0.0/0", "::/0"])
    for address in own:
        assert not address_allowed(address, everything), address
        assert not address_allowed(address, AddressPolicy.LAN), address


def test_a_hosted_server_reaches_public_cameras_only_by_default():
    hosted = ApiSettings().camera_networks_for("0.0.0.0:8080")
    assert address_allowed(ip("8.8.8.8"), hosted)
    for lan in ("10.0.0.5", "172.20.1.1", "192.168.1.20", "100.64.3.3", "fd12:3456::1"):
        assert not address_allowed(ip(lan), hosted), lan


def test_a_server_on_the_lan_or_loopback_reaches_lan_cameras_by_default():
    for listen in ("127.0.0.1:8080", "192.168.1.2:8080", "[::1]:8080"):
        at_home = ApiSettings().camera_networks_for(listen)
        assert address_allowed(ip("192.168.1.20"), at_home)
        assert address_allowed(ip("10.0.0.5"), at_home)
        assert not address_allowed(ip("127.0.0.1"), at_home)
        assert not address_allowed(ip("169.254.169.254"), at_home)


def test_camera_networks_narrow_to_the_listed_networks():
    only = ApiSettings(camera_networks=["192.168.7.0/24"]).camera_networks_for("0.0.0.0:1")
    assert address_allowed(ip("192.168.7.9"), only)
    assert not address_allowed(ip("192.168.8.9"), only)
    assert not address_allowed(ip("8.8.8.8"), only)
    with pytest.raises(ValueError, match="not 'public'"):
        ApiSettings(camera_networks=["the lan"])


class SilentPort:
    """A port that accepts connections and never says a word."""

    def __init__(self, banner: bytes = b"") -> None:
        self.banner = banner
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        self.server.settimeout(0.05)
        held = []
        while not self._stop.is_set():
            try:
                connection, _ = self.server.accept()
            except TimeoutError:
                continue
            if self.banner:
                connection.sendall(self.banner)
            held.append(connection)
        for connection in held:
            connection.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.server.close()


def test_refused_closed_silent_and_foreign_ports_give_the_same_answer_after_the_same_time():
    """What a port scanner would tell apart: an address the policy refuses, a closed port, a
    port that accepts and says nothing, a port that speaks another protocol."""
    silent, ssh = SilentPort(), SilentPort(b"SSH-2.0-OpenSSH_9.2\r\n")
    loopback_too = AllowedNetworks.parse(["public"], loopback=True)
    addresses = {
        "metadata": "169.254.169.254:80",
        "closed": f"127.0.0.1:{free_port()}",
        "silent": f"127.0.0.1:{silent.port}",
        "ssh": f"127.0.0.1:{ssh.port}",
    }
    answers = {}
    try:
        for name, address in addresses.items():
            client = CameraClient(
                CameraLogin(address, "admin", "pw", "fullhd"),
                timeout=TIMEOUT_S,
                policy=loopback_too,
            )
            started = time.monotonic()
            with pytest.raises(CameraUnreachable) as raised:
                client.snapshot()
            answers[name] = (str(raised.value), time.monotonic() - started)
    finally:
        silent.close()
        ssh.close()
    assert {message for message, _ in answers.values()} == {UNREACHABLE}
    for name, (_, seconds) in answers.items():
        assert TIMEOUT_S - 0.05 <= seconds <= TIMEOUT_S + 0.4, (name, seconds)
