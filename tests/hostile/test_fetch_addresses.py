"""Hostile input: addresses a stranger's website name may resolve to. The fetcher's deny list against the IANA
special-purpose registries, independently of which Python patch release computes `is_global`.

REGISTRY below is this test's own transcription of the IANA IPv4 and IPv6 Special-Purpose Address Registries
(https://www.iana.org/assignments/iana-ipv4-special-registry/, .../iana-ipv6-special-registry/; IPv4 last
updated 2020-09-04, IPv6 last entry 2025-04), one row per registry record: block and "Globally Reachable"
(True, False, or None for N/A / terminated). It is the oracle; the code keeps its own table.
"""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enrichment.web.safety import SafetyPolicy, UnsafeURL, is_public_address, refusal

REGISTRY: list[tuple[str, bool | None]] = [
    # IPv4
    ("0.0.0.0/8", False), ("0.0.0.0/32", False), ("10.0.0.0/8", False), ("100.64.0.0/10", False),
    ("127.0.0.0/8", False), ("169.254.0.0/16", False), ("172.16.0.0/12", False), ("192.0.0.0/24", False),
    ("192.0.0.0/29", False), ("192.0.0.8/32", False), ("192.0.0.9/32", True), ("192.0.0.10/32", True),
    ("192.0.0.170/32", False), ("192.0.0.171/32", False), ("192.0.2.0/24", False), ("192.31.196.0/24", True),
    ("192.52.193.0/24", True), ("192.88.99.0/24", None), ("192.88.99.2/32", False), ("192.168.0.0/16", False),
    ("192.175.48.0/24", True), ("198.18.0.0/15", False), ("198.51.100.0/24", False), ("203.0.113.0/24", False),
    ("240.0.0.0/4", False), ("255.255.255.255/32", False),
    # IPv6
    ("::1/128", False), ("::/128", False), ("::ffff:0:0/96", False), ("64:ff9b::/96", True),
    ("64:ff9b:1::/48", False), ("100::/64", False), ("100:0:0:1::/64", False), ("2001::/23", False),
    ("2001::/32", None), ("2001:1::1/128", True), ("2001:1::2/128", True), ("2001:1::3/128", True),
    ("2001:2::/48", False), ("2001:3::/32", True), ("2001:4:112::/48", True), ("2001:10::/28", None),
    ("2001:20::/28", True), ("2001:30::/28", True), ("2001:db8::/32", False), ("2002::/16", None),
    ("2620:4f:8000::/48", True), ("3fff::/20", False), ("5f00::/16", False), ("fc00::/7", False),
    ("fe80::/10", False),
]
# Multicast (IPv4 Multicast Address Space, IPv6 Address Space registries) and the IPv6 space outside
# 2000::/3 that the IPv6 Address Space registry lists as "Reserved by IETF" (e.g. fec0::/10, formerly site-local).
MULTICAST = ["224.0.0.0/4", "ff00::/8"]
IPV6_RESERVED_EXAMPLES = ["fec0::/10", "::/96", "400::/6", "4000::/3", "fe00::/9", "e000::/4"]
EMBEDS_IPV4 = {"64:ff9b::/96", "2002::/16"}  # judged by the IPv4 address inside

NOT_REACHABLE = [b for b, reach in REGISTRY if reach is not True and b not in EMBEDS_IPV4]
NETS = {b: ipaddress.ip_network(b) for b, _ in REGISTRY}
DENY_V4 = [NETS[b] for b in NOT_REACHABLE if NETS[b].version == 4] + [ipaddress.ip_network("224.0.0.0/4")]
DENY_V6 = [NETS[b] for b in NOT_REACHABLE if NETS[b].version == 6] + [ipaddress.ip_network("ff00::/8")]


def ends(block: str) -> list[str]:
    net = ipaddress.ip_network(block)
    return [str(net.network_address), str(net.broadcast_address)]


def v4_oracle(addr: ipaddress.IPv4Address) -> bool:
    """Public per the registry: in no block that is not globally reachable."""
    return not any(addr in net for net in DENY_V4)


@pytest.mark.parametrize("address", [a for b in NOT_REACHABLE + MULTICAST + IPV6_RESERVED_EXAMPLES for a in ends(b)])
def test_first_and_last_address_of_every_special_block_refused(address):
    assert refusal(address), address


