"""Draw and label the ANZSCO title evaluation sets (tests/data/title_eval/anzsco_*.csv) from the ABS index.

Usage: .venv/bin/python scripts/build_anzsco_title_eval.py ANZSCO_INDEX_XLS
  ANZSCO_INDEX_XLS is "12200 ANZSCO Version 1.2 Index of Principal Titles, Alternative Titles and Specialisations
  v3.xls", the Australian Bureau of Statistics' and Statistics New Zealand's index (ABS cat. no. 1220.0, released
  26 June 2013; Creative Commons Attribution), as copied in the public repository cynthiahqy/example_aus-us-occupn
  (data/external/anzsco/). tests/data/title_eval/anzsco_sources.tsv has the file's sha256, checked here.

The draw (seed 2812; all of it fixed here, before any classifier ran on an ANZSCO title). The whole index is one
FROZEN set, with no development half: after the titles already used elsewhere are left out, the index lists about
420 business-function titles, too few to split and still give a frozen set of 1,000 titles.
1. Every title of the index's Table 2 (code order) gets its occupation's department from the documented mapping
   scripts/anzsco_departments.py; occupations whose titles span departments (MIXED there) are left out, and so
   are the principal titles of "nec" (not elsewhere classified) occupations, which name a category, not a job.
   The index's country tags " (Aus)" and " (NZ)" are dropped; other parentheses are part of the title.
2. Every business-function title is kept (the index lists a handful per occupation); of the `other` titles,
   pooled, a seeded share OTHER_SHARE (random.Random(2812)), so that the trades and professions do not swamp the
   set.
3. A title already in tests/data/job_titles*.csv or in an earlier evaluation set (tests/data/title_eval/onet_*.csv,
   esco_*.csv, noc_*.csv), or earlier in this draw, is left out (case-insensitive, the words as
   build_title_eval._words reads them).
4. Labels: department = the mapping's for the occupation; seniority = the rubric
   (build_title_eval.rubric_seniority) with the hand-checked corrections below. A title listed under occupations of
   two departments is noted in `ambiguous`.
"""

from __future__ import annotations

import csv
import hashlib
import random
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from anzsco_departments import MIXED, department_for_anzsco
from build_title_eval import _SENIORITY_NOTES, _words, labelled_seniority, used_titles

OUT = REPO / "tests" / "data" / "title_eval"
SOURCES = OUT / "anzsco_sources.tsv"  # repository, commit, path and sha256 of the file the draw reads
SEED = 2812
OTHER_SHARE = 0.30
FROZEN = "anzsco_frozen_titles.csv"
SOURCE_NAME = "ANZSCO 1.2 index title"
FIELDS = ("title", "seniority", "department", "language", "source", "anzsco_code", "title_type", "business_function",
          "ambiguous")
_COUNTRY_TAG = re.compile(r"\s*\((?:Aus|NZ)\)")
_ENTRY = re.compile(r"^(?P<title>.+?)\s*\((?P<kind>[PASN])\)$")

# Checked by hand before any classifier ran on the frozen set: where the rubric's words misread an ANZSCO title,
# the label is what the title means, with a note. Regex over the normalised words -> (seniority, note).
_HAND_CHECKED: tuple[tuple[str, str, str], ...] = (
    (r"^(aircraft load|train|events traffic) controller$", "individual",
     "controls loads, trains or traffic, not a budget or a team (rubric word: controller)"),
    (r"^(ship s|tug) master$", "manager",
     "the master of a vessel leads its crew, like the captain of a ship (no rubric word)"),
    (r"^(captain navy|colonel army)$", "director",
     "a rank ANZSCO lists among the defence force senior officers (111212), beside general managers"),
    (r"^hotelier$", "manager", "runs a hotel: an alternative title of Hotel or Motel Manager (no rubric word)"),
    (r"^(polytechnic|university) registrar$", "manager",
     "heads a university's administration: listed under Education Managers (134499) (no rubric word)"),
    (r"^real estate agency licensee$", "director",
     "the New Zealand name of Real Estate Agency Principal (612113), labelled as the rubric reads 'principal'"),
)


