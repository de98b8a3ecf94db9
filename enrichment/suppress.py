"""Suppression: who must not be contacted, whatever their score.

Checked before any push. Do-not-contact lists are CSV files with an `email`, `domain` or `phone` column
(unsubscribes, bounces, customers, competitors); each hit names the list it came from.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path


class SuppressionListError(ValueError):
    pass


@dataclass
class SuppressionLists:
    emails: dict[str, str] = field(default_factory=dict)  # value -> list name
    domains: dict[str, str] = field(default_factory=dict)
    phones: dict[str, str] = field(default_factory=dict)


def load_lists(paths: list[Path]) -> SuppressionLists:
    lists = SuppressionLists()
    for path in paths:
        if not path.exists():
            raise SuppressionListError(f"do-not-contact file not found: {path}")
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            cols = {c.strip().lower(): c for c in (reader.fieldnames or [])}
            if not {"email", "domain", "phone"} & cols.keys():
                raise SuppressionListError(f"{path.name}: needs an 'email', 'domain' or 'phone' column")
            for row in reader:
                for key, target in (("email", lists.emails), ("domain", lists.domains), ("phone", lists.phones)):
                    value = (row.get(cols.get(key, ""), "") or "").strip().lower()
                    if value:
                        target.setdefault(value, path.name)
    return lists


def suppression_reason(record: dict, flags: dict, lists: SuppressionLists, *, role: bool, disposable: bool,
                       require_form_consent: bool) -> str | None:
    """Why this person must not be contacted, or None."""
    email = (record.get("email") or "").lower()
    domain = (record.get("domain") or "").lower()
    phone = record.get("phone") or ""
    if email and email in lists.emails:
        return f"email on do-not-contact list {lists.emails[email]}"
    email_domain = email.rsplit("@", 1)[-1] if "@" in email else ""
    for d in (domain, email_domain):
        if d and d in lists.domains:
            return f"domain {d} on do-not-contact list {lists.domains[d]}"
    if phone and phone.lower() in lists.phones:
        return f"phone on do-not-contact list {lists.phones[phone.lower()]}"
    if role and flags.get("email_role"):
        return "role address (info@, sales@ ...): not a person"
    if disposable and flags.get("email_disposable"):
        return "disposable email address"
    if require_form_consent and flags.get("from_form") and record.get("email_consent") is not True:
        return "web form lead without email consent"
    return None
