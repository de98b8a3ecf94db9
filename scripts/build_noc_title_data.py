"""Derive the NOC part of the title lookup and of the model's training data from NOC 2021 V1.0.

Usage: .venv/bin/python scripts/build_noc_title_data.py NOC_KEYWORDS_JS      (then: make title-model)
  NOC_KEYWORDS_JS is the file the evaluation draw reads (scripts/build_noc_title_eval.py; its sha256 is in
  tests/data/title_eval/noc_sources.tsv, another file is refused).

Writes, deterministically (sorted), enrichment/data/noc_titles.csv: title, noc_code, department (by the documented
mapping scripts/noc_departments.py) for every English example title of the unit groups of both halves of the NOC
evaluation draw (tests/data/title_eval/noc_dev_groups.txt and, since the sixth round, noc_frozen_groups.txt: the NOC
frozen set was measured before and after the fifth round and is spent; the fifth round used the development half
only). The build stops if a unit group is in both halves, and drops every title of the sets that are still held out
or regression sets (the ANZSCO frozen set, the O*NET evaluation sets; compared normalised). Groups the mapping calls
MIXED are in neither half and are not used.

Contains information licensed under the Open Government Licence - Canada (Statistics Canada, NOC 2021 V1.0).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from build_noc_title_eval import read_titles
from noc_departments import MIXED, department_for_noc
from title_set_files import HELD_OUT_SETS, groups, set_titles

from enrichment.title_text import normalise_title

OUT = REPO / "enrichment" / "data" / "noc_titles.csv"
EVAL = REPO / "tests" / "data" / "title_eval"
DEV_GROUPS = EVAL / "noc_dev_groups.txt"
FROZEN_GROUPS = EVAL / "noc_frozen_groups.txt"
FIELDS = ("title", "noc_code", "department")


def build(titles: list[tuple[str, str]]) -> list[dict]:
    dev, frozen = groups(DEV_GROUPS), groups(FROZEN_GROUPS)
    if dev & frozen:
        sys.exit(f"unit groups in both halves: {sorted(dev & frozen)}")
    skip = set_titles(HELD_OUT_SETS)
    rows: dict[tuple[str, str], dict] = {}
    for code, title in titles:
        if code not in dev | frozen or department_for_noc(code) == MIXED:
            continue
        key = normalise_title(title)
        if key and key not in skip and (key, code) not in rows:
            rows[(key, code)] = {"title": title, "noc_code": code, "department": department_for_noc(code)}
    return sorted(rows.values(), key=lambda r: (r["noc_code"], r["title"]))


def main() -> None:
    _, titles = read_titles(Path(sys.argv[1]))
    rows = build(titles)
    with OUT.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} titles of {len({r['noc_code'] for r in rows})} NOC 2021 unit groups (both halves)"
          f" -> {OUT.relative_to(REPO)}")


if __name__ == "__main__":
    main()
