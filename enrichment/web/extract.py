"""What a company's web page says about the company: a pure function of (url, html) -> fields.

Structured sources win over guesses: JSON-LD Organization, then OpenGraph, then <title>. Emails and phones
are kept only when they belong to the company (enrichment/web/contacts.py: the site's own addresses, valid
numbers read in the company's country, fax lines apart). Industry is a keyword score with a confidence and may stay empty: a wrong label is worse than none.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, Tag

from enrichment.normalise import registrable_domain
from enrichment.web.contacts import Structured, find_contacts, region_for
from enrichment.web.industry import classify_industry
from enrichment.web.tech import tech_hints

SOCIAL_HOSTS = {
    "linkedin.com": "linkedin", "twitter.com": "twitter", "x.com": "twitter", "facebook.com": "facebook",
    "instagram.com": "instagram", "youtube.com": "youtube", "github.com": "github", "xing.com": "xing",
    "tiktok.com": "tiktok", "pinterest.com": "pinterest", "vimeo.com": "vimeo", "mastodon.social": "mastodon",
}
# Paths on social sites that are sharing widgets or content, not the company's profile.
_SOCIAL_NOISE = re.compile(r"/(sharer|share|intent|watch|embed|hashtag|search|dialog|plugins|status)(\b|/|\?|\.)",
                           re.IGNORECASE)
FOLLOW_WORDS = ("impressum", "imprint", "legal-notice", "contact", "kontakt", "about", "ueber-uns", "uber-uns",
                "über-uns", "unternehmen", "company", "team", "who-we-are", "mentions-legales", "contacto")
_SPACE = re.compile(r"\s+")
_ORG_TYPES = {"organization", "corporation", "localbusiness", "ngo", "educationalorganization",
              "governmentorganization", "medicalorganization", "sportsorganization", "onlinebusiness",
              "onlinestore", "store", "professionalservice", "restaurant", "airline", "newsmediaorganization",
              "researchorganization", "library", "project", "performinggroup", "workersunion"}
MAX_LIST = 20


def site_domain(url_or_host: str) -> str:
    """The company's own domain for a page: registrable domain where the suffix is known, else the host."""
    host = (urlsplit(url_or_host).hostname if "//" in url_or_host else url_or_host) or ""
    host = host.lower().rstrip(".")
    return registrable_domain(host) or host.removeprefix("www.")


def extract(url: str, html: str | bytes, country: str | None = None) -> dict[str, Any]:
    """All fields found on one page; missing ones are None or empty lists.

    `country` is the company's country (ISO alpha-2, e.g. the lead's): national phone numbers are read in it;
    without it the site's ccTLD is used, and on .com sites only numbers written with a country code count.
    """
    soup = BeautifulSoup(html, "lxml")
    tags = _by_name(soup)
    domain = site_domain(url)
    base = _base_url(tags, url)
    meta = _meta(tags)
    orgs = _jsonld_organizations(tags)
    org = orgs[0] if orgs else {}
    title = _clean(tags["title"][0].get_text()) if tags.get("title") else None
    markup = _markup(tags)
    headings = " ".join(h.get_text(" ") for h in (tags.get("h1", []) + tags.get("h2", []))[:30])
    links = [(a.get("href") or "").strip() for a in tags.get("a", []) if a.get("href")]
    structured = _structured_contacts(orgs, tags)
    cf_hex = _cloudflare_hex(tags)
    logo = _first(_logo(org.get("logo")), _link_icon(tags, ("apple-touch-icon",)),
                  meta.get("og:image"), _img_logo(tags), _link_icon(tags, ("icon", "shortcut icon")))
    for name in ("script", "style", "noscript", "template", "svg"):
        for tag in tags.get(name, []):
            if not tag.decomposed:
                tag.decompose()
    text = _clean(soup.get_text(" ")) or ""

    name = _first(_str(org.get("name")), meta.get("og:site_name"), meta.get("application-name"),
                  _title_name(title, domain))
    description = _first(_str(org.get("description")), meta.get("description"), meta.get("og:description"),
                         meta.get("twitter:description"))
    socials = _social_links(links + _as_list(org.get("sameAs")), base)
    contacts = find_contacts(links=links, text=text, structured=structured, cf_hex=cf_hex, domain=domain,
                             region=region_for(domain, country))
    industry, confidence = classify_industry(" ".join(filter(None, [title, description, _str(org.get("description")),
                                                                       headings])), text)
    return {
        "url": url,
        "domain": domain,
        "name": name,
        "description": _cap(description, 500),
        "logo": urljoin(base, logo) if logo else None,
        "social_links": socials,
        "emails": contacts.emails,
        "phones": contacts.phones,
        "fax": contacts.fax,
        "company_email": contacts.company_email,
        "company_phone": contacts.company_phone,
        "address": _address(org.get("address")),
        "organization": _org_facts(org),
        "language": meta.get("lang"),
        "industry": industry,
        "industry_confidence": confidence,
        "tech": tech_hints(markup, meta),
        "follow_links": _follow_links(links, base, domain),
    }


