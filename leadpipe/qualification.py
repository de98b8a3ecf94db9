"""The qualify stage: segment, classify, score, check compliance and route every resolved person.

Reads resolved.parquet, writes prospects.parquet (only people who may be contacted and qualify), records
a `suppressed` or `disqualified` outcome with its reason for everyone else, and stores the decision on the
person (segments, persona, score breakdown, compliance verdict, owner) for `leadpipe explain` and audits.
People erased earlier (a tombstone matches) are suppressed and erased again, so a re-bought list cannot
bring their data back into the warehouse.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import bindparam, func, select, update

from leadpipe import ledger
from leadpipe.config import Config
from leadpipe.ledger import Outcome
from leadpipe.warehouse import engine_for, in_chunks, people, suppression_entries

log = logging.getLogger("leadpipe")
NEW_COLUMNS = ["market", "markets", "seniority", "department", "persona", "score", "fit_score", "intent_score",
               "tier", "lawful_basis", "consent_evidence", "lia_ref", "dnc_status", "dnc_checked_at",
               "phone_withheld", "owner", "owner_reason"]


def _captured_at(value: object) -> datetime | None:
    if value is None:
        return None
    ts = pd.to_datetime(value, errors="coerce", utc=True)
    return None if pd.isna(ts) else ts.to_pydatetime()


def qualify(cfg: Config, run_id: str, path: str | None) -> str | None:
    from enrichment.normalise import normalise_email
    from enrichment.personas import classify_title, persona_for
    from enrichment.score import LeadFacts, score_lead
    from enrichment.segment import markets_for
    from enrichment.suppress import decide, load_dnc_registry, load_lists
    from leadpipe.forget import forget, scrub_run_files
    from leadpipe.stages import _missing, _to_parquet, run_dir, timed

    if path is None:
        return None
    engine = engine_for(cfg.warehouse_url)
    now = datetime.now(UTC)
    with timed(cfg, run_id, "qualify"):
        df = pd.read_parquet(path)
        sup = cfg.suppression
        lists = load_lists([cfg.resolve(p) for p in sup.do_not_contact_files])
        with engine.connect() as conn:
            lists.tombstones = {r[0] for r in conn.execute(select(suppression_entries.c.value_hash))}
        registry = None
        if sup.national_dnc_registry is not None:
            registry = load_dnc_registry(cfg.resolve(sup.national_dnc_registry.path),
                                         sup.national_dnc_registry.country_code)
        outcomes: list[Outcome] = []
        keep: list[dict] = []
        updates: dict[str, dict] = {}
        to_erase: list[str] = []
        for rec in df.to_dict("records"):
            rec = {k: (None if _missing(v) else v) for k, v in rec.items()}
            pid = rec["person_id"]
            email = normalise_email(rec.get("email"))
            title = classify_title(rec.get("job_title"))
            persona = persona_for(title.seniority, title.department, cfg.personas) if title.seniority else None
            employees = int(rec["employees"]) if rec.get("employees") is not None else None
            revenue = rec.get("annual_revenue")
            markets = markets_for(rec.get("country"), rec.get("industry"), employees, cfg.markets,
                                  region=rec.get("state"), revenue=float(revenue) if revenue is not None else None)
            facts = LeadFacts(
                markets=markets, seniority=title.seniority, persona=persona, employees=employees,
                has_work_email=bool(rec.get("email")) and not email.free, has_phone=bool(rec.get("phone")),
                filled=frozenset(k for k, v in rec.items() if v not in (None, "")),
                from_form=bool(rec.get("from_form")), source=rec.get("lead_source"),
                captured_at=_captured_at(rec.get("submitted_at")),
            )
            score = score_lead(facts, cfg.scoring, now)
            flags = {"email_role": email.role, "email_disposable": email.disposable, "from_form": rec.get("from_form")}
            verdict = decide(rec, flags, lists, sup, registry=registry, today=now.date())
            rec.update(
                market=markets[0] if markets else None, markets=", ".join(markets) or None,
                seniority=title.seniority or None, department=title.department or None, persona=persona,
                score=score.total, fit_score=score.fit, intent_score=score.intent, tier=score.tier or None,
                lawful_basis=verdict.lawful_basis, consent_evidence=verdict.consent_evidence,
                lia_ref=verdict.lia_ref, dnc_status=verdict.dnc_status,
                dnc_checked_at=verdict.dnc_checked_at.isoformat() if verdict.dnc_checked_at else None,
                phone_withheld=verdict.phone_note,
            )
            if rec.get("phone") and not verdict.phone_callable:
                rec["phone"] = None  # never leaves the warehouse for calling
            compliance = {
                "suppressed": verdict.suppressed, "lawful_basis": verdict.lawful_basis,
                "consent_evidence": verdict.consent_evidence, "lia_ref": verdict.lia_ref,
                "is_role_based": bool(email.role), "is_disposable": bool(email.disposable),
                "dnc_status": verdict.dnc_status, "dnc_checked_at": rec["dnc_checked_at"],
                "phone_callable": verdict.phone_callable, "phone_note": verdict.phone_note,
                "checked_at": now.isoformat(),
            }
            updates[pid] = {"person_id": pid, "score": score.total, "tier": score.tier or None,
                            "segments": {"markets": markets, "seniority": title.seniority,
                                         "department": title.department, "persona": persona,
                                         "title_method": title.method},
                            "score_breakdown": {"fit": score.fit, "intent": score.intent, "parts": score.breakdown},
                            "persona": persona, "department": title.department or None, "owner": None,
                            "compliance": compliance}
            if verdict.suppressed:
                outcomes.append(Outcome(rec["primary_raw_row_id"], "suppressed", verdict.suppressed, pid))
                if verdict.suppressed.startswith("erased on request") and rec.get("email"):
                    to_erase.append(rec["email"])
            elif not score.qualified:
                parts = ", ".join(f"{p['rule']} +{p['points']}" for p in score.breakdown) or "no points"
                outcomes.append(Outcome(rec["primary_raw_row_id"], "disqualified",
                                        f"score {score.total} below {cfg.scoring.qualify_at} ({parts})", pid))
            elif not rec.get("email"):
                outcomes.append(Outcome(rec["primary_raw_row_id"], "disqualified", "no usable email address", pid))
            else:
                keep.append(rec)
        _route(engine, cfg, keep, updates)
        _store(engine, list(updates.values()))
        ledger.record_outcomes(engine, run_id, outcomes)
        for address in to_erase:  # re-bought after an erasure: take their data out again, files too
            forget(engine, address, reason="re-bought after erasure")
            scrub_run_files(run_dir(cfg, run_id), address)
        out = run_dir(cfg, run_id) / "prospects.parquet"
        columns = list(dict.fromkeys(list(df.columns) + NEW_COLUMNS))
        _to_parquet(pd.DataFrame(keep, columns=columns), out)
        log.info("qualify: %d people, %d prospects, %d suppressed (%d erased people re-bought), %d disqualified",
                 len(df), len(keep), sum(o.outcome == "suppressed" for o in outcomes), len(to_erase),
                 sum(o.outcome == "disqualified" for o in outcomes))
        return str(out)


def _route(engine, cfg: Config, keep: list[dict], updates: dict[str, dict]) -> None:
    from enrichment.routing import assign_owners, load_account_owners

    routing = cfg.routing
    if not keep or not (routing.teams or routing.account_owners_files):
        return
    account_owners = load_account_owners([cfg.resolve(p) for p in routing.account_owners_files])
    pids = [r["person_id"] for r in keep]
    with engine.connect() as conn:
        current: dict[str, str] = {}
        for chunk in in_chunks(pids):
            current.update(conn.execute(select(people.c.person_id, people.c.owner).where(
                people.c.person_id.in_(chunk), people.c.owner.is_not(None))).all())
        per_owner = dict(conn.execute(select(people.c.owner, func.count()).where(people.c.owner.is_not(None))
                                      .group_by(people.c.owner)).all())
    so_far = {team: sum(per_owner.get(o, 0) for o in owners) for team, owners in routing.teams.items()}
    assigned = assign_owners(keep, routing, account_owners, current, so_far)
    for rec in keep:
        a = assigned[rec["person_id"]]
        rec.update(owner=a.owner, owner_reason=a.reason)
        updates[rec["person_id"]]["owner"] = a.owner


def _store(engine, updates: list[dict]) -> None:
    if not updates:
        return
    cols = ("segments", "score", "tier", "score_breakdown", "persona", "department", "owner", "compliance")
    stmt = update(people).where(people.c.person_id == bindparam("pid")).values({c: bindparam(f"b_{c}") for c in cols})
    with engine.begin() as conn:
        for chunk in in_chunks(updates):
            conn.execute(stmt, [{**{f"b_{c}": u[c] for c in cols}, "pid": u["person_id"]} for u in chunk])
