"""Reading the compliance and routing files the config names: do-not-contact lists, the DNC registry
extract, account owners. The rules that use them (enrichment.suppress, enrichment.routing) take the parsed
data, so they never touch a file; a missing file is an error naming it, because running without a list
would contact people who asked not to be.
"""

from __future__ import annotations

import csv
from pathlib import Path

from enrichment.routing import AccountOwnersError, add_account_owners
from enrichment.suppress import SuppressionListError, SuppressionLists, add_list, parse_dnc_registry


def load_lists(paths: list[Path]) -> SuppressionLists:
    """The do-not-contact lists (CSV), in order; each file's name is the reason shown."""
    lists = SuppressionLists()
    for path in paths:
        if not path.exists():
            raise SuppressionListError(f"do-not-contact file not found: {path}")
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            add_list(lists, path.name, list(reader.fieldnames or []), reader)
    return lists


def load_dnc_registry(path: Path, country_code: str = "1") -> set[str]:
    """The numbers of a national Do-Not-Call registry extract (see enrichment.suppress.parse_dnc_registry)."""
    if not path.exists():
        raise SuppressionListError(f"Do-Not-Call registry extract not found: {path}")
    with path.open(encoding="utf-8-sig") as fh:
        return parse_dnc_registry(path.name, fh, country_code)


def load_account_owners(paths: list[Path]) -> dict[str, str]:
    """domain -> owner from the CRM's account exports; the first file naming a domain wins."""
    owners: dict[str, str] = {}
    for path in paths:
        if not path.exists():
            raise AccountOwnersError(f"account owners file not found: {path}")
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            add_account_owners(owners, path.name, list(reader.fieldnames or []), reader)
    return owners
