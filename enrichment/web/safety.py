"""Which URLs and addresses we may connect to: website URLs come from strangers' form posts (SSRF).

Only http/https on the default ports, no credentials in the URL, and every address a name resolves to must be
public. The caller connects to the address checked here (never resolving again), which defeats DNS rebinding.

"Public" is decided by the fixed tables below, never by `ipaddress`'s `is_global`/`is_private`: those changed
between Python patch releases (3.11.7 still calls 192.0.0.192 and fec0::1 global), and a safety rule must not
depend on which interpreter a worker happens to run.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

Resolver = Callable[[str], list[str]]

ALLOWED_PORTS = {"http": 80, "https": 443}

# Every entry of the IANA IPv4 Special-Purpose Address Registry whose "Globally Reachable" is False, plus the
# terminated 6to4 relay anycast block (no reachability given; RFC 7526). Source:
# https://www.iana.org/assignments/iana-ipv4-special-registry/ (last updated 2020-09-04; transcribed 2026-12).
# The registry's globally reachable entries nested inside 192.0.0.0/24 (192.0.0.9 PCP and 192.0.0.10 TURN
# anycast) stay refused with their parent: they are protocol services, never a company's website.
IPV4_SPECIAL: tuple[tuple[str, str], ...] = (
    ("0.0.0.0/8", '"This network" (RFC 791)'),
    ("0.0.0.0/32", '"This host on this network" (RFC 1122)'),
    ("10.0.0.0/8", "Private-Use (RFC 1918)"),
    ("100.64.0.0/10", "Shared Address Space, carrier-grade NAT (RFC 6598)"),
    ("127.0.0.0/8", "Loopback (RFC 1122)"),
    ("169.254.0.0/16", "Link Local, incl. cloud metadata 169.254.169.254 (RFC 3927)"),
    ("172.16.0.0/12", "Private-Use (RFC 1918)"),
    ("192.0.0.0/24", "IETF Protocol Assignments (RFC 6890)"),
    ("192.0.0.0/29", "IPv4 Service Continuity Prefix (RFC 7335)"),
    ("192.0.0.8/32", "IPv4 dummy address (RFC 7600)"),
    ("192.0.0.170/32", "NAT64/DNS64 Discovery (RFC 8880)"),
    ("192.0.0.171/32", "NAT64/DNS64 Discovery (RFC 8880)"),
    ("192.0.2.0/24", "Documentation TEST-NET-1 (RFC 5737)"),
    ("192.88.99.0/24", "Deprecated 6to4 Relay Anycast, terminated 2015-03 (RFC 7526)"),
    ("192.88.99.2/32", "6a44-relay anycast address (RFC 6751)"),
    ("192.168.0.0/16", "Private-Use (RFC 1918)"),
    ("198.18.0.0/15", "Benchmarking (RFC 2544)"),
    ("198.51.100.0/24", "Documentation TEST-NET-2 (RFC 5737)"),
    ("203.0.113.0/24", "Documentation TEST-NET-3 (RFC 5737)"),
    ("240.0.0.0/4", "Reserved (RFC 1112)"),
    ("255.255.255.255/32", "Limited Broadcast (RFC 919, RFC 8190)"),
)
# Not in the special-purpose registry but never a web server: the IANA IPv4 Multicast Address Space (RFC 5771).
IPV4_OTHER: tuple[tuple[str, str], ...] = (
    ("224.0.0.0/4", "Multicast (RFC 5771)"),
)

# Every entry of the IANA IPv6 Special-Purpose Address Registry whose "Globally Reachable" is False, plus the
# terminated ORCHID block and Teredo (reachability "N/A"; inside 2001::/23 anyway). Source:
# https://www.iana.org/assignments/iana-ipv6-special-registry/ (last entry 100:0:0:1::/64, RFC 9780, 2025-04;
# transcribed 2026-12). As with IPv4, the globally reachable anycast/AMT/AS112/ORCHIDv2/DET entries nested
# in 2001::/23 stay refused with it. 6to4 (2002::/16, "N/A") and the well-known NAT64 prefix 64:ff9b::/96
# (globally reachable) carry an IPv4 address: they are judged by that address (see `embedded_ipv4`).
IPV6_SPECIAL: tuple[tuple[str, str], ...] = (
    ("::1/128", "Loopback Address (RFC 4291)"),
    ("::/128", "Unspecified Address (RFC 4291)"),
    ("::ffff:0:0/96", "IPv4-mapped Address (RFC 4291)"),
    ("64:ff9b:1::/48", "IPv4-IPv6 Translation, local use (RFC 8215)"),
    ("100::/64", "Discard-Only Address Block (RFC 6666)"),
    ("100:0:0:1::/64", "Dummy IPv6 Prefix (RFC 9780)"),
    ("2001::/23", "IETF Protocol Assignments (RFC 2928)"),
    ("2001::/32", "TEREDO (RFC 4380)"),
    ("2001:2::/48", "Benchmarking (RFC 5180)"),
    ("2001:10::/28", "Deprecated, previously ORCHID, terminated 2014-03 (RFC 4843)"),
    ("2001:db8::/32", "Documentation (RFC 3849)"),
    ("3fff::/20", "Documentation (RFC 9637)"),
    ("5f00::/16", "Segment Routing (SRv6) SIDs (RFC 9602)"),
    ("fc00::/7", "Unique-Local (RFC 4193)"),
    ("fe80::/10", "Link-Local Unicast (RFC 4291)"),
)
# From the IANA IPv6 Address Space registry: unicast addresses are only assigned from 2000::/3 (Global Unicast);
# everything else is "Reserved by IETF" (incl. fec0::/10, the deprecated site-local block, RFC 3879, and the
# IPv4-compatible ::/96), Unique-Local, Link-Local or Multicast (ff00::/8).
IPV6_GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")
IPV6_OTHER: tuple[tuple[str, str], ...] = (
    ("ff00::/8", "Multicast (RFC 4291)"),
    ("fec0::/10", "Reserved by IETF, formerly Site-Local (RFC 3879)"),
    ("::/96", "Reserved by IETF, deprecated IPv4-compatible (RFC 4291)"),
)
NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: globally reachable, judged by the IPv4 inside
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # refused above; its IPv4 inside is named in the reason

_V4_DENY = [(ipaddress.ip_network(n), why) for n, why in IPV4_SPECIAL + IPV4_OTHER]
_V6_DENY = [(ipaddress.ip_network(n), why) for n, why in IPV6_SPECIAL + IPV6_OTHER]
_V4_DENY.sort(key=lambda entry: -entry[0].prefixlen)  # the most specific entry names the reason
_V6_DENY.sort(key=lambda entry: -entry[0].prefixlen)


class UnsafeURL(ValueError):
    """The URL or an address it resolves to must not be fetched; the message says why (kept as the reason)."""


class ResolveTimeout(UnsafeURL):
    """The name did not resolve within the time the caller gave: unchecked, so not fetched."""


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


def embedded_ipv4(addr: ipaddress.IPv6Address) -> list[tuple[str, ipaddress.IPv4Address]]:
    """The IPv4 addresses an IPv6 address carries, with the wrapping's name: packets to it reach them."""
    found: list[tuple[str, ipaddress.IPv4Address]] = []
    if addr.ipv4_mapped is not None:
        found.append(("IPv4-mapped", addr.ipv4_mapped))
    if addr.sixtofour is not None:
        found.append(("6to4", addr.sixtofour))
    if addr.teredo is not None:
        found += [("Teredo server", addr.teredo[0]), ("Teredo client", addr.teredo[1])]
    if addr in NAT64_WELL_KNOWN or addr in _NAT64_LOCAL:
        found.append(("NAT64", ipaddress.IPv4Address(int(addr) & 0xFFFF_FFFF)))
    return found


