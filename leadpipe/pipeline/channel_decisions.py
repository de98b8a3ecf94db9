"""Channel readiness for a frame of people (qualify): enrichment.channels applied to everyone decided this run.

The qualify stage calls `channels_frame` after the compliance verdict (leadpipe.pipeline.decisions), because
readiness builds on it: a suppressed person is reachable on no channel, the lawful basis and the DNC verdict
come from there. The result has one row per person with the fields every sink receives
(leadpipe.core.schema.CHANNEL_FIELDS) and `channels`, the JSON the warehouse keeps on the person for
`leadpipe explain` and the call lists.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date

import pandas as pd

from enrichment.channels import (
    NO_FLAGS,
    CrmFlags,
    email_readiness,
    normalise_linkedin_url,
    phone_readiness,
    preferred_channel,
)
from leadpipe.core.schema import CHANNEL_FIELDS
from leadpipe.pipeline.settings import Config


def _values(df: pd.DataFrame, name: str) -> list:
    """A column as Python values with pandas' missing values as None (absent column: all None)."""
    if name not in df.columns:
        return [None] * len(df)
    col = df[name].astype(object)
    return col.where(col.notna(), None).tolist()


def channels_frame(df: pd.DataFrame, dec: pd.DataFrame, cfg: Config, flags: dict[str, CrmFlags],
                   today: date, checked_at: str, only: Sequence[bool] | None = None) -> pd.DataFrame:
    """Per person (same index as `df`): the CHANNEL_FIELDS and `channels` (JSON text).

    `only` picks who is decided (the qualify stage: the prospects, the people anyone will reach out to); the
    others get None everywhere. Parsing a phone for its type and zone is the costly part (phonenumbers walks
    every region sharing a calling code), so it is not done for people nobody will call.
    """
    sup = cfg.suppression
    rows: dict[str, list] = {c: [] for c in (*CHANNEL_FIELDS, "channels")}
    wanted = [True] * len(df) if only is None else [bool(x) for x in only]
    columns = zip(
        _values(df, "person_id"), _values(df, "email"), _values(df, "phone"), _values(df, "country"),
        _values(df, "linkedin_url"), _values(df, "preferred_channel"), _values(df, "email_deliverability"),
        _values(df, "email_deliverability_reason"), _values(dec, "suppressed"), _values(dec, "lawful_basis"),
        _values(dec, "lia_ref"), _values(dec, "dnc_status"), _values(dec, "dnc_checked_at"),
        _values(dec, "is_role_based"), _values(dec, "is_disposable"), wanted, strict=True)
    for (pid, email, phone, country, linkedin, stated, mx, mx_reason, suppressed, basis, lia, dnc, dnc_at, role,
         disposable, decide) in columns:
        if not decide:
            for values in rows.values():
                values.append(None)
            continue
        crm = flags.get(pid, NO_FLAGS)
        rule = sup.email_rules.get((country or "").upper(), sup.default_email_rule)
        mail = email_readiness(email, country=country, email_rule=rule, consented=basis == "consent",
                               lawful_basis=basis, lia_ref=lia, deliverability=mx, deliverability_reason=mx_reason,
                               role=bool(role), disposable=bool(disposable), suppressed=suppressed, flags=crm)
        call = phone_readiness(phone, dnc_status=dnc, dnc_checked_at=dnc_at, today=today,
                               max_age_days=sup.dnc_max_age_days, cfg=cfg.channels, suppressed=suppressed,
                               flags=crm)
        url = normalise_linkedin_url(linkedin)
        social = bool(url) and not suppressed
        pref = preferred_channel(stated, {"email": mail.sendable, "phone": call.callable, "linkedin": social},
                                 cfg.channels)
        values = {"email_sendable": mail.sendable, "email_reason": mail.reason, "phone_callable": call.callable,
                  "phone_reason": call.reason, "phone_line_type": call.line_type, "phone_timezone": call.timezone,
                  "linkedin_url": url, "preferred_channel": pref.channel, "preferred_channel_reason": pref.reason}
        for k, v in values.items():
            rows[k].append(v)
        rows["channels"].append(json.dumps({
            "email": {"sendable": mail.sendable, "reason": mail.reason},
            "phone": {"callable": call.callable, "reason": call.reason, "line_type": call.line_type,
                      "timezone": call.timezone},
            "linkedin": {"ready": social, "url": url,
                         "reason": ("profile URL on record" if social else
                                    f"person is suppressed: {suppressed}" if url else "no LinkedIn profile URL")},
            "preferred": {"channel": pref.channel, "reason": pref.reason},
            "crm_flags": {k: v.describe() for k, v in (("email_opted_out", crm.email_opted_out),
                                                       ("email_hard_bounced", crm.email_hard_bounced),
                                                       ("do_not_call", crm.do_not_call)) if v is not None},
            "checked_at": checked_at,
        }))
    out = pd.DataFrame({k: pd.Series(v, index=df.index, dtype=object) for k, v in rows.items()}, index=df.index)
    return out


def stored_channel_fields(channels: dict | None) -> dict:
    """The CHANNEL_FIELDS from a person's stored `channels` JSON (all None for people decided before 0006),
    for pushes that start from the warehouse (the list rebuild)."""
    c = channels or {}
    email, phone = c.get("email") or {}, c.get("phone") or {}
    social, pref = c.get("linkedin") or {}, c.get("preferred") or {}
    return {"email_sendable": email.get("sendable"), "email_reason": email.get("reason"),
            "phone_callable": phone.get("callable"), "phone_reason": phone.get("reason"),
            "phone_line_type": phone.get("line_type"), "phone_timezone": phone.get("timezone"),
            "linkedin_url": social.get("url"), "preferred_channel": pref.get("channel"),
            "preferred_channel_reason": pref.get("reason")}