def read_titles(path: Path) -> list[tuple[str, str, str]]:
    """[(occupation code, title, kind P/A/S/N)] of the index's Table 2, checked against the manifest (another file
    would draw other titles). Country tags dropped; "nec" principal titles (category names) left out."""
    import xlrd  # a dev dependency: only this script reads .xls

    data = path.read_bytes()
    want = SOURCES.read_text(encoding="utf-8").splitlines()[1].split("\t")[3]
    if hashlib.sha256(data).hexdigest() != want:
        sys.exit(f"{path.name} is not the file named in {SOURCES.name} (sha256 differs)")
    sheet = xlrd.open_workbook(file_contents=data).sheet_by_name("Table 2")
    rows = []
    for i in range(sheet.nrows):
        code, text = sheet.row_values(i)[:2]
        if not isinstance(code, float):
            continue  # headings, the key, the copyright lines
        entry = _ENTRY.match(" ".join(str(text).split()))
        if entry is None:
            raise ValueError(f"row {i + 1} of Table 2 has no (P/A/S/N) kind: {text!r}")
        title = _COUNTRY_TAG.sub("", entry["title"]).strip()
        if entry["kind"] == "P" and title.endswith(" nec"):
            continue
        rows.append((f"{int(code):06d}", title, entry["kind"]))
    return rows


def sample_titles(titles: list[tuple[str, str, str]], rng: random.Random) -> list[tuple[str, str, str]]:
    """The titles that go into the set: every business-function title; of the `other` titles, a share OTHER_SHARE
    (rounded) of them pooled. MIXED occupations are left out."""
    chosen, other_pool = [], []
    for row in sorted(set(titles)):
        dept = department_for_anzsco(row[0])
        if dept == MIXED:
            continue
        (other_pool if dept == "other" else chosen).append(row)
    chosen += rng.sample(other_pool, round(len(other_pool) * OTHER_SHARE))
    return sorted(chosen)


def build_rows(titles: list[tuple[str, str, str]], chosen: list[tuple[str, str, str]], seen: set[str]) -> list[dict]:
    """The labelled rows of the chosen titles; `seen` (normalised titles) grows with every title kept."""
    depts_of_title = defaultdict(set)
    for code, title, _ in titles:
        depts_of_title[_words(title)].add(department_for_anzsco(code))
    rows = []
    for code, title, kind in chosen:
        dept = department_for_anzsco(code)
        key = _words(title)
        if not key or key in seen:
            continue
        seen.add(key)
        others = sorted(depts_of_title[key] - {dept, MIXED})
        notes = [f"also listed under an ANZSCO occupation of {'/'.join(others)}"] if others else []
        level, seniority_notes = labelled_seniority(title, key, _HAND_CHECKED, _SENIORITY_NOTES)
        notes += seniority_notes
        rows.append({"title": title, "seniority": level, "department": dept, "language": "en",
                     "source": SOURCE_NAME, "anzsco_code": code, "title_type": kind,
                     "business_function": "yes" if dept != "other" else "no", "ambiguous": "; ".join(notes)})
    return rows


def draw(titles: list[tuple[str, str, str]]) -> list[dict]:
    """The labelled rows of the frozen set: the whole draw, deterministic for the same file."""
    return build_rows(titles, sample_titles(titles, random.Random(SEED)), used_titles(("onet", "esco", "noc")))


def _write(rows: list[dict]) -> None:
    with (OUT / FROZEN).open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    rows = draw(read_titles(Path(sys.argv[1])))
    _write(rows)
    business = sum(r["business_function"] == "yes" for r in rows)
    print(f"frozen: {len(rows)} titles ({business} business-function), by department "
          f"{dict(sorted(Counter(r['department'] for r in rows).items()))}")


if __name__ == "__main__":
    main()
