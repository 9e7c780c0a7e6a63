"""Outgoing HTTP to addresses that owners type in (camera addresses, webhook URLs).

An owner-given address must not become a way into the server's own network: the host is
resolved once, the address is checked against a policy, and the connection goes to exactly that
address (so a DNS answer cannot change between the check and the connect).
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
from dataclasses import dataclass
from enum import Enum
from urllib.parse import urlsplit


class TargetRefused(Exception):
    """The address is malformed or points where AlarmVault may not connect."""


class AddressPolicy(Enum):
    # Public addresses only (webhooks).
    PUBLIC = "public"
    # Also private LAN addresses, where cameras live; never loopback or link-local.
    LAN = "lan"
    # Anything but multicast/unspecified: tests and explicitly allowed setups.
    ANY = "any"


@dataclass(frozen=True)
class HttpTarget:
    scheme: str
    host: str
    port: int
    path: str  # path and query, "/" at least

    @property
    def origin(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return f"{self.scheme}://{host}" + ("" if self.port == default else f":{self.port}")


def parse_http_url(text: str, *, default_scheme: str | None = None) -> HttpTarget:
    """``http(s)://host[:port][/path?query]``; without a scheme ``default_scheme`` is assumed."""
    text = (text or "").strip()
    if len(text) > 2000 or any(ord(char) < 33 for char in text):
        raise TargetRefused("not a valid address")
    if "://" not in text and default_scheme:
        text = f"{default_scheme}://{text}"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise TargetRefused("not a valid address") from None
    if parts.scheme not in ("http", "https"):
        raise TargetRefused("only http and https addresses are supported")
    if not parts.hostname or parts.username is not None or parts.password is not None:
        raise TargetRefused("the address needs a host and must not contain a login")
    if parts.fragment:
        raise TargetRefused("the address must not contain a fragment")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return HttpTarget(
        parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path
    )


def resolve_allowed(host: str, port: int, policy: AddressPolicy) -> str:
    """The first address of ``host`` that the policy allows; TargetRefused if none."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise TargetRefused("the host name cannot be resolved") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if address_allowed(address, policy):
            return str(address)
    raise TargetRefused("the address is not allowed (loopback, link-local or internal network)")


def address_allowed(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, policy: AddressPolicy
) -> bool:
    if address.is_multicast or address.is_unspecified:
        return False
    if policy is AddressPolicy.ANY:
        return True
    if address.is_loopback or address.is_link_local or address.is_reserved:
        return False
    if policy is AddressPolicy.LAN:
        return True
    return address.is_global


class PinnedConnection(http.client.HTTPConnection):
    """An HTTP(S) connection to one already-checked IP address, with the host name kept for the
    Host header and TLS (SNI and certificate check)."""

    def __init__(
        self,
        target: HttpTarget,
        address: str,
        timeout: float,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = address
        self._tls_context = tls_context

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self._tls_context is not None:
            sock = self._tls_context.wrap_socket(sock, server_hostname=self.host)
        self.sock = sock


def open_connection(
    target: HttpTarget, policy: AddressPolicy, timeout: float, *, verify_tls: bool = True
) -> PinnedConnection:
    address = resolve_allowed(target.host, target.port, policy)
    context = None
    if target.scheme == "https":
        context = ssl.create_default_context()
        if not verify_tls:
            # Like the cameras' own `ft_insecure`: many cameras only have a self-signed cert.
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
    return PinnedConnection(target, address, timeout, context)


class ConnectionDeadline:
    """Cuts a connection when its time is up.

    Socket timeouts only bound each read: a peer that trickles one byte at a time (a camera, a
    webhook receiver) would hold the call, and the thread making it, for ever. At the deadline
    the socket is shut down from a timer thread, which ends any read that is waiting, headers
    or body.
    """

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._timer = threading.Timer(seconds, self._cut)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock: socket.socket) -> None:
        """The connected socket to cut (http.client drops its own reference early)."""
        with self._lock:
            self._sock = sock
            expired = self.expired
        if expired:
            self._shut(sock)

    def _cut(self) -> None:
        with self._lock:
            self.expired = True
            sock = self._sock
        if sock is not None:
            self._shut(sock)

    @staticmethod
    def _shut(sock: socket.socket) -> None:
        # The plain socket's shutdown, also for TLS: SSLSocket.shutdown would drop its TLS
        # state under a read running in another thread.
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()
