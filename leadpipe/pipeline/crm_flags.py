"""What the CRMs said about people after earlier pushes: the flags channel readiness and call lists honour.

`crm_flags_for` is the one place the qualify stage and the call lists read them. The CRM feedback pull
(leadpipe.pipeline.crm_feedback: HubSpot unsubscribes and bounces, Salesforce HasOptedOutOfEmail / DoNotCall,
each with its source CRM and date) stores them in the warehouse; a CRM record is a person's when the push
ledger says we pushed it as them, or when it carries their email. Tests may replace this function
(monkeypatch `leadpipe.pipeline.crm_flags.crm_flags_for`), which is why callers call it through the module.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
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
    index = FeedbackIndex.read(engine)
    if index is None:
        return {}
    with engine.connect() as conn:
        emails = {pid: email for chunk in in_chunks(wanted)
                  for pid, email in conn.execute(select(people.c.person_id, people.c.email)
                                                 .where(people.c.person_id.in_(chunk)))}
    out: dict[str, CrmFlags] = {}
    for pid in wanted:
        mine = index.records_of(pid, emails.get(pid))
        flags = from_feedback(combine_crm_flags(mine, [])) if mine else None
        if flags is not None:
            out[pid] = flags
    return out


@dataclass(frozen=True)
class FeedbackIndex:
    """The CRM records (rows of `latest_crm_flags`) by our person id (push ledger) and by email (any case)."""

    by_person: dict[str, list[dict]]
    by_email: dict[str, list[dict]]

    @classmethod
    def read(cls, engine: Engine) -> FeedbackIndex | None:
        """None when no CRM reported anything."""
        latest = latest_crm_flags(engine)
        if latest.empty:
            return None
        index = cls({}, {})
        for r in latest.astype(object).where(latest.notna(), None).to_dict("records"):
            if r["person_id"]:
                index.by_person.setdefault(r["person_id"], []).append(r)
            if r["email"]:
                index.by_email.setdefault(str(r["email"]).strip().lower(), []).append(r)
        return index

    def records_of(self, person_id: str, email: object) -> list[dict]:
        """The person's CRM records, each once: pushed as them, or carrying their email."""
        key = str(email).strip().lower() if email else ""
        mine = {(r["crm"], r["crm_id"]): r for r in self.by_person.get(person_id, []) + self.by_email.get(key, [])}
        return list(mine.values())


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
