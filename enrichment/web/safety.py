"""Which URLs and addresses we may connect to: website URLs come from strangers' form posts (SSRF).

Only http/https on the default ports, no credentials in the URL, and every address a name resolves to must be
public. The caller connects to the address checked here (never resolving again), which defeats DNS rebinding.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

Resolver = Callable[[str], list[str]]

ALLOWED_PORTS = {"http": 80, "https": 443}
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")


class UnsafeURL(ValueError):
    """The URL or an address it resolves to must not be fetched; the message says why (kept as the reason)."""


@dataclass(frozen=True)
class Target:
    """Where a request really goes: the checked address and port, plus the name for Host and TLS."""

    scheme: str
    host: str
    port: int
    ip: str
    connect_port: int


def system_resolver(host: str) -> list[str]:
    """All addresses for a name, as the OS resolver gives them (IPv4 and IPv6)."""
    infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    return sorted({info[4][0] for info in infos})


def is_public_address(ip: str) -> bool:
    """True only for globally routable unicast addresses, looking through IPv6 wrappers of IPv4."""
    addr = ipaddress.ip_address(ip.split("%", 1)[0])
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped is not None:  # ::ffff:127.0.0.1
            return False
        if addr.sixtofour is not None or addr.teredo is not None:
            return False
        if addr in _NAT64 or addr in _NAT64_LOCAL:
            return False
    return bool(addr.is_global) and not addr.is_multicast and not addr.is_reserved


@dataclass(frozen=True)
class SafetyPolicy:
    """The fetch rules. `test_hosts` maps a test name to a loopback port and exists for tests and benchmarks
    only: production config has no way to set it, so loopback and odd ports stay refused there."""

    resolver: Resolver = system_resolver
    test_hosts: Mapping[str, int] = field(default_factory=dict)
    ca_bundle: str | None = None  # tests only: trust a local CA (production: certifi's bundle)

    def check(self, url: str) -> Target:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ALLOWED_PORTS:
            raise UnsafeURL(f"scheme '{scheme or '(none)'}' is not http or https")
        if parts.username is not None or parts.password is not None:
            raise UnsafeURL("credentials in the URL")
        host = (parts.hostname or "").rstrip(".").lower()
        if not host:
            raise UnsafeURL("no host in the URL")
        try:
            port = parts.port or ALLOWED_PORTS[scheme]
        except ValueError:
            raise UnsafeURL("invalid port") from None
        if port != ALLOWED_PORTS[scheme]:
            raise UnsafeURL(f"port {port} is not the default {scheme} port")
        if host in self.test_hosts:
            return Target(scheme, host, port, "127.0.0.1", self.test_hosts[host])
        try:
            ipaddress.ip_address(host)
            addresses = [host]
        except ValueError:
            try:
                addresses = self.resolver(host)
            except (OSError, UnicodeError) as exc:
                raise UnsafeURL(f"cannot resolve {host}: {exc.__class__.__name__}") from None
        if not addresses:
            raise UnsafeURL(f"{host} has no addresses")
        bad = [a for a in addresses if not is_public_address(a)]
        if bad:
            raise UnsafeURL(f"{host} resolves to a non-public address ({bad[0]})")
        return Target(scheme, host, port, addresses[0], port)
