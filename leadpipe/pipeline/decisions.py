"""Every qualification decision for a frame of people: title, markets, score, compliance, outcome.

The rules are the per-record ones (enrichment.personas / segment / score / suppress); this module applies
them to a whole frame, doing the work once per distinct input where the input repeats (titles, countries,
email domains, fit facts) and column-wise where a rule is a column test (lists, bands, lawful basis). The
qualify stage and the config re-qualification both call `decide_frame`, so both decide the same way.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from enrichment.normalise import is_role_local_part, mail_provider_kind
from enrichment.personas import classify_title, persona_for
from enrichment.revenue import parse_revenue
from enrichment.score import score_frame
from enrichment.segment import markets_frame
from enrichment.suppress import crm_phone_note, crm_suppression_reason
from enrichment.suppress import decide_frame as compliance_frame
from leadpipe.pipeline.settings import Config


@dataclass
class Context:
    """What a decision needs besides the person: lists loaded once per run, and the run's clock."""

    lists: object  # enrichment.suppress.SuppressionLists
    registry: set[str] | None
    now: datetime
    # per person (df's order): what the CRMs reported back (enrichment.suppress.combine_crm_flags), or None
    crm_flags: list[dict | None] | None = None


def _column(df: pd.DataFrame, name: str) -> pd.Series:
    """A column with pandas' missing values as None (absent columns: all None)."""
    if name not in df.columns:
        return pd.Series([None] * len(df), index=df.index, dtype=object)
    col = df[name].astype(object)
    return col.where(col.notna(), None)


def email_flags(emails: pd.Series) -> tuple[list[bool], list[bool], list[bool]]:
    """(free, role, disposable) of each normalised email, as `normalise_email` reports them.

    Addresses are already normalised (lower-case, validated) by the normalise stage, so the flags depend on
    the domain (free / disposable) and the local part (role) alone: each is worked out once per distinct value.
    """
    text = emails.astype(object).where(emails.notna(), "").astype(str)
    has = (text != "").to_numpy()
    split = text.str.rpartition("@")
    local, domain = split[0].to_numpy(dtype=object), split[2].to_numpy(dtype=object)
    kinds = {d: mail_provider_kind(d.lower()) for d in pd.unique(domain[has])}
    roles = {p: is_role_local_part(p.lower()) for p in pd.unique(local[has])}
    free = [bool(h and kinds[d][0] and not kinds[d][1]) for h, d in zip(has, domain, strict=True)]  # as normalise
    disposable = [bool(h and kinds[d][1]) for h, d in zip(has, domain, strict=True)]
    role = [bool(h and roles[p]) for h, p in zip(has, local, strict=True)]
    return free, role, disposable


def captured_at(values: pd.Series) -> list[datetime | None]:
    """When each lead was captured, as `pd.to_datetime(value, errors="coerce", utc=True)` reads it one by one.

    ISO 8601 strings (forms and CRM exports) are parsed in one go; anything else falls back to the one-by-one
    reading, so an odd format is read exactly as before.
    """
    raw = values.astype(object).where(values.notna(), None)
    out: list[datetime | None] = [None] * len(raw)
    present = np.flatnonzero(raw.notna().to_numpy())
    if not len(present):
        return out
    subset = raw.iloc[present]
    parsed = pd.to_datetime(subset, errors="coerce", utc=True, format="ISO8601")
    ok = parsed.notna().to_numpy()
    stamps = list(parsed.dt.floor("us").dt.to_pydatetime()) if ok.any() else []
    for j, i in enumerate(present.tolist()):
        if ok[j]:
            out[i] = stamps[j]
        else:
            ts = pd.to_datetime(subset.iat[j], errors="coerce", utc=True)
            out[i] = None if pd.isna(ts) else ts.to_pydatetime()
    return out


