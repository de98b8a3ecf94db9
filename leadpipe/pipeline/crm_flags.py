"""What the CRMs said about people after earlier pushes: the flags channel readiness and call lists honour.

`crm_flags_for` is the one place the qualify stage and the call lists read them. The CRM feedback pull
(HubSpot unsubscribes and bounces, Salesforce HasOptedOutOfEmail / DoNotCall, each with its source CRM and
date) stores them in the warehouse; until that table is wired in here, nobody has flags and this answers
"no flags" for everyone. Tests replace it (monkeypatch `leadpipe.pipeline.crm_flags.crm_flags_for`), which
is why callers call it through the module.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Engine

from enrichment.channels import CrmFlags


def crm_flags_for(engine: Engine, person_ids: Iterable[str]) -> dict[str, CrmFlags]:
    """person_id -> the CRM's flags on that person; people without any flag are left out.

    To wire the feedback table in: select the newest email opt-out, hard bounce and do-not-call per person
    (with the CRM's name and the date it set the flag) and return `CrmFlags(email_opted_out=CrmFlag(source,
    on), ...)` for each person that has one.
    """
    del engine, person_ids  # no feedback table yet: nobody has flags
    return {}
