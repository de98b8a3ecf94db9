"""Draw and label the frozen title evaluation set (tests/data/title_eval/) from the O*NET 27.0 text files.

Usage: .venv/bin/python scripts/build_title_eval.py ONET_DIR
  ONET_DIR holds "Sample of Reported Titles.txt" and "Occupation Data.txt" of the O*NET 27.0 database
  (CC BY 4.0, USDOL/ETA), e.g. from the public repository ripl-org/sockit-data, public-data/onet_db_27_0_text/.

Whole O*NET-SOC codes are held out: a seeded random draw (seed 18, the issue number) of 35% (at least 2) of the codes of every
business department and 12% of the `other` codes, among the codes whose reported titles the project had not
used before (group 11 and 15-12xx were the old hold-out set the rules were tuned on). Every reported title of a
drawn code is in the set, minus titles already in tests/data/job_titles*.csv. Department = the documented
SOC mapping (scripts/onet_departments.py); seniority = the rubric below, written before any classifier ran on
these titles. The classifier's rules, lookup and model never read this file; the model's training data
excludes the drawn codes and every title in this file.
"""

from __future__ import annotations

import csv
import math
import random
import re
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from onet_departments import department_for_soc

OUT = REPO / "tests" / "data" / "title_eval"
SEED = 18
SHARE = {"other": 0.12}  # every business department: 0.35, at least 2 codes
ALREADY_USED = ("11-", "15-12")  # their reported titles are in job_titles_holdout.csv


def _words(title: str) -> str:
    text = unicodedata.normalize("NFKD", title.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.findall(r"[a-z0-9]+", text.replace("v.p.", "vp")))


# The seniority rubric (tests/data/job_titles.README.md, made explicit for trades and public service in
# docs/title-classification.md), highest level named wins except that entry words win over everything.
_RUBRIC: tuple[tuple[str, str], ...] = (
    ("entry", r"\b(intern|internship|trainee|junior|jr|apprentice|student|entry level)\b"),
    ("entry", r"\bassistant (to|of)\b"),
    ("owner", r"\b(co ?founder|founder|owner|proprietor|managing partner)\b|^partner$"),
    ("c_level", (r"\bchief\b.*\bofficer\b|\bchief executive\b|(?<!vice )\bpresident\b|\bchair(man|woman|person)?\b"
                r"|\bmanaging director\b|(?<!associate )(?<!assistant )(?<!deputy )\bgeneral counsel\b"
                r"|\bboard (member|of directors|of trustees)\b|\btrustee\b|\bceo\b|\bcfo\b|\bcoo\b|\bcto\b")),
    ("vp", r"\bvice president\b|\bvp\b"),
    ("director", (r"\bdirector\b|\bhead of\b|\bhead$|\bdepartment head\b|\bchief\b|\bdean\b|\bprovost\b"
                  r"|\btreasurer\b|\bprincipal$")),
    ("manager", (r"\bmanager\b|\bsupervisor\b|\bsuperintendent\b|\bforem[ae]n\b|\bforewom[ae]n\b|\bforeperson\b"
                r"|\bteam lead(er)?\b|\bcrew lead(er)?\b|\bleader\b|\bcontroller\b|\bgm\b|\bhead\b"
                r"|\bassistant (manager|director)\b")),
    ("senior", r"\bsenior\b|\bsr\b|\bstaff (engineer|scientist|accountant)\b|\bprincipal\b|\blead\b|\barchitect\b"),
    ("entry", r"\bassistant\b|\breceptionist\b|\bclerk\b|\baide\b|\bhelper\b"),
)
_RUBRIC_RX = tuple((level, re.compile(rx)) for level, rx in _RUBRIC)


def rubric_seniority(title: str) -> str:
    """The rubric's level: the first rule (in the order above) whose words the title contains."""
    text = _words(title)
    return next((level for level, rx in _RUBRIC_RX if rx.search(text)), "individual")


# Titles whose rubric level is the words' reading, though the job may not be that level: kept, with a note.
_SENIORITY_NOTES = (
    (r"\bcase manager\b", "a case manager manages cases, not people (rubric: any '... manager')"),
    (r"\bfuneral (arrangement )?director\b", "a funeral director is a profession, not a level"),
    (r"\bassistant professor\b", "an academic rank, not an assistant (rubric: 'assistant' is entry)"),
    (r"\b(art|creative|technical|casting|artistic|music) director\b", "a craft title in media and the arts"),
    (r"\blaw clerk\b", "a judicial clerkship: entry level for lawyers"),
)


def main() -> None:
    onet = Path(sys.argv[1])
    reported = defaultdict(list)
    with (onet / "Sample of Reported Titles.txt").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            reported[row["O*NET-SOC Code"]].append(row["Reported Job Title"].strip())
    seen = set()
    for name in ("job_titles.csv", "job_titles_holdout.csv"):
        with (REPO / "tests" / "data" / name).open(encoding="utf-8", newline="") as fh:
            seen |= {_words(r["title"]) for r in csv.DictReader(fh)}
    by_dept = defaultdict(list)
    for code in sorted(reported):
        if not code.startswith(ALREADY_USED):
            by_dept[department_for_soc(code)].append(code)
    rng = random.Random(SEED)
    drawn = []
    for dept in sorted(by_dept):
        codes = by_dept[dept]
        k = min(len(codes), max(2, math.ceil(len(codes) * SHARE.get(dept, 0.35))))
        drawn += rng.sample(codes, k)
    drawn.sort()
    depts_of_title = defaultdict(set)
    for code, titles in reported.items():
        for t in titles:
            depts_of_title[_words(t)].add(department_for_soc(code))
    rows, kept = [], set()
    for code in drawn:
        dept = department_for_soc(code)
        for title in reported[code]:
            key = _words(title)
            if key in seen or key in kept:
                continue
            kept.add(key)
            others = sorted(depts_of_title[key] - {dept})
            notes = [f"also reported under a code of {'/'.join(others)}"] if others else []
            notes += [n for rx, n in _SENIORITY_NOTES if re.search(rx, key)]
            rows.append({"title": title, "seniority": rubric_seniority(title), "department": dept,
                         "language": "en", "source": "O*NET 27.0 reported titles", "soc_code": code,
                         "business_function": "yes" if dept != "other" else "no",
                         "ambiguous": "; ".join(notes)})
    OUT.mkdir(parents=True, exist_ok=True)
    with (OUT / "onet_heldout_titles.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    (OUT / "heldout_soc_codes.txt").write_text(
        "# O*NET-SOC codes held out from the title lookup and model (seeded draw, scripts/build_title_eval.py)\n"
        + "".join(f"{c}\t{department_for_soc(c)}\n" for c in drawn), encoding="utf-8")
    print(f"{len(drawn)} codes held out, {len(rows)} titles "
          f"({sum(r['business_function'] == 'yes' for r in rows)} business-function)")


if __name__ == "__main__":
    main()