# ---------------------------------------------------------------- helpers


def _clean(value: object) -> str | None:
    if value is None:
        return None
    text = _SPACE.sub(" ", str(value)).strip()
    return text or None


def _str(value: object) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("@value") or value.get("name")
    return _clean(value) if isinstance(value, str) else None


def _first(*values: str | None) -> str | None:
    return next((v for v in values if v), None)


def _cap(text: str | None, n: int) -> str | None:
    return text if text is None or len(text) <= n else text[: n - 1].rstrip() + "…"


def _as_list(value: object) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _by_name(soup: BeautifulSoup) -> dict[str, list[Tag]]:
    """Every element grouped by tag name, in one walk (bs4's find_all per question costs a walk each);
    elements with a microdata `itemprop` also under "[itemprop]"."""
    out: dict[str, list[Tag]] = {}
    for node in soup.descendants:
        if isinstance(node, Tag):
            out.setdefault(node.name, []).append(node)
            if "itemprop" in node.attrs:
                out.setdefault("[itemprop]", []).append(node)
    return out


_CONTACT_KEYS = {"telephone": "phones", "email": "emails", "faxnumber": "fax"}


def _structured_contacts(orgs: list[dict], tags: dict[str, list[Tag]]) -> Structured:
    """telephone/email/faxNumber of the page's organisations and their contactPoints (JSON-LD), and microdata
    `itemprop` values (a `content` attribute, a tel:/mailto: link, or the element's text)."""
    found = Structured()
    nodes = list(orgs)
    for org in orgs:
        nodes.extend(p for p in _as_list(org.get("contactPoint"))[:20] if isinstance(p, dict))
    for node in nodes[:100]:
        for key, bucket in _CONTACT_KEYS.items():
            value = next((v for k, v in node.items() if k.lower() == key), None)
            getattr(found, bucket).extend(v.strip() for v in _as_list(value)[:10] if isinstance(v, str))
    for tag in tags.get("[itemprop]", [])[:500]:
        bucket = _CONTACT_KEYS.get(" ".join(_as_list(tag.get("itemprop"))).lower())
        if not bucket:
            continue
        value = tag.get("content") or tag.get("href") or tag.get_text(" ")
        if isinstance(value, str) and value.strip():
            value = re.sub(r"^(tel|mailto|callto):", "", value.strip(), flags=re.IGNORECASE)
            getattr(found, bucket).append(value[:100])
    return found


def _cloudflare_hex(tags: dict[str, list[Tag]]) -> list[str]:
    """Cloudflare-protected addresses: `data-cfemail` attributes and `.../email-protection#HEX` links."""
    out: list[str] = []
    for tag in tags.get("a", []) + tags.get("span", []):
        if tag.get("data-cfemail"):
            out.append(str(tag["data-cfemail"]))
        href = tag.get("href") or ""
        if isinstance(href, str) and "email-protection#" in href:
            out.append(href.rsplit("#", 1)[1])
    return out[:50]


def _base_url(tags: dict[str, list[Tag]], url: str) -> str:
    base = next((b for b in tags.get("base", []) if b.get("href")), None)
    if base:
        joined = urljoin(url, base["href"])
        if urlsplit(joined).scheme in ("http", "https"):
            return joined
    return url


