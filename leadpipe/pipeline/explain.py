"""`leadpipe explain EMAIL`: everything we know about one person and why they ended where they did."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Connection, Engine, String, cast, func, or_, select

from enrichment.normalise import normalise_email, normalise_phone
from enrichment.personas import classify_title
from expectations.messages import place
from leadpipe.core.controls import printable_values
from leadpipe.store.warehouse import membership, outcomes, people, push_ledger, raw_rows, requalifications

QueryKind = Literal["email", "phone", "person_id"]


class UnusableQuery(ValueError):
    """The argument names no one: empty, blank, or neither an email, an international phone nor a person id."""


@dataclass(frozen=True)
class Lookup:
    """What `explain` looks for: one normalised identifier, matched exactly (never as a substring)."""

    kind: QueryKind
    value: str

    def describe(self) -> str:
        return {"email": "email", "phone": "phone", "person_id": "person id"}[self.kind] + f" {self.value}"


def parse_query(text: str) -> Lookup:
    """The identifier in `text`, normalised as the pipeline normalises it.

    An address is normalised like an input email (case, `Name <address>`, `mailto:`); one the pipeline would
    reject is still matched exactly as typed (lower-cased), so a quarantined row can be explained by its bad
    address. A phone must be international (`+49 ...` or `0049 ...`): a national number names no country.
    Anything else is taken as a person id.
    """
    stripped = (text or "").strip()
    if not stripped:
        raise UnusableQuery("give an email address, a phone number in international format or a person id")
    if "@" in stripped:
        result = normalise_email(stripped)
        return Lookup("email", result.email or stripped.lower())
    phone = normalise_phone(stripped, None)
    if phone:
        return Lookup("phone", phone)
    if any(c.isdigit() for c in stripped) and set(stripped) <= set("+0123456789 ()-./"):
        raise UnusableQuery(f"{stripped!r} is not a phone number in international format (+49 30 ... or "
                            "0049 30 ...)")
    return Lookup("person_id", stripped)


def explain(engine: Engine, query: str) -> dict:
    """Everything about the one person `query` identifies (see `parse_query`), matched exactly.

    The result has `person` (or None), their source `rows`, and `candidates` when the identifier belongs to
    several people (a shared phone, an email seen in several people's rows): then nothing else is shown and
    the caller asks for a person id. Rows never resolved to a person (quarantined, suppressed before dedupe)
    are listed when their own email equals the query. Raises UnusableQuery for empty or unparsable input.
    """
    lookup = parse_query(query)
    with engine.connect() as conn:
        ids, loose = _matches(conn, lookup)
        base = {"query": {"kind": lookup.kind, "value": lookup.value}, "email": lookup.value, "candidates": []}
        if len(ids) > 1:
            found = conn.execute(select(people.c.person_id, people.c.email, people.c.record)
                                 .where(people.c.person_id.in_(sorted(ids))).order_by(people.c.person_id)).all()
            return {**base, "person": None, "rows": [], "candidates": [
                {"person_id": p.person_id, "email": p.email, "first_name": (p.record or {}).get("first_name"),
                 "last_name": (p.record or {}).get("last_name"), "company": (p.record or {}).get("company")}
                for p in found]}
        if not ids:
            return {**base, "person": None, "rows": [_row(conn, r) for r in loose]}
        person = conn.execute(select(people).where(people.c.person_id == next(iter(ids)))).mappings().one()
        rows = conn.execute(
            select(raw_rows.c.id, raw_rows.c.source, raw_rows.c.source_file, raw_rows.c.source_row,
                   membership.c.rule, membership.c.match_score, membership.c.evidence)
            .join(membership, membership.c.raw_row_id == raw_rows.c.id)
            .where(membership.c.person_id == person["person_id"])
            .order_by(raw_rows.c.id)
        ).all()
        pushed = conn.execute(select(push_ledger).where(push_ledger.c.person_id == person["person_id"])).mappings().all()
        again = conn.execute(select(requalifications).where(requalifications.c.person_id == person["person_id"])
                             .order_by(requalifications.c.run_id)).mappings().all()
        return {
            **base,
            "email": person["email"] or lookup.value,
            "person": {k: person.get(k) for k in ("person_id", "record", "provenance", "segments", "score", "tier",
                                                   "score_breakdown", "persona", "department", "owner", "compliance",
                                                   "channels", "created_run_id", "updated_run_id")},
            "rows": [{**_row(conn, r), "match_rule": r.rule, "match_score": r.match_score,
                      "match_evidence": r.evidence} for r in rows],
            "pushed": [{"sink": p["sink"], "crm_id": p["crm_id"], "run_id": p["run_id"]} for p in pushed],
            "requalified": [dict(r) for r in again],
            "title": title_reason((person["record"] or {}).get("job_title")),
        }


def _matches(conn: Connection, lookup: Lookup) -> tuple[set[str], list]:
    """(ids of the people the identifier belongs to, raw rows carrying it that belong to no one)."""
    if lookup.kind == "person_id":
        found = conn.execute(select(people.c.person_id).where(people.c.person_id == lookup.value)).scalars()
        return set(found), []
    if lookup.kind == "phone":
        return _people_with_phone(conn, lookup.value), []
    ids = set(conn.execute(select(people.c.person_id).where(people.c.email == lookup.value)).scalars())
    rows = _raw_rows_with_email(conn, lookup.value)
    owners = dict(conn.execute(select(membership.c.raw_row_id, membership.c.person_id)
                               .where(membership.c.raw_row_id.in_([r.id for r in rows]))).all()) if rows else {}
    ids |= set(owners.values())
    return ids, [r for r in rows if r.id not in owners]


def _people_with_phone(conn: Connection, phone: str) -> set[str]:
    """People whose golden phone is exactly `phone` (E.164). The JSON text narrows the scan; the record decides."""
    text = cast(people.c.record, String)
    found = conn.execute(select(people.c.person_id, people.c.record)
                         .where(text.contains(phone, autoescape=True))).all()
    return {p.person_id for p in found if (p.record or {}).get("phone") == phone}


def _raw_rows_with_email(conn: Connection, email: str) -> list:
    """Raw rows one of whose values is `email` once normalised (or, for an address the pipeline rejects, as
    typed). SQL narrows by the text with `%` and `_` escaped; each candidate's values decide exactly."""
    needles = {email, json.dumps(email)[1:-1]}
    local, _, domain = email.rpartition("@")
    try:
        needles.add(f"{local}@{domain.encode('idna').decode('ascii')}")
    except UnicodeError:
        pass  # not an internationalised domain the input could have spelled in punycode
    text = func.lower(cast(raw_rows.c.payload, String))
    candidates = conn.execute(
        select(raw_rows.c.id, raw_rows.c.source, raw_rows.c.source_file, raw_rows.c.source_row, raw_rows.c.payload)
        .where(or_(*[text.contains(n, autoescape=True) for n in sorted(needles)]))
        .order_by(raw_rows.c.id)).all()
    return [r for r in candidates if any(_is_email(v, email) for v in (r.payload or {}).values())]


def _is_email(value: object, email: str) -> bool:
    if not isinstance(value, str) or "@" not in value:
        return False
    return (normalise_email(value).email or value.strip().lower()) == email


def _row(conn, r) -> dict:
    last = conn.execute(
        select(outcomes.c.outcome, outcomes.c.reason, outcomes.c.run_id)
        .where(outcomes.c.raw_row_id == r.id).order_by(outcomes.c.run_id.desc())
    ).first()
    return {"raw_row_id": r.id, "source": r.source, "file": r.source_file, "row": r.source_row,
            "where": place(r.source_file, r.source_row),
            "outcome": last.outcome if last else None, "reason": last.reason if last else None}


def title_reason(title: str | None) -> dict | None:
    """Why a job title gets its seniority and department, by today's classifier (`None` without a title):
    `department_by` is "rule" / "fuzzy" (a rule, after repairing a typo), "lookup" (an O*NET title), "model"
    (with its confidence) or "unknown" (nothing confident, so `other`)."""
    got = classify_title(title)
    if not got.seniority:
        return None
    return {"job_title": title, "seniority": got.seniority, "department": got.department,
            "department_by": got.department_by, "confidence": got.confidence, "evidence": got.evidence}


def _address_lines(rec: dict, provenance: dict) -> list[str]:
    """The postal address, on one line with the row it came from (one row gives the whole address)."""
    parts = [str(rec.get(f) or "").strip() for f in ("street", "address_line2")]
    town = " ".join(x for x in (str(rec.get("postcode") or "").strip(), str(rec.get("city") or "").strip()) if x)
    parts += [town, str(rec.get("state") or "").strip()]
    shown = ", ".join(x for x in parts if x)
    if not shown:
        return []
    row = next((provenance[f] for f in ("street", "postcode", "city", "state") if provenance.get(f)), None)
    return [f"  address: {shown}" + (f" (row {row:.0f})" if isinstance(row, int | float) else "")]


def _title_lines(t: dict | None) -> list[str]:
    if not t:
        return []
    why = {"rule": "by rule", "fuzzy": "by rule after typo repair", "lookup": "by title lookup",
           "model": "by model", "unknown": "unknown"}[t["department_by"]]
    if t["department_by"] in ("model", "unknown"):
        why += f" (confidence {t['confidence']:.2f})"
    return [(f"  title {t['job_title']!r}: department {t['department']} {why}: {t['evidence']}; "
             f"seniority {t['seniority']}")]


def _score_lines(p: dict) -> list[str]:
    """Score and its breakdown; older runs stored a plain list of parts, newer ones fit/intent + parts."""
    breakdown = p.get("score_breakdown") or []
    parts = breakdown.get("parts", []) if isinstance(breakdown, dict) else breakdown
    head = f"  score {p['score']} tier {p['tier'] or '-'}"
    if isinstance(breakdown, dict):
        head += f" (fit {breakdown.get('fit', 0)} + intent {breakdown.get('intent', 0)})"
    lines = [head + ":"]
    for part in parts:
        kind = f"{part['kind']:<6} " if part.get("kind") else ""
        decay = f"  [{part['base_points']} {part['decay']}]" if part.get("decay") else ""
        lines.append(f"    +{part['points']:>5}  {kind}{part['rule']}{decay}")
    return lines


def _compliance_lines(p: dict) -> list[str]:
    c = p.get("compliance") or {}
    if not c:
        return []
    lines = [f"  suppressed: {c['suppressed']}" if c.get("suppressed") else "  suppressed: no"]
    basis = c.get("lawful_basis") or "-"
    if c.get("consent_evidence"):
        basis += f" ({c['consent_evidence']})"
    elif c.get("lia_ref"):
        basis += f" (LIA {c['lia_ref']})"
    lines.append(f"  lawful basis: {basis}; role address: {'yes' if c.get('is_role_based') else 'no'}"
                 f"; disposable: {'yes' if c.get('is_disposable') else 'no'}")
    if c.get("dnc_status") or c.get("phone_note"):
        lines.append(f"  phone: DNC {c.get('dnc_status') or '-'} (checked {c.get('dnc_checked_at') or '-'})"
                     + (f"; withheld: {c['phone_note']}" if c.get("phone_note") else ""))
    lines += _crm_feedback_lines(c.get("crm_feedback") or {})
    if p.get("owner"):
        lines.append(f"  owner: {p['owner']}")
    return lines


def _crm_feedback_lines(crm: dict) -> list[str]:
    """What a CRM reported back about the person, each fact with the CRM and its date."""
    said = []
    for kind, label in (("email_opt_out", "unsubscribed from all email"), ("email_hard_bounce", "email hard-bounced"),
                        ("do_not_call", "do-not-call")):
        if f := crm.get(kind):
            reason = f" ({f['reason']})" if f.get("reason") else ""
            said.append(f"{label} in {f['crm']} since {str(f['at'])[:10]}{reason}")
    if f := crm.get("customer"):
        said.append(f"a customer in {f['crm']} ({f['what']}" + (f" on {str(f['at'])[:10]})" if f.get("at") else ")"))
    for kind, label in (("lead_status", "lead status"), ("owner", "CRM owner")):
        if f := crm.get(kind):
            said.append(f"{label} {f['value']} in {f['crm']} (as of {str(f.get('at') or '-')[:10]})")
    return [f"  CRM feedback: {'; '.join(said)}"] if said else []


def _channel_lines(p: dict) -> list[str]:
    """Each channel's state with its reason (enrichment.channels), as the last qualification decided it."""
    c = p.get("channels") or {}
    if not c:  # readiness is decided for prospects (and was not before 0008_channel_readiness)
        return ["  channels: not decided (decided for prospects only)"] if p.get("compliance") else []
    email, phone = c.get("email") or {}, c.get("phone") or {}
    social, pref = c.get("linkedin") or {}, c.get("preferred") or {}
    lines = ["  channels:"]
    lines.append(f"    email:    {'sendable' if email.get('sendable') else 'not sendable'}: {email.get('reason') or '-'}")
    lines.append(f"    phone:    {'callable' if phone.get('callable') else 'not callable'}: {phone.get('reason') or '-'}"
                 + (f" (line type {phone['line_type']})" if phone.get("line_type") else ""))
    lines.append(f"    linkedin: {'ready' if social.get('ready') else 'not ready'}: "
                 + (f"{social['url']} ({social.get('reason') or '-'})" if social.get("url") else social.get("reason") or "-"))
    lines.append(f"    preferred: {pref.get('channel') or 'none'}: {pref.get('reason') or '-'}")
    for flag, said in sorted((c.get("crm_flags") or {}).items()):
        lines.append(f"    CRM flag {flag.replace('_', ' ')}: {said}")
    return lines


def found_one(info: dict) -> bool:
    """True when `info` explains someone: a person, or raw rows that never became one."""
    return not info.get("candidates") and (info["person"] is not None or bool(info["rows"]))


def format_explanation(info: dict) -> str:
    """The explanation as text for the terminal. Every string from the data is escaped first (names, titles,
    file names and reasons may hold ESC sequences or bidi overrides: leadpipe.core.controls.printable), so
    a value can neither act on the terminal nor start a line of its own."""
    info = printable_values(info)
    query = info.get("query") or {"kind": "email", "value": info["email"]}
    what = f"{query['kind'].replace('_', ' ')} {query['value']}"
    if info.get("candidates"):
        lines = [f"{what} belongs to {len(info['candidates'])} people; explain one by its person id:"]
        lines += [f"  {c['person_id']}  {c.get('first_name') or ''} {c.get('last_name') or ''}"
                  f" ({c.get('email') or '-'}) at {c.get('company') or '-'}" for c in info["candidates"]]
        return "\n".join(lines)
    if not found_one(info):
        return (f"no one found for {what} (exact match on the normalised value, never a part of it).\n"
                "Look up by the full email address, a phone number in international format (+49 30 ...), or "
                "a person id (shown by `leadpipe explain EMAIL`, and in the person_id column of the "
                "prospects table and the run's Parquet files).")
    lines = [f"{info['email']}"]
    p = info["person"]
    if p:
        rec = p["record"]
        lines.append(f"  person {p['person_id']}: {rec.get('first_name') or ''} {rec.get('last_name') or ''}, "
                     f"{rec.get('job_title') or '-'} at {rec.get('company') or '-'} ({rec.get('country') or '-'})")
        lines += _address_lines(rec, p.get("provenance") or {})
        seg = p.get("segments") or {}
        lines.append(f"  market: {', '.join(seg.get('markets') or []) or '-'}; seniority: {seg.get('seniority') or '-'}"
                     f"; department: {seg.get('department') or '-'}; persona: {seg.get('persona') or '-'}")
        lines += _title_lines(info.get("title"))
        lines += _score_lines(p)
        lines += _compliance_lines(p)
        lines += _channel_lines(p)
        lines.append("  values from: " + ", ".join(f"{k}<-row {v}" for k, v in sorted(p["provenance"].items())))
    lines.append("  source rows (numbered as in a spreadsheet, the header is row 1):")
    for r in info["rows"]:
        match = f" [{r['match_rule']}]" if r.get("match_rule") else ""
        where = r.get("where") or place(r["file"], r["row"])
        lines.append(f"    {r['source']}: {where}{match}: {r['outcome'] or '-'}"
                     f" - {r['reason'] or ''}")
        if r.get("match_evidence"):
            lines.extend(_match_lines(r["match_evidence"]))
    for r in info.get("requalified", []):  # decided again after a config change, without a new row
        lines.append(f"  re-qualified in run {r['run_id']} (config changed): {r['change'].replace('_', ' ')}, "
                     f"score {r['old_score']} -> {r['new_score']}, tier {r['old_tier'] or '-'} -> "
                     f"{r['new_tier'] or '-'}" + (f"; {r['push_result']}" if r.get("push_result") else ""))
    for push in info.get("pushed", []):
        lines.append(f"  in {push['sink']} CRM as {push['crm_id']} (run {push['run_id']})")
    return "\n".join(lines)


def _match_lines(ev: dict) -> list[str]:
    """The link that merged a row: total weight, then each comparator's level, similarity and bits."""
    with_ = ev.get("matched_with") or {}
    other = f"raw row {with_['raw_row_id']}" if "raw_row_id" in with_ else f"person {with_.get('person_id', '?')}"
    lines = [f"      merged with {other}: match weight {ev['weight']:+.1f} bits (probability {ev['probability']:.3f})"]
    for name, c in ev["comparators"].items():
        sim = "" if c.get("similarity") is None else f" sim {c['similarity']:.2f}"
        note = f" ({c['note']})" if c.get("note") else ""
        lines.append(f"        {name:<11} {c['level']:<30}{sim:<10} {c['bits']:+6.1f}{note}")
    return lines
