"""Draw and label the NOC title evaluation sets (tests/data/title_eval/noc_*.csv) from Canada's NOC 2021 V1.0.

Usage: .venv/bin/python scripts/build_noc_title_eval.py NOC_KEYWORDS_JS
  NOC_KEYWORDS_JS is versions/noc5-bilingual-keywords/noc2021_bilingual_keywords.js of the public repository
  zacktayloruwo/occupation-qualtrics-bilingual: the English and French example titles ("Illustrative example(s)"
  and "All examples") of the 516 unit groups of Statistics Canada's NOC 2021 Version 1.0 (Open Government
  Licence - Canada), first letter upper-cased and double quotes made single by that repository's R script
  (noc_process_keywords.R). tests/data/title_eval/noc_sources.tsv has the file's sha256, checked here.

The draw (seed 2712; all of it fixed here, before any classifier ran on a NOC title):
1. Every unit group gets a department from the documented mapping scripts/noc_departments.py; groups whose example
   titles span departments (MIXED there) are left out.
2. The unit groups of each department are split by a seeded draw (random.Random(2712)): half of them (rounded up,
   at least 1) are FROZEN, the rest DEVELOPMENT.
3. Within a drawn business-function group, at most TITLES_PER_GROUP English titles are sampled (same generator);
   of the `other` groups, pooled, a seeded share OTHER_SHARE, so that no group and no department swamps the set.
4. A title already in tests/data/job_titles*.csv or in an earlier evaluation set (tests/data/title_eval/onet_*.csv,
   esco_*.csv), or earlier in this draw (the frozen half is written first), is left out (case-insensitive, the
   words as build_title_eval._words reads them). English only: the seniority rubric reads English words.
5. Labels: department = the mapping's for the unit group; seniority = the rubric (build_title_eval.rubric_seniority)
   with the hand-checked corrections below. A title listed under unit groups of two departments is noted in
   `ambiguous`.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import random
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from build_title_eval import _SENIORITY_NOTES, _words, labelled_seniority, used_titles
from noc_departments import MIXED, department_for_noc

OUT = REPO / "tests" / "data" / "title_eval"
SOURCES = OUT / "noc_sources.tsv"  # repository, commit, path and sha256 of the file the draw reads
SEED = 2712
TITLES_PER_GROUP = 25
OTHER_SHARE = 0.035
FROZEN = ("noc_frozen_titles.csv", "noc_frozen_groups.txt")
DEV = ("noc_dev_titles.csv", "noc_dev_groups.txt")
SOURCE_NAME = "NOC 2021 V1.0 example title"
FIELDS = ("title", "seniority", "department", "language", "source", "noc_code", "business_function", "ambiguous")

# Checked by hand before any classifier ran on the frozen set: where the rubric's words misread a NOC title, the
# label is what the title means, with a note. Regex over the normalised words -> (seniority, note).
_HAND_CHECKED: tuple[tuple[str, str, str], ...] = (
    (r"^head office ", "individual", "works at a head office, heads nothing (rubric word: head)"),
    (r"^cross head operator\b", "individual", "operates a cross head, a machine part (rubric word: head)"),
    (r"\b(food|liquor|network|nucleonic) controller\b|\bair traffic controller$", "individual",
     "controls stock, a network or traffic, not a budget (rubric word: controller)"),
    (r"^student placement officer$", "individual", "places students (rubric word: student)"),
    (r"^college principal\b", "director", "the principal heads a school (rubric: only a final 'principal')"),
    (r"\bchief (substation )?operator$", "manager",
     "leads a station's operators on shift, like a crew chief (rubric word: chief)"),
    (r"^(port|shore|dredge|riverboat) captain$|^offshore rig commanding officer$", "manager",
     "the master of a vessel or rig leads its crew, like the captain of a ship (no rubric word)"),
    (r"^postmaster mistress$", "manager", "a postmaster runs a post office (no rubric word)"),
)
_NOC_NOTES: tuple[tuple[str, str], ...] = ()


def read_titles(path: Path) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """({unit group: English name}, [(unit group, English title)]) of the keywords file, checked against the
    manifest (another file would draw other titles)."""
    data = path.read_bytes()
    want = SOURCES.read_text(encoding="utf-8").splitlines()[1].split("\t")[3]
    if hashlib.sha256(data).hexdigest() != want:
        sys.exit(f"{path.name} is not the file named in {SOURCES.name} (sha256 differs)")
    text = data.decode("utf-8")
    doc = json.loads(text[text.index("{"):text.rindex("}") + 1])
    names = {code: v["EN"] for code, v in doc["categories"].items()}
    return names, [(row["code"], " ".join(row["label"].split())) for row in doc["EN"]]


def split_groups(names: dict[str, str], seed: int = SEED) -> tuple[list[str], list[str], random.Random]:
    """The frozen and development unit groups (sorted), and the generator, positioned for the title sample."""
    dept_groups = defaultdict(list)
    for code in sorted(names):
        dept = department_for_noc(code)
        if dept != MIXED:
            dept_groups[dept].append(code)
    rng = random.Random(seed)
    frozen = []
    for dept in sorted(dept_groups):
        groups = dept_groups[dept]
        frozen += rng.sample(groups, max(1, math.ceil(len(groups) / 2)))
    kept = {g for gs in dept_groups.values() for g in gs}
    return sorted(frozen), sorted(kept - set(frozen)), rng


def sample_titles(titles: list[tuple[str, str]], groups: list[str], rng: random.Random) -> list[tuple[str, str]]:
    """The (group, title) pairs of `groups` that go into a set: at most TITLES_PER_GROUP per business-function
    group; of the `other` groups, a share OTHER_SHARE (rounded) of their pooled titles."""
    by_group = defaultdict(list)
    for code, title in titles:
        by_group[code].append((code, title))
    chosen, other_pool = [], []
    for group in groups:
        rows = sorted(set(by_group[group]))
        if department_for_noc(group) == "other":
            other_pool += rows
            continue
        chosen += rows if len(rows) <= TITLES_PER_GROUP else rng.sample(rows, TITLES_PER_GROUP)
    chosen += rng.sample(other_pool, round(len(other_pool) * OTHER_SHARE))
    return sorted(chosen)


def build_rows(titles: list[tuple[str, str]], chosen: list[tuple[str, str]], seen: set[str]) -> list[dict]:
    """The labelled rows of the chosen titles; `seen` (normalised titles) grows with every title kept."""
    depts_of_title = defaultdict(set)
    for code, title in titles:
        depts_of_title[_words(title)].add(department_for_noc(code))
    rows = []
    for code, title in chosen:
        dept = department_for_noc(code)
        key = _words(title)
        if not key or key in seen:
            continue
        seen.add(key)
        others = sorted(depts_of_title[key] - {dept})
        notes = [f"also listed under a NOC unit group of {'/'.join(others)}"] if others else []
        level, seniority_notes = labelled_seniority(title, key, _HAND_CHECKED, _SENIORITY_NOTES + _NOC_NOTES)
        notes += seniority_notes
        rows.append({"title": title, "seniority": level, "department": dept, "language": "en",
                     "source": SOURCE_NAME, "noc_code": code,
                     "business_function": "yes" if dept != "other" else "no", "ambiguous": "; ".join(notes)})
    return rows


def draw(names: dict[str, str], titles: list[tuple[str, str]]) -> dict[str, tuple[list[str], list[dict]]]:
    """{"frozen": (unit groups, rows), "dev": (...)}: the whole draw, deterministic for the same file."""
    frozen_groups, dev_groups, rng = split_groups(names)
    frozen_pick = sample_titles(titles, frozen_groups, rng)
    dev_pick = sample_titles(titles, dev_groups, rng)
    seen = used_titles(("onet", "esco"))
    return {"frozen": (frozen_groups, build_rows(titles, frozen_pick, seen)),
            "dev": (dev_groups, build_rows(titles, dev_pick, seen))}


def _write(names: dict[str, str], groups: list[str], rows: list[dict], files: tuple[str, str], role: str) -> None:
    with (OUT / files[0]).open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    (OUT / files[1]).write_text(
        f"# NOC 2021 unit groups of the NOC {role} set (seed {SEED}, scripts/build_noc_title_eval.py); department\n"
        + "".join(f"{g}\t{department_for_noc(g)}\t{names[g]}\n" for g in groups), encoding="utf-8")


def main() -> None:
    names, titles = read_titles(Path(sys.argv[1]))
    result = draw(names, titles)
    for role, files in (("frozen", FROZEN), ("dev", DEV)):
        groups, rows = result[role]
        _write(names, groups, rows, files, role)
        business = sum(r["business_function"] == "yes" for r in rows)
        print(f"{role}: {len(groups)} unit groups, {len(rows)} titles ({business} business-function)")


if __name__ == "__main__":
    main()
