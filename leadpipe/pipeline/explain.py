"""`leadpipe explain EMAIL`: everything we know about one person and why they ended where they did."""

from __future__ import annotations

from sqlalchemy import Engine, String, cast, func, select

from leadpipe.store.warehouse import membership, outcomes, people, push_ledger, raw_rows, requalifications


def explain(engine: Engine, email: str) -> dict:
    email = email.strip().lower()
    with engine.connect() as conn:
        person = conn.execute(select(people).where(func.lower(people.c.email) == email)).mappings().first()
        if person is None:
            # Not resolved to a person (quarantined before dedupe?): look in the raw rows themselves.
            raw = conn.execute(
                select(raw_rows.c.id, raw_rows.c.source, raw_rows.c.source_file, raw_rows.c.source_row)
                .where(func.lower(cast(raw_rows.c.payload, String)).contains(email))
            ).all()
            return {"email": email, "person": None, "rows": [_row(conn, r) for r in raw]}
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
            "email": email,
            "person": {k: person.get(k) for k in ("person_id", "record", "provenance", "segments", "score", "tier",
                                                   "score_breakdown", "persona", "department", "owner", "compliance",
                                                   "created_run_id", "updated_run_id")},
            "rows": [{**_row(conn, r), "match_rule": r.rule, "match_score": r.match_score,
                      "match_evidence": r.evidence} for r in rows],
            "pushed": [{"sink": p["sink"], "crm_id": p["crm_id"], "run_id": p["run_id"]} for p in pushed],
            "requalified": [dict(r) for r in again],
        }


def _row(conn, r) -> dict:  # noqa: ANN001
    last = conn.execute(
        select(outcomes.c.outcome, outcomes.c.reason, outcomes.c.run_id)
        .where(outcomes.c.raw_row_id == r.id).order_by(outcomes.c.run_id.desc())
    ).first()
    return {"raw_row_id": r.id, "source": r.source, "file": r.source_file, "row": r.source_row,
            "outcome": last.outcome if last else None, "reason": last.reason if last else None}


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
    if p.get("owner"):
        lines.append(f"  owner: {p['owner']}")
    return lines


def format_explanation(info: dict) -> str:
    if info["person"] is None and not info["rows"]:
        return f"{info['email']}: not found in the warehouse"
    lines = [f"{info['email']}"]
    p = info["person"]
    if p:
        rec = p["record"]
        lines.append(f"  person {p['person_id']}: {rec.get('first_name') or ''} {rec.get('last_name') or ''}, "
                     f"{rec.get('job_title') or '-'} at {rec.get('company') or '-'} ({rec.get('country') or '-'})")
        seg = p.get("segments") or {}
        lines.append(f"  market: {', '.join(seg.get('markets') or []) or '-'}; seniority: {seg.get('seniority') or '-'}"
                     f"; department: {seg.get('department') or '-'}; persona: {seg.get('persona') or '-'}")
        lines += _score_lines(p)
        lines += _compliance_lines(p)
        lines.append("  values from: " + ", ".join(f"{k}<-row {v}" for k, v in sorted(p["provenance"].items())))
    lines.append("  source rows:")
    for r in info["rows"]:
        match = f" [{r['match_rule']}]" if r.get("match_rule") else ""
        lines.append(f"    {r['source']}/{r['file']} row {r['row']}{match}: {r['outcome'] or '-'}"
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