def _filled(df: pd.DataFrame, name: str) -> list[bool]:
    """`value not in (None, "")` after missing values became None, as LeadFacts.filled counts a field."""
    if name not in df.columns:
        return [False] * len(df)
    col = df[name]
    return (col.notna() & (col.astype(object) != "")).tolist()


def decide_frame(df: pd.DataFrame, cfg: Config, ctx: Context) -> pd.DataFrame:
    """One row of decisions per person (same index as `df`), see the module docstring."""
    n = len(df)
    titles = _column(df, "job_title")
    codes, uniques = pd.factorize(titles, use_na_sentinel=True)
    classes = [classify_title(t) for t in uniques]
    none_class = classify_title(None)
    title = [classes[c] if c >= 0 else none_class for c in codes.tolist()]
    persona_of = {}
    for t in set(title):
        persona_of[t] = persona_for(t.seniority, t.department, cfg.personas) if t.seniority else None
    persona = [persona_of[t] for t in title]
    seniority = [t.seniority for t in title]

    employees_f = pd.to_numeric(_column(df, "employees"), errors="coerce")
    revenue_raw = _column(df, "annual_revenue")
    rcodes, runiques = pd.factorize(revenue_raw, use_na_sentinel=True)
    parsed = [parse_revenue(v) for v in runiques]
    revenue = pd.Series([parsed[c] if c >= 0 else None for c in rcodes.tolist()], index=df.index, dtype="float64")
    markets = markets_frame(_column(df, "country"), _column(df, "state"), _column(df, "industry"), employees_f,
                            revenue, cfg.markets)

    email = _column(df, "email")
    free, role, disposable = email_flags(email)
    has_email = (email.notna() & (email != "")).tolist()
    employees = [None if math.isnan(v) else int(v) for v in employees_f.tolist()]
    phone_col = _column(df, "phone")
    from_form = [bool(v) for v in _column(df, "from_form").tolist()]
    crm_flags = ctx.crm_flags if ctx.crm_flags is not None else [None] * n
    score = score_frame(
        markets, seniority, persona, employees,
        has_work_email=[h and not f for h, f in zip(has_email, free, strict=True)],
        has_phone=[bool(p) for p in phone_col.tolist()],
        filled={c: _filled(df, c) for c in cfg.scoring.completeness_points},
        from_form=from_form, source=_column(df, "lead_source").tolist(),
        captured_at=captured_at(_column(df, "submitted_at")), cfg=cfg.scoring, now=ctx.now,
        crm_lead_status=[(f or {}).get("lead_status", {}).get("value") for f in crm_flags],
    )
    verdict = compliance_frame(df, role, disposable, ctx.lists, cfg.suppression, registry=ctx.registry,
                               today=ctx.now.date())
    phones = phone_col.tolist()
    for i, flags in enumerate(crm_flags):  # CRM feedback, after the lists and tombstones (their reasons win)
        if not flags:
            continue
        if verdict.suppressed[i] is None:
            verdict.suppressed[i] = crm_suppression_reason(flags)
        note = crm_phone_note(flags)
        if note and phones[i]:
            verdict.phone_callable[i] = False
            verdict.phone_note[i] = f"{verdict.phone_note[i]}; {note}" if verdict.phone_note[i] else note

    outcome, reason = [], []
    qualify_at = cfg.scoring.qualify_at
    for i in range(n):
        if verdict.suppressed[i]:
            outcome.append("suppressed")
            reason.append(verdict.suppressed[i])
        elif not score.qualified[i]:
            parts = ", ".join(f"{p['rule']} +{p['points']}" for p in score.breakdown[i]) or "no points"
            outcome.append("disqualified")
            reason.append(f"score {score.total[i]} below {qualify_at} ({parts})")
        elif not has_email[i]:
            outcome.append("disqualified")
            reason.append("no usable email address")
        else:
            outcome.append("prospect")
            reason.append(None)
    columns = {
        "annual_revenue": revenue,
        "market": [m[0] if m else None for m in markets],
        "markets": [", ".join(m) or None for m in markets],
        "markets_list": markets,
        "seniority": [s or None for s in seniority],
        "department": [t.department or None for t in title],
        "persona": persona,
        "title_method": [t.method for t in title],
        "score": score.total, "fit_score": score.fit, "intent_score": score.intent,
        "tier": [t or None for t in score.tier],
        "parts": score.breakdown,
        "lawful_basis": verdict.lawful_basis, "consent_evidence": verdict.consent_evidence,
        "lia_ref": verdict.lia_ref, "dnc_status": verdict.dnc_status,
        "dnc_checked_at": [d.isoformat() if d else None for d in verdict.dnc_checked_at],
        "phone_withheld": verdict.phone_note, "phone_callable": verdict.phone_callable,
        "suppressed": verdict.suppressed, "is_role_based": role, "is_disposable": disposable,
        "crm_feedback": crm_flags,
        "outcome": outcome, "reason": reason,
    }
    numeric = {"annual_revenue", "score", "fit_score", "intent_score", "phone_callable", "is_role_based",
               "is_disposable"}
    # object columns: text with None for "none" (pandas would turn None into NaN in its string dtype)
    return pd.DataFrame({k: (v if k in numeric else pd.Series(v, index=df.index, dtype=object))
                         for k, v in columns.items()}, index=df.index)


