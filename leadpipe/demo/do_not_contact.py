"""The demo's do-not-contact list: two unsubscribed people from a vendor list, so the demo shows suppression."""

from __future__ import annotations

import csv
from pathlib import Path


def write_demo_do_not_contact(vendor_file: Path, out: Path) -> None:
    """Write `out` (email, list_reason) with the 4th and 5th emails of the ZoomInfo-format `vendor_file`."""
    with vendor_file.open(encoding="utf-8-sig", newline="") as fh:
        emails = [r["Email Address"] for r in csv.DictReader(fh) if "@" in r["Email Address"]]
    with out.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["email", "list_reason"])
        for e in emails[3:5]:
            w.writerow([e.strip().lower(), "unsubscribed"])
