"""Email deliverability by DNS: does the address's domain accept mail (MX, or an implicit MX via A/AAAA)?

Its own optional step, with a caching resolver and timeouts. States stay distinct, because they lead to
different actions: `invalid` (domain does not exist, or says it takes no mail) may drop a lead; `unknown`
(DNS timed out or failed) must not. `catch_all` needs an SMTP probe (RCPT TO a random address), which we do
not do from pipeline workers; the state is reserved for a probe step and never guessed here.

A resolver that is down or lies (some networks answer NXDOMAIN for every name) would mark every lead invalid;
a canary name that must resolve guards against that: if it does not, everything is `unknown`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

import dns.exception
import dns.resolver
import pandas as pd

log = logging.getLogger("leadpipe.enrichment.deliverability")
CANARY = "gmail.com"


class Deliverability(StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    UNKNOWN = "unknown"
    CATCH_ALL = "catch_all"


@dataclass(frozen=True)
class DomainCheck:
    domain: str
    state: Deliverability
    reason: str
    mx: tuple[str, ...] = field(default_factory=tuple)


def make_resolver(timeout: float = 3.0, nameservers: list[str] | None = None, port: int = 53) -> dns.resolver.Resolver:
    """A caching resolver with a total time limit per query (system nameservers unless given)."""
    resolver = dns.resolver.Resolver(configure=nameservers is None)
    if nameservers is not None:
        resolver.nameservers = nameservers
        resolver.port = port
    resolver.timeout = timeout
    resolver.lifetime = timeout
    resolver.cache = dns.resolver.LRUCache(100_000)
    return resolver


def check_domain(domain: str, resolver: dns.resolver.Resolver) -> DomainCheck:
    domain = domain.strip().lower().rstrip(".")
    try:
        answer = resolver.resolve(domain, "MX")
    except dns.resolver.NXDOMAIN:
        return DomainCheck(domain, Deliverability.INVALID, "domain does not exist (NXDOMAIN)")
    except dns.resolver.NoAnswer:
        return _implicit_mx(domain, resolver)
    except (dns.resolver.LifetimeTimeout, dns.exception.Timeout):
        return DomainCheck(domain, Deliverability.UNKNOWN, "DNS timed out")
    except dns.resolver.NoNameservers:
        return DomainCheck(domain, Deliverability.UNKNOWN, "DNS servers failed (SERVFAIL or refused)")
    except dns.exception.DNSException as exc:
        return DomainCheck(domain, Deliverability.UNKNOWN, f"DNS error ({exc.__class__.__name__})")
    records = sorted(answer, key=lambda r: r.preference)
    hosts = tuple(r.exchange.to_text(omit_final_dot=True) for r in records)
    if len(records) == 1 and records[0].exchange == dns.name.root:
        return DomainCheck(domain, Deliverability.INVALID, "domain accepts no mail (null MX, RFC 7505)")
    return DomainCheck(domain, Deliverability.VALID, "has MX records", hosts)


def _implicit_mx(domain: str, resolver: dns.resolver.Resolver) -> DomainCheck:
    """RFC 5321 5.1: with no MX, mail goes to the domain's own address."""
    for rdtype in ("A", "AAAA"):
        try:
            resolver.resolve(domain, rdtype)
            return DomainCheck(domain, Deliverability.VALID, f"no MX, delivers to its {rdtype} record", (domain,))
        except (dns.resolver.NoAnswer, dns.resolver.NXDOMAIN):
            continue
        except dns.exception.DNSException:
            return DomainCheck(domain, Deliverability.UNKNOWN, "no MX, address look-up failed")
    return DomainCheck(domain, Deliverability.INVALID, "no MX and no address records")


def resolver_works(resolver: dns.resolver.Resolver, canary: str = CANARY) -> bool:
    return check_domain(canary, resolver).state is Deliverability.VALID


def check_emails(emails: Iterable[str | None], resolver: dns.resolver.Resolver,
                 canary: str = CANARY) -> dict[str, DomainCheck]:
    """email -> check, one DNS look-up per distinct domain; never raises on DNS trouble."""
    by_domain: dict[str, list[str]] = {}
    for email in emails:
        if isinstance(email, str) and "@" in email:
            by_domain.setdefault(email.rpartition("@")[2].strip().lower(), []).append(email)
    if not by_domain:
        return {}
    if not resolver_works(resolver, canary):
        log.warning("deliverability: the DNS resolver cannot resolve %s; %d domains left unknown", canary,
                    len(by_domain))
        checks = {d: DomainCheck(d, Deliverability.UNKNOWN, f"DNS resolver unusable ({canary} did not resolve)")
                  for d in by_domain}
    else:
        checks = {d: check_domain(d, resolver) for d in by_domain}
    counts: dict[str, int] = {}
    for c in checks.values():
        counts[c.state] = counts.get(c.state, 0) + 1
    log.info("deliverability: %d domains checked: %s", len(checks),
             ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    return {e: checks[d] for d, es in by_domain.items() for e in es}


def add_deliverability(df, resolver: dns.resolver.Resolver):
    """Columns `email_deliverability` and `email_deliverability_reason` for the frame's `email` column."""
    emails = [e if isinstance(e, str) else None for e in df.get("email", pd.Series([None] * len(df)))]
    checks = check_emails(emails, resolver)
    out = df.copy()
    out["email_deliverability"] = pd.array([str(checks[e].state) if e in checks else None for e in emails],
                                           dtype="string")
    out["email_deliverability_reason"] = pd.array([checks[e].reason if e in checks else None for e in emails],
                                                  dtype="string")
    return out
