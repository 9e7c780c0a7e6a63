"""Outgoing HTTP to addresses that owners type in (camera addresses, webhook URLs).

An owner-given address must not become a way into the server's own network: the host is
resolved once, the address is checked against a policy, and the connection goes to exactly that
address (so a DNS answer cannot change between the check and the connect).
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import itertools
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
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


IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Cloud metadata services and similar host-only endpoints: never a camera or a webhook, under
# any policy (169.254.0.0/16 and fe80::/10 are link-local and refused anyway).
METADATA_ADDRESSES: tuple[IpNetwork, ...] = tuple(
    ipaddress.ip_network(net)
    for net in (
        "169.254.0.0/16",  # AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle: 169.254.169.254
        "100.100.100.200/32",  # Alibaba Cloud
        "168.63.129.16/32",  # Azure wire server
        "fd00:ec2::254/128",  # AWS over IPv6
        "fe80::/10",
    )
)
# The private ranges a camera on the owner's LAN has ("lan" in ``[api] camera_networks``).
LAN_NETWORKS: tuple[IpNetwork, ...] = tuple(
    ipaddress.ip_network(net)
    for net in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)


@dataclass(frozen=True)
class AllowedNetworks:
    """Where owner-given camera addresses may point (``[api] camera_networks``): public
    addresses if ``public``, and the listed networks. Never metadata addresses, never this
    server's own addresses, and loopback only if ``loopback`` (tests)."""

    public: bool
    networks: tuple[IpNetwork, ...] = ()
    loopback: bool = False

    @classmethod
    def parse(cls, entries: list[str], *, loopback: bool = False) -> AllowedNetworks:
        """``"public"``, ``"lan"`` (private ranges) or a network like ``"192.168.1.0/24"``."""
        networks: list[IpNetwork] = []
        public = False
        for entry in entries:
            word = entry.strip().lower()
            if word == "public":
                public = True
            elif word == "lan":
                networks.extend(LAN_NETWORKS)
            else:
                try:
                    networks.append(ipaddress.ip_network(word, strict=False))
                except ValueError:
                    raise ValueError(
                        f"{entry!r} is not 'public', 'lan' or a network like 192.168.1.0/24"
                    ) from None
        return cls(public, tuple(networks), loopback)

    def allows(self, address: IpAddress) -> bool:
        if address.is_loopback:
            return self.loopback
        if address.is_link_local or address.is_reserved or address in own_addresses():
            return False
        if any(address in network for network in self.networks):
            return True
        return self.public and address.is_global


def resolve_allowed(host: str, port: int, policy: AddressPolicy | AllowedNetworks) -> str:
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


def address_allowed(address: IpAddress, policy: AddressPolicy | AllowedNetworks) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:10.0.0.1 is 10.0.0.1
    if address.is_multicast or address.is_unspecified:
        return False
    if any(address in network for network in METADATA_ADDRESSES):
        return False
    if isinstance(policy, AllowedNetworks):
        return policy.allows(address)
    if policy is AddressPolicy.ANY:
        return True
    if address.is_loopback or address.is_link_local or address.is_reserved:
        return False
    if address in own_addresses():
        return False
    if policy is AddressPolicy.LAN:
        return True
    return address.is_global


_OWN_ADDRESSES_TTL_S = 60.0
_own_addresses_cache: tuple[float, frozenset[IpAddress]] = (-_OWN_ADDRESSES_TTL_S, frozenset())
_own_addresses_lock = threading.Lock()


def own_addresses() -> frozenset[IpAddress]:
    """This machine's addresses (all interfaces), read at most once a minute (DHCP may change
    them). From the kernel's tables on Linux, and what the host name resolves to."""
    global _own_addresses_cache
    with _own_addresses_lock:
        read_at, found = _own_addresses_cache
        if time.monotonic() - read_at < _OWN_ADDRESSES_TTL_S:
            return found
        found = frozenset(_read_own_addresses())
        _own_addresses_cache = (time.monotonic(), found)
        return found


def _read_own_addresses() -> set[IpAddress]:
    addresses: set[IpAddress] = set()
    with contextlib.suppress(OSError):
        # "|-- 10.1.2.3" followed by "/32 host LOCAL": an address of this machine.
        lines = Path("/proc/net/fib_trie").read_text().splitlines()
        for previous, line in itertools.pairwise(lines):
            if "/32 host LOCAL" in line and "|--" in previous:
                addresses.add(ipaddress.ip_address(previous.split("|--")[1].strip()))
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/net/if_inet6").read_text().splitlines():
            digits = line.split()[0]
            addresses.add(ipaddress.IPv6Address(int(digits, 16)))
    with contextlib.suppress(OSError, UnicodeError):
        for info in socket.getaddrinfo(socket.gethostname(), None):
            with contextlib.suppress(ValueError):
                addresses.add(ipaddress.ip_address(str(info[4][0]).split("%")[0]))
    return addresses


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
    target: HttpTarget,
    policy: AddressPolicy | AllowedNetworks,
    timeout: float,
    *,
    verify_tls: bool = True,
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
