"""Deliverability against a real DNS server on loopback, through dnspython's real resolver."""

from __future__ import annotations

import time

import pytest

from enrichment.deliverability import Deliverability, check_domain, check_emails, make_resolver
from tests.dns_server import DnsServer

ZONE = {
    ("gmail.com", "MX"): ["5 gmail-smtp-in.l.google.com."],
    ("acme-gmbh.de", "MX"): ["20 mx2.acme-gmbh.de.", "10 mx1.acme-gmbh.de."],
    ("nomail.example", "MX"): ["0 ."],
    ("a-only.example", "A"): ["192.0.2.10"],
    ("txt-only.example", "TXT"): ['"v=spf1 -all"'],
}


@pytest.fixture
def dns_server():
    with DnsServer(ZONE, drop={"slow.example"}, servfail={"broken.example"}) as server:
        yield server


@pytest.fixture
def resolver(dns_server):
    return make_resolver(timeout=0.5, nameservers=["127.0.0.1"], port=dns_server.port)


@pytest.mark.parametrize(("domain", "state", "reason_part"), [
    ("acme-gmbh.de", Deliverability.VALID, "MX"),
    ("missing-company.example", Deliverability.INVALID, "does not exist"),
    ("nomail.example", Deliverability.INVALID, "null MX"),
    ("a-only.example", Deliverability.VALID, "A record"),
    ("txt-only.example", Deliverability.INVALID, "no MX and no address"),
    ("slow.example", Deliverability.UNKNOWN, "timed out"),
    ("broken.example", Deliverability.UNKNOWN, "failed"),
])
def test_states_stay_distinct(resolver, domain, state, reason_part):
    check = check_domain(domain, resolver)
    assert check.state is state
    assert reason_part in check.reason


def test_mx_hosts_in_preference_order(resolver):
    assert check_domain("acme-gmbh.de", resolver).mx == ("mx1.acme-gmbh.de", "mx2.acme-gmbh.de")


def test_timeout_is_bounded_by_the_configured_limit(resolver):
    start = time.monotonic()
    assert check_domain("slow.example", resolver).state is Deliverability.UNKNOWN
    assert time.monotonic() - start < 2.0


def test_one_lookup_per_domain_and_cached(dns_server, resolver):
    emails = ["a@acme-gmbh.de", "b@ACME-GMBH.DE", "c@acme-gmbh.de", "x@missing-company.example", None, "no-at-sign"]
    result = check_emails(emails, resolver)
    assert set(result) == {"a@acme-gmbh.de", "b@ACME-GMBH.DE", "c@acme-gmbh.de", "x@missing-company.example"}
    assert result["b@ACME-GMBH.DE"].state is Deliverability.VALID
    assert result["x@missing-company.example"].state is Deliverability.INVALID
    assert dns_server.queries.count(("acme-gmbh.de", "MX")) == 1
    check_emails(["d@acme-gmbh.de"], resolver)  # a second batch is answered from the resolver's cache
    assert dns_server.queries.count(("acme-gmbh.de", "MX")) == 1


def test_a_resolver_that_says_nxdomain_to_everything_marks_nothing_invalid():
    # Like this machine's resolver: every name NXDOMAIN. Without the canary every lead would be "invalid".
    with DnsServer({}) as liar:
        resolver = make_resolver(timeout=0.5, nameservers=["127.0.0.1"], port=liar.port)
        result = check_emails(["a@acme-gmbh.de", "b@gmail.com"], resolver)
    assert {c.state for c in result.values()} == {Deliverability.UNKNOWN}
    assert "resolver unusable" in result["a@acme-gmbh.de"].reason


def test_dns_unreachable_never_raises():
    resolver = make_resolver(timeout=0.3, nameservers=["127.0.0.1"], port=9)  # nothing listens there
    result = check_emails(["a@acme-gmbh.de"], resolver)
    assert result["a@acme-gmbh.de"].state is Deliverability.UNKNOWN
