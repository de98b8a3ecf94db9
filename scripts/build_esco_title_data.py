"""Derive the ESCO part of the title lookup and of the model's training data from ESCO v1.1.1.

Usage: .venv/bin/python scripts/build_esco_title_data.py ESCO      (then: make title-model)
  ESCO is the official download "ESCO dataset - v1.1.1 - classification - en - csv.zip" (or a folder holding its
  occupations_en.csv), from the public repository tabiya-tech/tabiya-esco-datasets-and-tools, path
  datasets/esco/v1.1.1/classification/ (commit 1cd5a780; tests/data/title_eval/esco_sources.tsv has the sha256, and
  another file is refused, as by the evaluation draw).

Writes, deterministically (sorted, no timestamps), enrichment/data/esco_titles.csv: title, code (the ESCO
occupation), isco_group, department (by the documented mapping scripts/isco_departments.py), source (preferred /
alternative label) for every occupation of the ISCO-08 unit groups of both halves of the ESCO evaluation draw
(tests/data/title_eval/esco_dev_isco_groups.txt and, since the fifth round, esco_frozen_isco_groups.txt: the ESCO
frozen set was measured before and after the fourth round and is spent; the fourth round used the development half
only). The build stops if a unit group is in both halves, and drops every title of the sets that are still held out
or regression sets (the ANZSCO frozen set, the O*NET evaluation sets; compared normalised).

ESCO v1.1.1, © European Union, CC BY 4.0 (Commission Decision C(2019)1655). "This service uses the ESCO
classification of the European Commission."
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from build_esco_title_eval import labels, read_occupations
from isco_departments import department_for_isco
from title_set_files import HELD_OUT_SETS, groups, set_titles

from enrichment.title_text import normalise_title

DATA = REPO / "enrichment" / "data"
OUT = DATA / "esco_titles.csv"
EVAL = REPO / "tests" / "data" / "title_eval"
DEV_GROUPS = EVAL / "esco_dev_isco_groups.txt"
FROZEN_GROUPS = EVAL / "esco_frozen_isco_groups.txt"
FROZEN_TITLES = EVAL / "esco_frozen_titles.csv"
FIELDS = ("title", "code", "isco_group", "department", "source")


def build(occupations: list[dict]) -> list[dict]:
    dev, frozen = groups(DEV_GROUPS), groups(FROZEN_GROUPS)
    if dev & frozen:
        sys.exit(f"unit groups in both halves: {sorted(dev & frozen)}")
    with FROZEN_TITLES.open(encoding="utf-8", newline="") as fh:
        frozen_codes = {r["isco_code"] for r in csv.DictReader(fh)}
    if not frozen_codes <= frozen:
        sys.exit(f"{FROZEN_GROUPS.name} does not list every unit group of {FROZEN_TITLES.name}")
    skip = set_titles(HELD_OUT_SETS)
    rows: dict[tuple[str, str], dict] = {}
    for occ in occupations:
        group = occ["iscoGroup"]
        if group not in dev | frozen:
            continue
        for title, source in labels(occ):
            key = normalise_title(title)
            if key and key not in skip and (key, occ["code"]) not in rows:
                rows[(key, occ["code"])] = {"title": title, "code": occ["code"], "isco_group": group,
                                            "department": department_for_isco(occ["code"]),
                                            "source": source.removeprefix("ESCO v1.1.1 ").removesuffix(" label")}
    return sorted(rows.values(), key=lambda r: ([int(p) for p in r["code"].split(".")], r["source"] != "preferred",
                                                r["title"]))


def main() -> None:
    rows = build(read_occupations(Path(sys.argv[1])))
    with OUT.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} titles of {len({r['code'] for r in rows})} ESCO occupations in "
          f"{len({r['isco_group'] for r in rows})} ISCO-08 unit groups (both halves) -> "
          f"{OUT.relative_to(REPO)}")


if __name__ == "__main__":
    main()
