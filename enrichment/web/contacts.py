"""A company's emails and phone numbers on one of its pages: a pure function of what the page says.

Measured on 236 hand-labelled real company pages (tests/data/contact_eval/, `make bench-contacts`). The rules
come from what those pages do:
- phones are read in the company's country (the lead's country, else the site's ccTLD), because most sites
  write national numbers ("(413) 233-4668", "020 7433 3338"); without a region only "+" numbers count;
- a number labelled Fax/Telefax/F (before it, or "(Fax)" after it) is a fax line, kept apart and used as a
  phone only when the page has no other number;
- a number right after a registry/VAT/licence label ("VAT Reg", "Company No.", "ABN", "#") is an identifier;
- emails: the site's own domain (or a sister domain sharing the company's name), plus a free-mail address
  from a `mailto:` link or structured data when the page has no address on its own domain (small firms run
  on gmail); other firms' addresses (a PR agency, an ombudsman) are left out;
- structured data first (JSON-LD `telephone`/`email`/`contactPoint`, microdata `itemprop`), then `tel:` and
  `mailto:` links, then the visible text, including `name [at] domain [dot] com` and Cloudflare-encoded
  addresses.
The company switchboard (`company_phone`) and general address (`company_email`) are the first structured or
linked value, else the first found: company fields, never a person's phone or email.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import unquote

import phonenumbers

from enrichment.normalise import is_role_local_part, mail_provider_kind, registrable_domain

MAX_LIST = 20
MAX_TEXT = 200_000  # characters of visible text scanned for numbers (pages are hostile input)
MAX_CANDIDATES = 300
MAX_LINKS = 300  # tel:/mailto: links read per page

# Bounded runs and a token start: "a.a.a.a..." (200k characters of it) took minutes with an unbounded
# `[...]+@`, retried from every position.
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,6}"
                    r"\.[A-Za-z]{2,24}")
_VALID_EMAIL = re.compile(r"[a-z0-9._%+-]{1,64}@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}")
# "info [at] acme [dot] de", "info(at)acme.de", "info {at} acme {dot} co {dot} uk"
_AT = r"\s*[\[({]\s*(?:at|@)\s*[\])}]\s*"
_DOT = r"(?:\s*[\[({]\s*(?:dot|punkt|\.)\s*[\])}]\s*|\.)"
# the local part may be obfuscated too ("a (dot) li [at] acme [dot] com" is a.li@, never li@)
_OBFUSCATED = re.compile(rf"(?<![\w.%+-])([A-Za-z0-9_%+-]{{1,64}}(?:{_DOT}[A-Za-z0-9_%+-]{{1,64}}){{0,4}}){_AT}"
                         rf"([A-Za-z0-9-]{{1,63}}(?:{_DOT}[A-Za-z0-9-]{{1,63}}){{1,5}})", re.IGNORECASE)
_DOT_SPLIT = re.compile(_DOT, re.IGNORECASE)
_PHONE_CANDIDATE = re.compile(r"(?<![\w+])(?:\+|00)?\(?\d[\d ()./\u00a0\u2010-\u2013-]{5,24}\d(?!\w)")
_FAX_BEFORE = re.compile(r"(?:\b(?:fax|telefax|facsimile|fx)\b|\bf\b)[\s.:#-]*(?:\w+\s*[:.-]?\s*){0,2}\(?$",
                         re.IGNORECASE)
# "(Fax)" after the number, or a bare "fax" that does not label the next number ("... 1148 fax Visit us",
# not "2860 Fax: 0845 ..." nor "2860 Fax us on 0845 ...")
_FAX_AFTER = re.compile(r"^\s*(?:\(\s*(?:fax|telefax)\s*\)|(?:fax|telefax)\b(?![^\d]{0,14}[\d(+]))", re.IGNORECASE)
_ID_BEFORE = re.compile(r"(?:\b(?:vat|ust|steuer|tax|reg|registration|registered|company|handelsregister|hrb|hra|"
                        r"abn|acn|ein|duns|iban|bic|licen[cs]e|nmls|dre|cfl|no|nr|number|id|isbn|order|invoice)\b"
                        r"[\w\s.:/-]{0,12}|#\s*)$", re.IGNORECASE)
_PHONE_NO = re.compile(r"(?:phone|tel|telephone|call|mobile|cell|fax|fon)\w*\.?\s*(?:no|nr|number|#)", re.IGNORECASE)
_DATE = re.compile(r"^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}$")
# a date inside the run ("22.07.2014 14:09", "2015/10/28", "05/18/2014") and year ranges ("1918-1933", "2016 / 2017")
_DATE_INSIDE = re.compile(r"\b\d{1,2}\.\d{1,2}\.(?:19|20)\d{2}\b|\b(?:19|20)\d{2}[-/.]\d{1,2}[-/.]\d{1,2}\b"
                          r"|\b\d{1,2}/\d{1,2}/(?:19|20)\d{2}\b")
_YEAR_RANGE = re.compile(r"^\(?(?:19|20)\d{2}\s*[-\u2013/]\s*(?:19|20)?\d{2}\)?$")
# digits with no separator at all ("2699544") count only right after a phone label ("Tel. 07111234567")
_PHONE_LABEL = re.compile(r"(?:\b(?:tel|telefon|telephone|phone|fon|call|mobile|mobil|cell|ph|t)\b\.?|\u260e)"
                          r"[\s.:#-]*(?:\w+\s*[:.-]?\s*){0,2}$", re.IGNORECASE)


@dataclass
class Contacts:
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    fax: list[str] = field(default_factory=list)
    company_email: str | None = None
    company_phone: str | None = None


@dataclass
class Structured:
    """Contact values a page states in markup: JSON-LD and microdata (telephone, email, faxNumber)."""

    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    fax: list[str] = field(default_factory=list)


def region_for(domain: str, country: str | None) -> str | None:
    """The region national numbers are read in: the company's country (ISO alpha-2), else the site's ccTLD."""
    if country and re.fullmatch(r"[A-Za-z]{2}", country.strip()):
        code = country.strip().upper()
        return "GB" if code == "UK" else code
    tld = domain.rsplit(".", 1)[-1].upper()
    if len(tld) == 2 and tld not in {"IO", "AI", "CO", "TV", "ME", "CC", "FM", "LY", "WS", "TO", "GG", "SH"}:
        return "GB" if tld == "UK" else tld
    return None


def find_contacts(*, links: Iterable[str], text: str, structured: Structured, cf_hex: Iterable[str],
                  domain: str, region: str | None) -> Contacts:
    """Emails, voice phones and fax numbers of the company on one page; see the module doc for the rules."""
    links = list(links)
    email_found = _emails(links, text, structured, cf_hex, domain)
    phones, fax, first_linked = _phones(links, text, structured, region)
    company_phone = first_linked or (phones[0] if phones else None)
    if not phones and fax:  # a fax line is still the company's line when it is the only number shown
        phones = list(fax)
        company_phone = phones[0]
    return Contacts(emails=email_found.emails, phones=phones[:MAX_LIST], fax=fax[:MAX_LIST],
                    company_email=email_found.company, company_phone=company_phone)


# ---------------------------------------------------------------------------------------------- emails


@dataclass
class _Emails:
    emails: list[str]
    company: str | None


def decode_cloudflare(hex_text: str) -> str | None:
    """Cloudflare's email protection: the first byte is the key, each following byte XOR the key is a char."""
    try:
        raw = bytes.fromhex(hex_text.strip())
    except ValueError:
        return None
    if len(raw) < 4 or len(raw) > 256:
        return None
    return "".join(chr(b ^ raw[0]) for b in raw[1:])


