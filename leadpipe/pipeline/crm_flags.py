"""What the CRMs said about people after earlier pushes: the flags channel readiness and call lists honour.

`crm_flags_for` is the one place the qualify stage and the call lists read them. The CRM feedback pull
(leadpipe.pipeline.crm_feedback: HubSpot unsubscribes and bounces, Salesforce HasOptedOutOfEmail / DoNotCall,
each with its source CRM and date) stores them in the warehouse; a CRM record is a person's when the push
ledger says we pushed it as them, or when it carries their email. Tests may replace this function
(monkeypatch `leadpipe.pipeline.crm_flags.crm_flags_for`), which is why callers call it through the module.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Engine, select

from enrichment.channels import CrmFlag, CrmFlags
from enrichment.suppress import combine_crm_flags
from leadpipe.pipeline.crm_feedback import latest_crm_flags
from leadpipe.store.warehouse import in_chunks, people


def crm_flags_for(engine: Engine, person_ids: Iterable[str]) -> dict[str, CrmFlags]:
    """person_id -> the CRM's flags on that person (email opt-out, hard bounce, do-not-call, each with the CRM
    and the date it was first seen set); people without any flag are left out."""
    wanted = sorted({p for p in person_ids if p})
    if not wanted:
        return {}
    latest = latest_crm_flags(engine)
    if latest.empty:
        return {}
    with engine.connect() as conn:
        emails = {pid: (email or "").strip().lower() for chunk in in_chunks(wanted)
                  for pid, email in conn.execute(select(people.c.person_id, people.c.email)
                                                 .where(people.c.person_id.in_(chunk)))}
    records = latest.astype(object).where(latest.notna(), None).to_dict("records")
    by_pid: dict[str, list[dict]] = {}
    by_email: dict[str, list[dict]] = {}
    for r in records:
        if r["person_id"]:
            by_pid.setdefault(r["person_id"], []).append(r)
        if r["email"]:
            by_email.setdefault(str(r["email"]).strip().lower(), []).append(r)
    out: dict[str, CrmFlags] = {}
    for pid in wanted:
        mine = {(r["crm"], r["crm_id"]): r for r in by_pid.get(pid, []) + by_email.get(emails.get(pid, ""), [])}
        flags = from_feedback(combine_crm_flags(mine.values(), [])) if mine else None
        if flags is not None:
            out[pid] = flags
    return out


def from_feedback(combined: dict | None) -> CrmFlags | None:
    """The channel flags of one person's combined CRM feedback (enrichment.suppress.combine_crm_flags)."""
    if not combined:
        return None

    def flag(kind: str) -> CrmFlag | None:
        f = combined.get(kind)
        return CrmFlag(f["crm"], datetime.fromisoformat(f["at"]) if f.get("at") else None) if f else None

    flags = CrmFlags(email_opted_out=flag("email_opt_out"), email_hard_bounced=flag("email_hard_bounce"),
                     do_not_call=flag("do_not_call"))
    return flags if (flags.email_opted_out or flags.email_hard_bounced or flags.do_not_call) else None
