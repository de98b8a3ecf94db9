"""The demo's CRM feedback file for the local CRM: what a CRM would report back after a push.

Two people from a vendor list: one unsubscribed from all email, one flagged do-not-call, dated the day before
the demo was made, so the default run (local sink) exercises the CRM feedback path end to end.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path


def write_demo_crm_feedback(vendor_file: Path, out: Path, now: datetime | None = None) -> None:
    """Write `out` (crm_id, email, phone, kind, value, changed_at) with the 8th and 9th emails of the
    ZoomInfo-format `vendor_file`: an email opt-out and a do-not-call flag."""
    with vendor_file.open(encoding="utf-8-sig", newline="") as fh:
        emails = [r["Email Address"].strip().lower() for r in csv.DictReader(fh) if "@" in r["Email Address"]]
    when = ((now or datetime.now(UTC)) - timedelta(days=1)).replace(microsecond=0).isoformat()
    with out.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["crm_id", "email", "phone", "kind", "value", "changed_at"])
        for n, (email, kind) in enumerate(zip(emails[7:9], ("email_opt_out", "do_not_call"), strict=False), 1):
            w.writerow([f"local-{n}", email, "", kind, "true", when])