def _mailto_addresses(href: str) -> list[str]:
    body = unquote(href.split(":", 1)[1].split("?", 1)[0])
    return [part.strip() for part in re.split(r"[,;]", body) if part.strip()]


def _normal_email(raw: str) -> str | None:
    if len(raw) > 320:  # longer than any address can be
        return None
    email = raw.strip().strip(".,;:<>()[]\"'").lower().removeprefix("mailto:")
    return email if _VALID_EMAIL.fullmatch(email) else None


def _deobfuscated(text: str) -> list[str]:
    out = []
    for match in _OBFUSCATED.finditer(text):
        local = ".".join(part for part in _DOT_SPLIT.split(match.group(1)) if part)
        host = ".".join(part for part in _DOT_SPLIT.split(match.group(2)) if part)
        out.append(f"{local}@{host}")
    return out


def _sister_domain(host: str, domain: str) -> bool:
    """Another domain of the same company: its name and the site's share a stem of 5+ letters
    ("abacusllc.com" and "abacussolutions.com")."""
    a = (registrable_domain(host) or host).split(".")[0]
    b = domain.split(".")[0]
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n >= 5


def _emails(links: list[str], text: str, structured: Structured, cf_hex: Iterable[str], domain: str) -> _Emails:
    marked: list[str] = list(structured.emails)  # stated as a contact: structured data and mailto: links
    mailto = [href for href in links if href[:7].lower() == "mailto:"]
    for href in mailto[:MAX_LINKS]:
        marked.extend(_mailto_addresses(href))
    marked.extend(filter(None, (decode_cloudflare(h) for h in cf_hex)))
    visible = _EMAIL.findall(text[:MAX_TEXT]) + _deobfuscated(text[:MAX_TEXT])
    own: list[str] = []
    free: list[str] = []
    for raw, is_marked in [(e, True) for e in marked] + [(e, False) for e in visible]:
        email = _normal_email(raw)
        if not email or not domain:
            continue
        host = email.rpartition("@")[2]
        if host == domain or host.endswith("." + domain) or _sister_domain(host, domain):
            if email not in own:
                own.append(email)
        elif is_marked and mail_provider_kind(host) == (True, False) and email not in free:
            free.append(email)
    emails = own or free[:2]
    company = next((e for e in emails if is_role_local_part(e.partition("@")[0])), emails[0] if emails else None)
    structured_own = [e for e in (_normal_email(s) for s in structured.emails) if e in emails]
    return _Emails(emails[:MAX_LIST], structured_own[0] if structured_own else company)