def _meta(tags: dict[str, list[Tag]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for tag in tags.get("meta", []):
        key = (tag.get("property") or tag.get("name") or "").strip().lower()
        value = _clean(tag.get("content"))
        if key and value and key not in out:
            out[key] = value
    html = (tags.get("html") or [None])[0]
    lang = (html.get("lang") or html.get("xml:lang") or "") if html else ""
    lang = lang or out.get("og:locale", "") or out.get("content-language", "")
    lang = re.split(r"[-_]", lang.strip())[0].lower()
    if re.fullmatch(r"[a-z]{2,3}", lang or ""):
        out["lang"] = lang
    return out


def _jsonld_organizations(tags: dict[str, list[Tag]]) -> list[dict]:
    found: list[dict] = []
    for script in tags.get("script", []):
        if "ld+json" not in (script.get("type") or "").lower():
            continue
        raw = script.string or script.get_text() or ""
        try:
            data = json.loads(raw.strip().removesuffix(";"))
        except ValueError:
            continue
        found.extend(_walk_orgs(data, depth=0))
    return found


def _walk_orgs(node: object, depth: int) -> Iterable[dict]:
    if depth > 6:
        return
    if isinstance(node, list):
        for item in node:
            yield from _walk_orgs(item, depth + 1)
    elif isinstance(node, dict):
        types = {str(t).rsplit("/", 1)[-1].lower() for t in _as_list(node.get("@type"))}
        if types & _ORG_TYPES:
            yield node
        for key in ("@graph", "publisher", "provider", "author", "brand", "organizer", "mainEntity", "department",
                    "subOrganization"):
            if key in node:
                yield from _walk_orgs(node[key], depth + 1)


def _title_name(title: str | None, domain: str) -> str | None:
    """The part of "Home | Acme GmbH" that looks like the company: prefer the piece matching the domain."""
    if not title:
        return None
    parts = [p.strip() for p in re.split(r"\s[|\-–—·:]\s", title) if p.strip()]
    stem = re.sub(r"[^a-z0-9]", "", domain.split(".")[0])
    for part in parts:
        if stem and stem in re.sub(r"[^a-z0-9]", "", part.lower()):
            return part
    generic = {"home", "homepage", "startseite", "welcome", "accueil", "inicio"}
    parts = [p for p in parts if p.lower() not in generic]
    return parts[-1] if parts else None


def _logo(value: object) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("url") or value.get("contentUrl")
    return _clean(value) if isinstance(value, str) else None


def _link_icon(tags: dict[str, list[Tag]], rels: tuple[str, ...]) -> str | None:
    for link in tags.get("link", []):
        if not link.get("href"):
            continue
        rel = " ".join(link.get("rel") or []).lower()
        if rel in rels:
            return link["href"].strip()
    return None


def _img_logo(tags: dict[str, list[Tag]]) -> str | None:
    for img in tags.get("img", [])[:200]:
        if not img.get("src"):
            continue
        label = " ".join([img.get("alt") or "", " ".join(img.get("class") or []), img.get("id") or "",
                          img["src"]]).lower()
        if "logo" in label:
            return img["src"].strip()
    return None


def _social_links(links: Iterable[object], base: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for href in links:
        if not isinstance(href, str):
            continue
        url = urljoin(base, href.strip())
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            continue
        host = (parts.hostname or "").removeprefix("www.").removeprefix("m.").removeprefix("de.")
        network = SOCIAL_HOSTS.get(host)
        if not network or network in found or parts.path.strip("/") == "" or _SOCIAL_NOISE.search(parts.path):
            continue
        found[network] = f"https://{parts.hostname}{parts.path.rstrip('/')}"
    return dict(sorted(found.items()))


def _address(value: object) -> dict[str, str] | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, str):
        return {"text": _clean(value) or ""} if _clean(value) else None
    if not isinstance(value, dict):
        return None
    keys = ("streetAddress", "postalCode", "addressLocality", "addressRegion", "addressCountry")
    out = {k: _str(value.get(k)) for k in keys}
    out = {k: v for k, v in out.items() if v}
    return out or None


def _org_facts(org: dict) -> dict[str, Any] | None:
    if not org:
        return None
    facts: dict[str, Any] = {}
    for key in ("legalName", "alternateName", "foundingDate", "vatID", "taxID", "duns", "leiCode", "naics",
                "isicV4", "url"):
        value = _str(org.get(key))
        if value:
            facts[key] = value
    employees = org.get("numberOfEmployees")
    if isinstance(employees, dict):
        employees = employees.get("value") or employees.get("maxValue") or employees.get("minValue")
    if isinstance(employees, (int, str)) and str(employees).strip().isdigit():
        facts["numberOfEmployees"] = int(str(employees).strip())
    types = [str(t) for t in _as_list(org.get("@type"))]
    if types:
        facts["type"] = types[0]
    return facts or None


def _markup(tags: dict[str, list[Tag]]) -> str:
    """Asset URLs, inline scripts and attributes: where a site's tools leave fingerprints (not the visible text,
    which may merely mention them)."""
    parts: list[str] = []
    for tag in [t for name in ("script", "link", "img", "iframe", "meta", "div", "body", "html")
                for t in tags.get(name, [])][:5000]:
        for key, value in tag.attrs.items():
            if key in ("src", "href", "content") or key.startswith("data-") or key == "id":
                parts.append(f"{key} {value}")
        if tag.name == "script" and tag.string:
            parts.append(tag.string[:200_000])
    return "\n".join(parts)


def _follow_links(links: list[str], base: str, domain: str) -> list[str]:
    """About/contact/impressum pages on the same site, best first."""
    ranked: Counter[str] = Counter()
    for href in links:
        low = href.lower()
        if not any(word in low for word in FOLLOW_WORDS):  # cheap filter before parsing the URL
            continue
        url = urljoin(base, href).split("#", 1)[0]
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or site_domain(url) != domain:
            continue
        segments = [seg.rsplit(".", 1)[0] for seg in parts.path.lower().split("/") if seg]
        if not segments or len(segments) > 3:
            continue
        for rank, word in enumerate(FOLLOW_WORDS):
            if any(seg.startswith(word) for seg in segments):
                ranked[url] = max(ranked[url], len(FOLLOW_WORDS) - rank)
                break
    return [u for u, _ in sorted(ranked.items(), key=lambda kv: (-kv[1], kv[0]))][:10]