@pytest.mark.parametrize("address", ["192.0.0.192", "fec0::1", "fec0::", "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                                     "192.88.99.1", "100:0:0:1::5", "5f00::1", "3fff::1", "2001:30::1"])
def test_blocks_this_python_calls_global_are_refused(address):
    """The issue's cases (3.11.7 said "global") and their neighbours in later registry entries."""
    assert not is_public_address(address)


@pytest.mark.parametrize("address", [
    "8.8.8.8", "1.1.1.1", "93.184.215.14", "151.101.1.69", "2606:4700:4700::1111", "2a00:1450:4001:80b::200e",
    "64:ff9b::808:808",  # NAT64 of 8.8.8.8: how an IPv6-only worker behind DNS64 sees IPv4 sites
    "2002:808:808::1",  # 6to4 of 8.8.8.8
    "192.31.196.1", "2620:4f:8000::1",  # globally reachable registry entries outside any refused block
    "172.15.255.255", "172.32.0.0", "100.63.255.255", "100.128.0.0", "198.17.255.255", "198.20.0.0",
    "192.0.1.0", "223.255.255.255", "2001:200::1", "2001:db9::1", "3fff:1000::1",
])
def test_known_public_addresses_allowed(address):
    assert refusal(address) is None


def test_answers_do_not_depend_on_pythons_is_global(monkeypatch):
    """Whatever this interpreter's ipaddress thinks is global or private, the deny list decides."""
    for cls in (ipaddress.IPv4Address, ipaddress.IPv6Address):
        for prop in ("is_global", "is_private", "is_reserved", "is_multicast", "is_link_local", "is_loopback"):
            monkeypatch.setattr(cls, prop, property(lambda self: False))
    monkeypatch.setattr(ipaddress.IPv4Address, "is_global", property(lambda self: True))
    monkeypatch.setattr(ipaddress.IPv6Address, "is_global", property(lambda self: True))
    assert [is_public_address(a) for a in ("192.0.0.192", "fec0::1", "127.0.0.1", "10.0.0.1", "8.8.8.8")] == [
        False, False, False, False, True]


@settings(max_examples=3000, deadline=None)
@given(st.ip_addresses(v=4))
def test_any_ipv4_refused_exactly_when_the_registry_says_not_reachable(addr):
    assert is_public_address(str(addr)) is v4_oracle(addr)


@settings(max_examples=2000, deadline=None)
@given(st.ip_addresses(v=4))
def test_ipv4_inside_ipv6_judged_by_the_ipv4_address(addr):
    public = v4_oracle(addr)
    n = int(addr)
    assert is_public_address(str(ipaddress.IPv6Address((0x0064_FF9B << 96) | n))) is public  # NAT64
    assert is_public_address(str(ipaddress.IPv6Address((0x2002 << 112) | (n << 80) | 1))) is public  # 6to4
    assert not is_public_address(f"::ffff:{addr}")  # IPv4-mapped: "Globally Reachable: False" itself
    assert not is_public_address(str(ipaddress.IPv6Address((0x0064_FF9B_0001 << 80) | n)))  # local-use NAT64
    # Teredo (2001::/32) is refused with 2001::/23 whatever it wraps.
    assert not is_public_address(str(ipaddress.IPv6Address((0x2001_0000 << 96) | (n << 64) | (~n & 0xFFFF_FFFF))))


@settings(max_examples=3000, deadline=None)
@given(st.integers(min_value=0x2000 << 112, max_value=(0x4000 << 112) - 1))
def test_any_global_unicast_ipv6_refused_exactly_when_the_registry_says_not_reachable(n):
    addr = ipaddress.IPv6Address(n)
    if addr in NETS["2002::/16"]:
        expected = v4_oracle(addr.sixtofour)
    else:
        expected = not any(addr in net for net in DENY_V6)
    assert is_public_address(str(addr)) is expected


@settings(max_examples=1000, deadline=None)
@given(st.integers(min_value=0, max_value=(1 << 128) - 1).filter(lambda n: not (0x2000 << 112) <= n < (0x4000 << 112)))
def test_ipv6_outside_global_unicast_refused_unless_nat64_of_a_public_address(n):
    addr = ipaddress.IPv6Address(n)
    expected = addr in NETS["64:ff9b::/96"] and v4_oracle(ipaddress.IPv4Address(n & 0xFFFF_FFFF))
    assert is_public_address(str(addr)) is expected


def test_a_name_with_one_special_address_among_public_ones_is_refused_with_the_registry_reason():
    policy = SafetyPolicy(resolver=lambda host: ["93.184.215.14", "192.0.0.192"])
    with pytest.raises(UnsafeURL, match=r"192\.0\.0\.192: 192\.0\.0\.0/24 IETF Protocol Assignments"):
        policy.check("https://acme.example/")
