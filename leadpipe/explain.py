"""`leadpipe explain EMAIL`: everything we know about one person and why they ended where they did."""

from __future__ import annotations

from sqlalchemy import Engine, String, cast, func, select

from leadpipe.warehouse import membership, outcomes, people, push_ledger, raw_rows


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
                   membership.c.rule, membership.c.match_score)
            .join(membership, membership.c.raw_row_id == raw_rows.c.id)
            .where(membership.c.person_id == person["person_id"])
            .order_by(raw_rows.c.id)
        ).all()
        pushed = conn.execute(select(push_ledger).where(push_ledger.c.person_id == person["person_id"])).mappings().all()
        return {
            "email": email,
            "person": {k: person[k] for k in ("person_id", "record", "provenance", "segments", "score", "tier",
                                               "score_breakdown", "created_run_id", "updated_run_id")},
            "rows": [{**_row(conn, r), "match_rule": r.rule, "match_score": r.match_score} for r in rows],
            "pushed": [{"sink": p["sink"], "crm_id": p["crm_id"], "run_id": p["run_id"]} for p in pushed],
        }


def _row(conn, r) -> dict:  # noqa: ANN001
    last = conn.execute(
        select(outcomes.c.outcome, outcomes.c.reason, outcomes.c.run_id)
        .where(outcomes.c.raw_row_id == r.id).order_by(outcomes.c.run_id.desc())
    ).first()
    return {"raw_row_id": r.id, "source": r.source, "file": r.source_file, "row": r.source_row,
            "outcome": last.outcome if last else None, "reason": last.reason if last else None}


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
        lines.append(f"  market: {', '.join(seg.get('markets') or []) or '-'}; seniority: {seg.get('seniority') or '-'}")
        lines.append(f"  score {p['score']} tier {p['tier'] or '-'}:")
        for part in p.get("score_breakdown") or []:
            lines.append(f"    +{part['points']:>3}  {part['rule']}")
        lines.append("  values from: " + ", ".join(f"{k}<-row {v}" for k, v in sorted(p["provenance"].items())))
    lines.append("  source rows:")
    for r in info["rows"]:
        match = f" [{r['match_rule']}]" if r.get("match_rule") else ""
        lines.append(f"    {r['source']}/{r['file']} row {r['row']}{match}: {r['outcome'] or '-'}"
                     f" - {r['reason'] or ''}")
    for push in info.get("pushed", []):
        lines.append(f"  in {push['sink']} CRM as {push['crm_id']} (run {push['run_id']})")
    return "\n".join(lines)
