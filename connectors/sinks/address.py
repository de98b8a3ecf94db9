"""A prospect's postal address in the shape a CRM's standard fields take.

CRMs keep one street field: Salesforce's Lead `Street` is a text area whose lines are the address lines
(line 1, newline, line 2), HubSpot's contact `address` is one line ("Street address"), so line 2 follows
line 1 after a comma there. Our state is an ISO 3166-2 code ("US-CA", "DE-BE"); a CRM's state field holds
the subdivision part ("CA"), which is also what Salesforce's StateCode picklist takes; a subdivision of
another country than the record's is left out rather than shown next to the wrong country.
"""

from __future__ import annotations

__all__ = ["crm_address"]


def crm_address(record: dict, line_separator: str) -> dict:
    """`record` with `street` holding line 1 and line 2 joined, and `state` without its country prefix."""
    line1 = str(record.get("street") or "").strip()
    line2 = str(record.get("address_line2") or "").strip()
    state = str(record.get("state") or "").strip()
    country = str(record.get("country") or "").strip().upper()
    prefix, dash, sub = state.partition("-")
    if not (line2 or dash):
        return record
    out = dict(record)
    if line2:
        out["street"] = f"{line1}{line_separator}{line2}" if line1 else line2
    if dash:
        out["state"] = sub if prefix.upper() == country else ""
    return out
