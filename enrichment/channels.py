"""Channel readiness: on which channel (email, phone, LinkedIn) each prospect can lawfully and practically be
reached, and why not on the others.

A list is only useful if each prospect can be reached on some channel, so every person gets, per channel, a
yes/no and a reason a salesperson can read ("DNC check of 2026-10-01 is 65 days old (more than 31): re-scrub
before calling"):

- email: an address that passed syntax checks; the MX step's state (`invalid` blocks, `catch_all` and
  `unknown` are sendable with the caveat named); role and disposable addresses; the lawful basis the country's
  email rule asks for (consent where the rule is consent); the CRM's unsubscribe and hard-bounce flags.
- phone: a valid number (phonenumbers), its line type (mobile, fixed_line, voip, toll_free, ...; the
  configured unusable types, e.g. premium rate and pagers, block), the national DNC registry verdict and the
  check's age on the day asked (older than `dnc_max_age_days`, 31 by default, the FTC/FCC scrub interval:
  not callable), and the CRM's do-not-call flag. The number's IANA time zone (phonenumbers' timezone
  module) says when it is inside the configured local calling window.
- social: a LinkedIn profile URL, normalised to https://www.linkedin.com/in/<slug>; anything else (another
  host, a company page, `javascript:`, credentials in the URL) is dropped, never passed on.
- preferred channel: the form's stated preference when that channel is ready, else the first ready channel
  in the configured order.

Pure: the CRM flags come in as `CrmFlags` (from the CRM feedback the pipeline stores), the day as `today`.
Phone readiness is asked again on the day a call list is built (leadpipe.pipeline.call_lists), because a DNC
check that was fresh at qualification may be stale a week later.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Literal
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import PhoneNumberType
from phonenumbers import timezone as phone_timezones
from pydantic import Field, field_validator, model_validator

from leadpipe.core.settings import Strict

Channel = Literal["email", "phone", "linkedin"]
CHANNELS: tuple[str, ...] = ("email", "phone", "linkedin")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# phonenumbers' PhoneNumberType -> the names we store and send (lower case, as a CRM picklist would hold them)
LINE_TYPES: dict[int, str] = {
    PhoneNumberType.FIXED_LINE: "fixed_line", PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile", PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.PREMIUM_RATE: "premium_rate", PhoneNumberType.SHARED_COST: "shared_cost",
    PhoneNumberType.VOIP: "voip", PhoneNumberType.PERSONAL_NUMBER: "personal_number",
    PhoneNumberType.PAGER: "pager", PhoneNumberType.UAN: "uan", PhoneNumberType.VOICEMAIL: "voicemail",
    PhoneNumberType.UNKNOWN: "unknown",
}


class CallingWindow(Strict):
    """When calls may be placed, in the prospect's own local time (their phone number's time zone)."""

    start: time = Field(time(9, 0), description="Local time the first call may start, e.g. '09:00'.")
    end: time = Field(time(17, 0), description="Local time after which no call starts, e.g. '17:00'.")
    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(
        default_factory=lambda: ["mon", "tue", "wed", "thu", "fri"], min_length=1,
        description="Local weekdays calls may be placed on.")

    @field_validator("start", "end", mode="before")
    @classmethod
    def _quoted(cls, v: object) -> object:
        if isinstance(v, int):  # YAML 1.1 reads an unquoted 09:00 as the number 540 (base 60)
            raise ValueError("write the time in quotes, e.g. \"09:00\" (YAML reads 09:00 without quotes as a number)")
        return v

    @model_validator(mode="after")
    def _start_before_end(self) -> CallingWindow:
        if self.start >= self.end:
            raise ValueError(f"channels.calling_window: start {self.start:%H:%M} must be before end {self.end:%H:%M}")
        return self


class ChannelsConfig(Strict):
    """The `channels:` section: calling window, unusable phone line types, and the preferred-channel rule."""

    calling_window: CallingWindow = CallingWindow()
    not_callable_line_types: list[str] = Field(
        default_factory=lambda: ["premium_rate", "shared_cost", "pager", "voicemail"],
        description="Line types never called (phonenumbers' types in lower case: mobile, fixed_line, voip, "
                    "toll_free, premium_rate, shared_cost, pager, voicemail, uan, personal_number, unknown).")
    preferred_order: list[Literal["email", "phone", "linkedin"]] = Field(
        default_factory=lambda: ["email", "phone", "linkedin"], min_length=1,
        description="Without a stated preference (or when the stated channel is not ready): the first ready "
                    "channel in this order is the preferred one.")

    @field_validator("not_callable_line_types")
    @classmethod
    def _known_types(cls, v: list[str]) -> list[str]:
        unknown = sorted(set(v) - set(LINE_TYPES.values()))
        if unknown:
            raise ValueError(f"unknown line type(s) {unknown}; allowed: {', '.join(sorted(LINE_TYPES.values()))}")
        return v

    @field_validator("preferred_order")
    @classmethod
    def _no_repeats(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("channels.preferred_order names a channel twice")
        return v


@dataclass(frozen=True)
class CrmFlag:
    """One flag the CRM set on the person: which CRM, and when (as the CRM reports it)."""

    source: str  # "hubspot", "salesforce"
    on: date | datetime | None = None

    def describe(self) -> str:
        when = self.on.date() if isinstance(self.on, datetime) else self.on
        return f"per {self.source}" + (f" since {when.isoformat()}" if when else "")


@dataclass(frozen=True)
class CrmFlags:
    """What the CRMs said about a person after earlier pushes (CRM feedback); all None: nothing known."""

    email_opted_out: CrmFlag | None = None
    email_hard_bounced: CrmFlag | None = None
    do_not_call: CrmFlag | None = None


NO_FLAGS = CrmFlags()


@dataclass(frozen=True)
class EmailReadiness:
    sendable: bool
    reason: str


@dataclass(frozen=True)
class PhoneReadiness:
    callable: bool
    reason: str
    line_type: str | None = None
    timezone: str | None = None  # IANA zone when the number has exactly one


@dataclass(frozen=True)
class Preference:
    channel: str | None  # None: no channel is ready
    reason: str


# ---- email ---------------------------------------------------------------------------------------------------

def email_readiness(email: str | None, *, country: str | None, email_rule: str, consented: bool,
                    lawful_basis: str | None, lia_ref: str | None = None, deliverability: str | None = None,
                    deliverability_reason: str | None = None, role: bool = False, disposable: bool = False,
                    suppressed: str | None = None, flags: CrmFlags = NO_FLAGS) -> EmailReadiness:
    """May this person be emailed, and why (not)? The first blocking reason wins, in the order a reviewer
    would check them: person suppressed, no address, CRM bounce and unsubscribe, MX, address kind, lawful basis.

    `email_rule` is the country's rule from `suppression.email_rules` (consent | legitimate_interest | none);
    `lawful_basis` the verdict's (consent | legitimate_interest | n/a).
    """
    if suppressed:
        return EmailReadiness(False, f"person is suppressed: {suppressed}")
    if not email:
        return EmailReadiness(False, "no valid email address")
    if flags.email_hard_bounced is not None:
        return EmailReadiness(False, f"hard bounced {flags.email_hard_bounced.describe()}")
    if flags.email_opted_out is not None:
        return EmailReadiness(False, f"unsubscribed from email {flags.email_opted_out.describe()}")
    if deliverability == "invalid":
        return EmailReadiness(False, f"domain takes no mail ({deliverability_reason or 'MX check failed'})")
    if role:
        return EmailReadiness(False, "role address (info@, sales@ ...): not a person")
    if disposable:
        return EmailReadiness(False, "disposable email address")
    where = (country or "").upper() or "an unknown country"
    if email_rule == "consent" and not consented:
        return EmailReadiness(False, f"email in {where} needs prior consent and none is on record")
    if lawful_basis == "consent":
        basis = "consent on record"
    elif lawful_basis == "legitimate_interest":
        basis = "legitimate interest" + (f" ({lia_ref})" if lia_ref else "")
    else:
        basis = f"no prior consent needed in {where}"
    mx = {"valid": "domain accepts mail (MX)",
          "catch_all": "domain accepts every address (catch-all): delivery to this person is not confirmed",
          "unknown": "MX look-up failed: delivery not confirmed"}.get(deliverability or "", "MX not checked")
    return EmailReadiness(True, f"{basis}; {mx}")


# ---- phone ---------------------------------------------------------------------------------------------------

@lru_cache(maxsize=200_000)
def phone_facts(phone: str) -> tuple[bool, str | None, tuple[str, ...]]:
    """(valid, line type, IANA zones) of an E.164 number; one parse per distinct number.

    The zones are phonenumbers' for the number's prefix, reduced to one where they all keep the same clock
    (a UK mobile: London, Guernsey, Jersey, Isle of Man) and left as they are where they differ (a US
    toll-free number, an Australian mobile): then no single local time is known.
    """
    try:
        num = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return False, None, ()
    kind = phonenumbers.number_type(num)  # UNKNOWN exactly when is_valid_number is False (same helper inside)
    if kind == PhoneNumberType.UNKNOWN:
        return False, None, ()
    # time_zones_for_number would work the type out again; a geographical number's zones go by its prefix
    found = (phone_timezones.time_zones_for_geographical_number(num)
             if phonenumbers.is_number_type_geographical(kind, num.country_code)
             else phone_timezones.time_zones_for_number(num))
    zones = tuple(z for z in found if z != phone_timezones.UNKNOWN_TIMEZONE)
    return True, LINE_TYPES.get(kind, "unknown"), _one_clock(zones, num)


_SEASONS = (datetime(2026, 1, 15, 12), datetime(2026, 7, 15, 12))  # winter and summer offsets tell zones apart


def _one_clock(zones: tuple[str, ...], num: phonenumbers.PhoneNumber) -> tuple[str, ...]:
    """One zone for zones that keep the same clock all year (the region's main zone when it is one of them)."""
    if len(zones) < 2:
        return zones
    region = phonenumbers.region_code_for_number(num) or ""
    try:
        offsets = {tuple(ZoneInfo(z).utcoffset(t) for t in _SEASONS) for z in zones}
    except (ZoneInfoNotFoundError, ValueError):
        return zones
    if len(offsets) != 1:
        return zones
    main = _main_zones().get(region.upper())
    return (main,) if main in zones else (sorted(zones)[0],)


@lru_cache(maxsize=1)
def _main_zones() -> dict[str, str]:
    """Country code -> its first zone in the tz database's zone1970.tab (GB -> Europe/London)."""
    from importlib.resources import files  # only for numbers with several zones; tzdata ships the table

    out: dict[str, str] = {}
    try:
        text = files("tzdata").joinpath("zoneinfo", "zone1970.tab").read_text(encoding="utf-8")
    except (OSError, ModuleNotFoundError):
        return out
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        codes, _, zone = line.split("\t")[:3]
        for code in codes.split(","):
            out.setdefault(code, zone)
    return out


def phone_readiness(phone: str | None, *, dnc_status: str | None, dnc_checked_at: date | str | None,
                    today: date, max_age_days: int, cfg: ChannelsConfig, suppressed: str | None = None,
                    flags: CrmFlags = NO_FLAGS) -> PhoneReadiness:
    """May this number be called on `today`, and why (not)? Also its line type and time zone.

    `dnc_status` and `dnc_checked_at` are the compliance verdict's (registered | not_registered | stale, and
    the registry extract's date); a number no registry covers (None) is callable, and the reason says so.
    The age of the check is counted to `today`, so the same stored verdict turns stale as days pass.
    """
    if not phone:
        return PhoneReadiness(False, "no phone number")
    if suppressed:
        return PhoneReadiness(False, f"person is suppressed: {suppressed}")
    valid, line, zones = phone_facts(phone)
    zone = zones[0] if len(zones) == 1 else None
    if not valid:
        return PhoneReadiness(False, "not a valid phone number")
    if line in cfg.not_callable_line_types:
        return PhoneReadiness(False, f"{line.replace('_', ' ')} number: not called", line, zone)
    if flags.do_not_call is not None:
        return PhoneReadiness(False, f"do-not-call {flags.do_not_call.describe()}", line, zone)
    checked = date.fromisoformat(dnc_checked_at) if isinstance(dnc_checked_at, str) else dnc_checked_at
    if dnc_status == "registered":
        return PhoneReadiness(False, "on the national Do-Not-Call registry"
                              + (f" (checked {checked.isoformat()})" if checked else ""), line, zone)
    if checked is not None:
        age = (today - checked).days
        if age > max_age_days:
            return PhoneReadiness(False, f"DNC check of {checked.isoformat()} is {age} days old (more than "
                                  f"{max_age_days}): re-scrub before calling", line, zone)
    elif dnc_status == "stale":
        return PhoneReadiness(False, "DNC check is out of date: re-scrub before calling", line, zone)
    dnc = (f"not on the DNC registry (checked {checked.isoformat()}, {(today - checked).days} days ago)"
           if checked is not None else "no national DNC registry covers this number")
    where = f"local zone {zone}" if zone else (f"{len(zones)} possible time zones" if zones else "time zone unknown")
    return PhoneReadiness(True, f"{line.replace('_', ' ')}; {dnc}; {where}", line, zone)


def _local(zone: str | None, now: datetime) -> datetime | None:
    """`now` on the number's local clock; None when the zone is not known."""
    if not zone:
        return None
    try:
        return now.astimezone(ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _inside(local: datetime, window: CallingWindow) -> bool:
    return WEEKDAYS[local.weekday()] in window.days and window.start <= local.time() < window.end


def in_calling_window(zone: str | None, now: datetime, window: CallingWindow) -> bool | None:
    """Is it a calling day and time at the number's location? None when the zone is not known."""
    local = _local(zone, now)
    return None if local is None else _inside(local, window)


def minutes_until_window(zone: str | None, now: datetime, window: CallingWindow) -> int | None:
    """Minutes until the number's local calling window next opens (0 inside it); None when the zone is not
    known (never otherwise: the window has at least one day). A list built before the working day orders by
    it, so the callers' first hours go to the people whose day starts first."""
    local = _local(zone, now)
    if local is None:
        return None
    if _inside(local, window):
        return 0
    for days_ahead in range(8):
        day = (local + timedelta(days=days_ahead)).date()
        if WEEKDAYS[day.weekday()] not in window.days:
            continue
        opens = datetime.combine(day, window.start, tzinfo=local.tzinfo)
        if opens > local:  # in UTC: the same zone's wall clocks would hide a DST change in between
            return int((opens.astimezone(UTC) - now.astimezone(UTC)).total_seconds() // 60)
    return None


# ---- LinkedIn ------------------------------------------------------------------------------------------------

_BLANK_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")
_SLUG = re.compile(r"^[A-Za-z0-9\u00C0-\u024F\-_.]{3,100}$")
_LINKEDIN_HOST = re.compile(r"^(?:[a-z]{2,3}\.|www\.)?linkedin\.com$")


def normalise_linkedin_url(value: object) -> str | None:
    """https://www.linkedin.com/in/<slug> for a personal LinkedIn profile URL, else None.

    Vendor columns and form fields are hostile input: only http(s) URLs on linkedin.com (or a country
    subdomain such as de.linkedin.com) with an `/in/<slug>` path are kept; a bare `linkedin.com/in/slug` or
    `www.linkedin.com/in/slug` gets its scheme. Query strings, fragments and trailing paths are dropped; a
    URL with credentials, a port, another host, a company page or any other scheme (javascript:, data:) is
    refused.
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > 500 or _BLANK_OR_CONTROL.search(text):
        return None
    if text.lower().startswith(("linkedin.com/", "www.linkedin.com/")) or re.match(r"^[a-z]{2}\.linkedin\.com/",
                                                                                   text.lower()):
        text = "https://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or parts.username or parts.password or port is not None:
        return None
    if not _LINKEDIN_HOST.match((parts.hostname or "").lower()):
        return None
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) < 2 or segments[0].lower() != "in":
        return None
    slug = unquote(segments[1])
    if not _SLUG.match(slug) or slug.strip(".") != slug:
        return None
    return f"https://www.linkedin.com/in/{slug}"


# ---- preferred channel ---------------------------------------------------------------------------------------

_STATED = {
    "email": "email", "e-mail": "email", "mail": "email", "e mail": "email",
    "phone": "phone", "call": "phone", "telephone": "phone", "tel": "phone", "phone call": "phone",
    "mobile": "phone", "telefon": "phone", "anruf": "phone",
    "linkedin": "linkedin", "linked in": "linkedin", "social": "linkedin", "inmail": "linkedin",
}


def stated_channel(value: object) -> str | None:
    """The channel a form's preference field names ("E-mail", "Phone call", "LinkedIn"), or None."""
    if not isinstance(value, str):
        return None
    return _STATED.get(re.sub(r"\s+", " ", value.strip().lower()))


def preferred_channel(stated: object, ready: dict[str, bool], cfg: ChannelsConfig) -> Preference:
    """The form's stated channel when it is ready, else the first ready channel in `preferred_order`."""
    asked = stated_channel(stated)
    if asked and ready.get(asked):
        return Preference(asked, f"asked for {asked} in the form")
    first = next((c for c in cfg.preferred_order if ready.get(c)), None)
    rule = f"first ready channel in channels.preferred_order ({', '.join(cfg.preferred_order)})"
    if asked:
        if first is None:
            return Preference(None, f"asked for {asked} in the form, but no channel is ready")
        return Preference(first, f"asked for {asked} in the form, but {asked} is not ready; {rule}")
    return Preference(first, rule) if first else Preference(None, "no channel is ready")