def stored_json(dec: pd.DataFrame, checked_at: str) -> tuple[list[str], list[str], list[str]]:
    """The people columns `segments`, `score_breakdown` and `compliance` as JSON text, one per person.

    Most people share their segments and compliance verdicts (and fit-only breakdowns) with many others, so
    each distinct value is serialised once.
    """
    seg_cache: dict[tuple, str] = {}
    comp_cache: dict[tuple, str] = {}
    parts_cache: dict[int, str] = {}
    segments, breakdowns, compliance = [], [], []
    cols = dec[["markets_list", "seniority", "department", "persona", "title_method", "fit_score", "intent_score",
                "parts", "suppressed", "lawful_basis", "consent_evidence", "lia_ref", "is_role_based",
                "is_disposable", "dnc_status", "dnc_checked_at", "phone_callable", "phone_withheld", "crm_feedback"]]
    for (markets, sen, dept, persona, method, fit, intent, parts, supp, basis, evidence, lia, role, disp, dnc,
         dnc_at, callable_, note, crm) in cols.itertuples(index=False, name=None):
        key = (tuple(markets), sen, dept, persona, method)
        text = seg_cache.get(key)
        if text is None:
            text = seg_cache[key] = json.dumps({"markets": list(markets), "seniority": sen or "",
                                                "department": dept or "", "persona": persona,
                                                "title_method": method})
        segments.append(text)
        pkey = id(parts)  # fit-only breakdowns are shared list objects (see score_frame)
        ptext = parts_cache.get(pkey) if not intent else None
        if ptext is None:
            ptext = json.dumps({"fit": fit, "intent": intent, "parts": parts})
            if not intent:
                parts_cache[pkey] = ptext
        breakdowns.append(ptext)
        crm = crm if isinstance(crm, dict) else None
        ckey = (supp, basis, evidence, lia, role, disp, dnc, dnc_at, callable_, note,
                json.dumps(crm, sort_keys=True) if crm else None)
        ctext = comp_cache.get(ckey)
        if ctext is None:
            ctext = json.dumps({"suppressed": supp, "lawful_basis": basis, "consent_evidence": evidence,
                                "lia_ref": lia, "is_role_based": bool(role), "is_disposable": bool(disp),
                                "dnc_status": dnc, "dnc_checked_at": dnc_at, "phone_callable": bool(callable_),
                                "phone_note": note, "checked_at": checked_at,
                                **({"crm_feedback": crm} if crm else {})})
            if evidence is None:
                comp_cache[ckey] = ctext
        compliance.append(ctext)
    return segments, breakdowns, compliance


def utc_now() -> datetime:
    return datetime.now(UTC)