def _ipv4_refusal(addr: ipaddress.IPv4Address) -> str | None:
    return next((f"{net} {why}" for net, why in _V4_DENY if addr in net), None)


def refusal(ip: str) -> str | None:
    """Why we must not connect to `ip` (the registry entry it falls in), or None for a public address."""
    addr = ipaddress.ip_address(ip.split("%", 1)[0])
    if isinstance(addr, ipaddress.IPv4Address):
        return _ipv4_refusal(addr)
    for kind, inner in embedded_ipv4(addr):
        why = _ipv4_refusal(inner)
        if why:
            return f"{kind} {inner}: {why}"
    why = next((f"{net} {why}" for net, why in _V6_DENY if addr in net), None)
    if why:
        return why
    if addr in NAT64_WELL_KNOWN:  # the IPv4 address inside was checked above and is public
        return None
    if addr not in IPV6_GLOBAL_UNICAST:
        return "outside 2000::/3, the only IPv6 unicast space IANA assigns (reserved by IETF)"
    return None


def is_public_address(ip: str) -> bool:
    """True only for addresses outside every special-purpose, reserved and multicast block (tables above)."""
    return refusal(ip) is None


def resolve_within(resolver: Resolver, host: str, seconds: float) -> list[str]:
    """The resolver's answer, or TimeoutError after `seconds`: getaddrinfo has no time limit of its own.

    The look-up runs in a daemon thread that is left to finish on its own when it is too slow.
    """
    answer: dict[str, object] = {}

    def run() -> None:
        try:
            answer["addresses"] = resolver(host)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            answer["error"] = exc

    worker = threading.Thread(target=run, name="resolve", daemon=True)
    worker.start()
    worker.join(max(0.0, seconds))
    if worker.is_alive():
        raise TimeoutError(f"no answer within {seconds:.1f}s")
    if "error" in answer:
        raise answer["error"]  # type: ignore[misc]
    return answer["addresses"]  # type: ignore[return-value]


@dataclass(frozen=True)
class SafetyPolicy:
    """The fetch rules. `test_hosts` maps a test name to a loopback port and exists for tests and benchmarks
    only: production config has no way to set it, so loopback and odd ports stay refused there."""

    resolver: Resolver = system_resolver
    test_hosts: Mapping[str, int] = field(default_factory=dict)
    ca_bundle: str | None = None  # tests only: trust a local CA (production: certifi's bundle)

    def check(self, url: str, timeout: float | None = None) -> Target:
        """The checked target of `url`; `timeout` bounds the name look-up (the page's remaining time)."""
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
                addresses = (self.resolver(host) if timeout is None
                             else resolve_within(self.resolver, host, timeout))
            except TimeoutError as exc:
                raise ResolveTimeout(f"cannot resolve {host}: {exc}") from None
            except (OSError, UnicodeError) as exc:
                raise UnsafeURL(f"cannot resolve {host}: {exc.__class__.__name__}") from None
        if not addresses:
            raise UnsafeURL(f"{host} has no addresses")
        for address in addresses:
            why = refusal(address)
            if why:
                raise UnsafeURL(f"{host} resolves to a non-public address ({address}: {why})")
        return Target(scheme, host, port, addresses[0], port)