# ---------------------------------------------------------------------------------------------- phones


def _parse(raw: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    raw = raw.replace("(0)", " ").strip()
    if not raw or (region is None and not raw.startswith(("+", "00"))):
        return None
    if raw.startswith("00") and region is None:
        raw = "+" + raw[2:]
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def _e164(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _looks_like_a_list(raw: str) -> bool:
    """"1 2 3 4 5 6 7 8 9 10" (a pager, a calendar), "140/155/170", dates and year ranges are not phone numbers."""
    groups = re.findall(r"\d+", raw)
    return (sum(len(g) == 1 for g in groups) >= 3 or raw.count("/") >= 2  # "140/155/170": sizes, not a phone
            or bool(_DATE.match(raw.strip("() ")) or _DATE_INSIDE.search(raw) or _YEAR_RANGE.match(raw.strip())))


def _is_identifier(before: str) -> bool:
    """Right after "VAT Reg", "Company No.", "ABN", "#": an identifier; "Phone No." is still a phone."""
    return bool(_ID_BEFORE.search(before)) and not _PHONE_NO.search(before)


def _numbers_in(raw: str, region: str | None) -> list[phonenumbers.PhoneNumber]:
    """One number, or several when a postcode or a second number is glued on ("02888 (401) 785-8906")."""
    whole = _parse(raw, region)
    if whole is not None:
        return [whole]
    if region is None and "+" not in raw:
        return []
    try:
        return [m.number for m in phonenumbers.PhoneNumberMatcher(raw, region or "ZZ",
                                                                  leniency=phonenumbers.Leniency.VALID)]
    except Exception:  # noqa: BLE001 - the matcher on odd input must not end the page
        return []


def _phones(links: list[str], text: str, structured: Structured,
            region: str | None) -> tuple[list[str], list[str], str | None]:
    """(voice numbers, fax numbers, the first structured or tel:-linked voice number)."""
    voice: list[str] = []
    fax: list[str] = []

    def add(into: list[str], number: phonenumbers.PhoneNumber) -> str:
        e164 = _e164(number)
        if e164 not in into:
            into.append(e164)
        return e164

    first_linked = None
    tel = [h.split(":", 1)[1] for h in links if h[:4].lower() == "tel:" or h[:7].lower() == "callto:"]
    for raw in structured.phones[:MAX_LIST * 5] + tel[:MAX_LINKS]:
        number = _parse(unquote(raw).split(";", 1)[0], region)
        if number is not None:
            e164 = add(voice, number)
            first_linked = first_linked or e164
    for raw in structured.fax[:MAX_LIST * 5]:
        number = _parse(raw, region)
        if number is not None:
            add(fax, number)

    scanned = text[:MAX_TEXT]
    previous_end = 0
    for n, match in enumerate(_PHONE_CANDIDATE.finditer(scanned)):
        if n >= MAX_CANDIDATES or len(voice) >= MAX_LIST:
            break
        raw = match.group(0)
        before = scanned[max(previous_end, match.start() - 30):match.start()]
        after = scanned[match.end():match.end() + 30]
        previous_end = match.end()
        if sum(ch.isdigit() for ch in raw) < 7 or _looks_like_a_list(raw) or _is_identifier(before):
            continue
        if raw.isdigit() and not _PHONE_LABEL.search(before):  # an id or a count, unless labelled as a phone
            continue
        is_fax = bool(_FAX_BEFORE.search(before) or _FAX_AFTER.match(after))
        for number in _numbers_in(raw, region):
            e164 = _e164(number)
            if is_fax:
                if e164 not in voice:
                    add(fax, number)
            elif e164 not in fax:
                add(voice, number)
    return voice, fax, first_linked
