"""Which URLs and addresses the fetcher refuses (SSRF rules), as pure checks."""

from __future__ import annotations

import pytest

from enrichment.web.safety import SafetyPolicy, UnsafeURL, is_public_address


@pytest.mark.parametrize(("ip", "public"), [
    ("8.8.8.8", True),
    ("2606:4700:4700::1111", True),
    ("127.0.0.1", False),
    ("127.10.0.5", False),
    ("10.1.2.3", False),
    ("172.16.0.1", False),
    ("192.168.1.1", False),
    ("169.254.169.254", False),  # cloud metadata
    ("100.64.0.1", False),  # CGNAT
    ("0.0.0.0", False),
    ("224.0.0.251", False),  # multicast
    ("240.0.0.1", False),  # reserved
    ("255.255.255.255", False),
    ("192.0.2.1", False),  # documentation
    ("::1", False),
    ("fe80::1", False),
    ("fc00::1", False),
    ("::ffff:127.0.0.1", False),  # IPv4-mapped loopback
    ("::ffff:8.8.8.8", False),  # mapped addresses are refused outright: the OS would connect over IPv4
    ("2002:7f00:1::1", False),  # 6to4 wrapping 127.0.0.1
    ("64:ff9b::a9fe:a9fe", False),  # NAT64 of 169.254.169.254
    ("ff02::1", False),
])
def test_public_addresses(ip, public):
    assert is_public_address(ip) is public


def _policy(addresses):
    calls = []

    def resolver(host):
        calls.append(host)
        return addresses

    return SafetyPolicy(resolver=resolver), calls


@pytest.mark.parametrize(("url", "why"), [
    ("ftp://acme.com/", "scheme"),
    ("file:///etc/passwd", "scheme"),
    ("javascript:alert(1)", "scheme"),
    ("gopher://acme.com:70/", "scheme"),
    ("http://user:pw@acme.com/", "credentials"),
    ("http://acme.com:8080/", "port"),
    ("https://acme.com:80/", "port"),
    ("http://acme.com:99999/", "port"),
    ("http://127.0.0.1/", "non-public"),
    ("http://[::1]/", "non-public"),
    ("http://169.254.169.254/latest/meta-data/", "non-public"),
    ("http://2130706433/", "non-public"),  # 127.0.0.1 as one decimal number: resolved, then refused
    ("http:///path", "no host"),
])
def test_refused_urls(url, why):
    policy = SafetyPolicy(resolver=lambda host: ["127.0.0.1"])
    with pytest.raises(UnsafeURL, match=why):
        policy.check(url)


def test_any_private_address_among_several_refuses_the_name():
    policy, _ = _policy(["93.184.215.14", "10.0.0.7"])
    with pytest.raises(UnsafeURL, match="10.0.0.7"):
        policy.check("https://acme.com/")


def test_checked_address_is_the_one_connected_to_and_resolved_once():
    policy, calls = _policy(["93.184.215.14"])
    target = policy.check("https://www.acme.com/about")
    assert (target.ip, target.host, target.port, target.connect_port) == ("93.184.215.14", "www.acme.com", 443, 443)
    assert calls == ["www.acme.com"]


def test_unresolvable_name_is_refused_not_raised_as_os_error():
    def resolver(host):
        raise OSError("NXDOMAIN")

    with pytest.raises(UnsafeURL, match="cannot resolve"):
        SafetyPolicy(resolver=resolver).check("https://nonexistent.example/")


def test_loopback_only_for_named_test_hosts():
    policy = SafetyPolicy(resolver=lambda host: ["127.0.0.1"], test_hosts={"acme.test": 8123})
    target = policy.check("http://acme.test/")
    assert (target.ip, target.connect_port) == ("127.0.0.1", 8123)
    with pytest.raises(UnsafeURL):
        policy.check("http://other.test/")
    with pytest.raises(UnsafeURL):
        policy.check("http://127.0.0.1/")
    with pytest.raises(UnsafeURL, match="port"):
        policy.check("http://acme.test:8123/")  # even a test host is only reached through the default port


def test_production_config_cannot_allow_loopback():
    from enrichment.web.settings import WebEnrichmentConfig

    fields = set(WebEnrichmentConfig.model_fields)
    assert not {f for f in fields if "loopback" in f or "test" in f or "allow" in f}
    with pytest.raises(ValueError):
        WebEnrichmentConfig.model_validate({"test_hosts": {"x.test": 1}})
