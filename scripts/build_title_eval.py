"""Draw and label the frozen title evaluation set (tests/data/title_eval/) from the O*NET 27.0 text files.

Usage: .venv/bin/python scripts/build_title_eval.py ONET_DIR [--draw fresh|alternate]
  ONET_DIR holds "Sample of Reported Titles.txt" (and, for the `alternate` draw, "Alternate Titles.txt") of the
  O*NET 27.0 database (CC BY 4.0, USDOL/ETA), e.g. from the public repository ripl-org/sockit-data,
  public-data/onet_db_27_0_text/ (reported titles only) or SrivardhiniK/career-path-recommender, data/ (the full
  text database; tests/data/title_eval/onet_sources.tsv has the files' sha256, checked here).

Whole O*NET-SOC codes are held out: a seeded random draw of 35% (at least 2) of the codes of every business
department and a share of the `other` codes, among the codes whose reported titles the project had not used
before (group 11 and 15-12xx were the old hold-out set the rules were tuned on). Every reported title of a drawn
code is in the set, minus titles already in tests/data/job_titles*.csv (and, for a later draw, in the earlier
sets). Two draws (DRAWS below):
- `heldout` (seed 18, the issue number; 12% of `other`): onet_heldout_titles.csv, measured during the first
  round of tuning, so since then a development set;
- `fresh` (seed 1821; 17% of `other`, so that the set has >= 1,000 titles): onet_fresh_titles.csv, drawn among the
  codes the first draw left, never more than all but one code of a department (the model keeps an example);
  spent (measured before and after the second round);
- `alternate` (seed 2207; 30% of every business department's codes, at least 1; 4% of `other`):
  onet_alternate_titles.csv, drawn among the codes neither earlier draw used, from *Alternate Titles* and
  *Sample of Reported Titles* of the drawn codes, before the lookup and model were rebuilt from Alternate Titles.
  A department may give its last eligible code when codes of it outside the eligible pool (group 11, 15-12xx)
  stay for the lookup and model. Department = the documented
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
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from onet_departments import department_for_soc

OUT = REPO / "tests" / "data" / "title_eval"


@dataclass(frozen=True)
class Draw:
    seed: int
    other_share: float  # every business department: 0.35, at least 2 codes
    titles_file: str
    codes_file: str
    after: tuple[str, ...] = ()  # earlier draws: their codes and titles are not drawn again
    keep_one: bool = False  # leave at least one code of every department to the lookup and model
    business_share: float = 0.35
    min_codes: int = 2  # per business department
    alternate: bool = False  # also draw from Alternate Titles (and from codes with no reported title)


DRAWS = {
    "heldout": Draw(18, 0.12, "onet_heldout_titles.csv", "heldout_soc_codes.txt"),
    "fresh": Draw(1821, 0.17, "onet_fresh_titles.csv", "fresh_soc_codes.txt", after=("heldout",), keep_one=True),
    "alternate": Draw(2207, 0.04, "onet_alternate_titles.csv", "alternate_soc_codes.txt",
                      after=("heldout", "fresh"), keep_one=True, business_share=0.30, min_codes=1, alternate=True),
}
SOURCES = OUT / "onet_sources.tsv"  # repository, commit, path and sha256 of each O*NET file the draws read


def _check_source(path: Path) -> None:
    """Stop when an O*NET file is not the one the manifest names (another release would draw other titles)."""
    import hashlib

    for line in SOURCES.read_text(encoding="utf-8").splitlines()[1:]:
        _repo, _commit, name, sha = line.split("\t")
        if Path(name).name == path.name and hashlib.sha256(path.read_bytes()).hexdigest() != sha:
            sys.exit(f"{path} is not the O*NET 27.0 file named in {SOURCES.name} (sha256 differs)")
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


def labelled_seniority(title: str, key: str, hand_checked: tuple[tuple[str, str, str], ...],
                       notes: tuple[tuple[str, str], ...]) -> tuple[str, list[str]]:
    """A drawn title's seniority label and its notes: the rubric's level with the plain notes whose pattern fits
    the normalised title `key`, then each hand check that fits overriding the level, with its note. One place for
    every draw script, so all the frozen sets are labelled the same way."""
    found = [note for rx, note in notes if re.search(rx, key)]
    level = rubric_seniority(title)
    for rx, checked, note in hand_checked:
        if re.search(rx, key):
            level = checked
            found.append(f"hand-checked: {note}")
    return level, found


def used_titles(sets: tuple[str, ...]) -> set[str]:
    """Titles the project has already used, as the rubric reads them (`_words`): the hand-written sets and every
    evaluation set in tests/data/title_eval/ whose name starts with one of `sets` ("onet", "esco", ...). A new draw
    leaves them out, so no title is measured twice."""
    data = Path(__file__).resolve().parents[1] / "tests" / "data"
    paths = [data / "job_titles.csv", data / "job_titles_holdout.csv"]
    paths += [p for prefix in sets for p in sorted((data / "title_eval").glob(f"{prefix}_*.csv"))]
    seen: set[str] = set()
    for path in paths:
        with path.open(encoding="utf-8", newline="") as fh:
            seen |= {_words(r["title"]) for r in csv.DictReader(fh)}
    return seen


# Titles whose rubric level is the words' reading, though the job may not be that level: kept, with a note.
_SENIORITY_NOTES = (
    (r"\bcase manager\b", "a case manager manages cases, not people (rubric: any '... manager')"),
    (r"\bfuneral (arrangement )?director\b", "a funeral director is a profession, not a level"),
    (r"\bassistant professor\b", "an academic rank, not an assistant (rubric: 'assistant' is entry)"),
    (r"\b(art|creative|technical|casting|artistic|music) director\b", "a craft title in media and the arts"),
    (r"\blaw clerk\b", "a judicial clerkship: entry level for lawyers"),
    (r"^auditor in charge$", "leads an audit engagement: could be read as manager"),
    (r"^(wire|plant wire|repeater) chief$", "the chief of a telephone wire crew: could be read as manager"),
    (r"^bursar$", "a college's bursar may head its finance office: could be read as director"),
)


# Checked by hand (fresh draw, before any classifier ran on it): where the rubric's words misread the title, the
# label is what the title means, with a note. Regex over the normalised words -> (seniority, note).
_HAND_CHECKED = (
    (r"\b(air traffic|certified professional) controller\b",
     "individual", "an air traffic controller controls traffic, not a budget (rubric word: controller)"),
    (r"^chair car driver$", "individual", "a chair car is a vehicle (rubric word: chair)"),
    (r"^student ministries director$", "director", "directs the student ministry (rubric word: student)"),
    # alternate draw (seed 2207), read before any classifier ran on it
    (r"^project controller$", "individual",
     "a project controller keeps a project's costs and schedule, a specialist (rubric word: controller)"),
    (r"^(weed|linen) controller$", "individual", "controls weeds or linen stock, not a budget (rubric word: controller)"),
    (r"^student recruiter$", "individual", "recruits students (rubric word: student)"),
    (r"\bstudent special education teacher$", "individual", "teaches students (rubric word: student)"),
    (r"^fire chief s aide$", "entry", "the aide of a fire chief (rubric word: chief)"),
    (r"^ground crew chief$", "manager", "a crew chief leads a crew, like a crew leader (rubric word: chief)"),
    (r"^audit partner$", "owner", "a partner of an accounting firm (rubric: only a bare 'Partner')"),
    (r"^(grip|chute|dock|gang|hatch) boss$", "manager", "a boss of a crew is its supervisor (no rubric word)"),
    (r"^captain of guards$", "manager", "leads the guards (O*NET: supervisors of protective service workers)"),
    (r"^motor equipment commanding officer$", "manager",
     "commands a maintenance unit (O*NET: first-line supervisors of mechanics)"),
)


def main() -> None:
    onet = Path(sys.argv[1])
    draw = DRAWS[sys.argv[sys.argv.index("--draw") + 1] if "--draw" in sys.argv else "heldout"]
    reported = defaultdict(list)  # code -> [(title, source)]
    alternate = defaultdict(list)
    _check_source(onet / "Sample of Reported Titles.txt")
    with (onet / "Sample of Reported Titles.txt").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            reported[row["O*NET-SOC Code"]].append((row["Reported Job Title"].strip(), "O*NET 27.0 reported titles"))
    if draw.alternate:
        _check_source(onet / "Alternate Titles.txt")
        with (onet / "Alternate Titles.txt").open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh, delimiter="\t"):
                alternate[row["O*NET-SOC Code"]].append((row["Alternate Title"].strip(), "O*NET 27.0 alternate titles"))
    titles = {c: reported.get(c, []) + alternate.get(c, []) for c in sorted(set(reported) | set(alternate))}
    seen = set()
    for name in ("job_titles.csv", "job_titles_holdout.csv"):
        with (REPO / "tests" / "data" / name).open(encoding="utf-8", newline="") as fh:
            seen |= {_words(r["title"]) for r in csv.DictReader(fh)}
    earlier = set()
    for name in draw.after:
        with (OUT / DRAWS[name].titles_file).open(encoding="utf-8", newline="") as fh:
            seen |= {_words(r["title"]) for r in csv.DictReader(fh)}
        earlier |= {line.split("\t")[0] for line in (OUT / DRAWS[name].codes_file).read_text().splitlines()
                    if line and not line.startswith("#")}
    by_dept = defaultdict(list)
    training = defaultdict(int)  # codes of a department that no draw has taken (the lookup and model learn them)
    for code in sorted(titles if draw.alternate else reported):
        if code not in earlier:
            training[department_for_soc(code)] += 1
            if not code.startswith(ALREADY_USED):
                by_dept[department_for_soc(code)].append(code)
    rng = random.Random(draw.seed)
    drawn = []
    for dept in sorted(by_dept):
        codes = by_dept[dept]
        share = draw.other_share if dept == "other" else draw.business_share
        spare = len(codes) - draw.keep_one if not draw.alternate else min(len(codes), training[dept] - 1)
        k = min(spare, max(draw.min_codes, math.ceil(len(codes) * share)))
        drawn += rng.sample(codes, k)
    drawn.sort()
    depts_of_title = defaultdict(set)
    for code, named in titles.items():
        for t, _ in named:
            depts_of_title[_words(t)].add(department_for_soc(code))
    rows, kept = [], set()
    for code in drawn:
        dept = department_for_soc(code)
        for title, source in (titles if draw.alternate else reported)[code]:
            key = _words(title)
            if key in seen or key in kept:
                continue
            kept.add(key)
            others = sorted(depts_of_title[key] - {dept})
            notes = [f"also {'listed' if draw.alternate else 'reported'} under a code of {'/'.join(others)}"] if others else []
            notes += [n for rx, n in _SENIORITY_NOTES if re.search(rx, key)]
            level = rubric_seniority(title)
            for rx, checked, note in _HAND_CHECKED:
                if re.search(rx, key):
                    level = checked
                    notes.append(f"hand-checked: {note}")
            rows.append({"title": title, "seniority": level, "department": dept,
                         "language": "en", "source": source, "soc_code": code,
                         "business_function": "yes" if dept != "other" else "no",
                         "ambiguous": "; ".join(notes)})
    OUT.mkdir(parents=True, exist_ok=True)
    with (OUT / draw.titles_file).open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    (OUT / draw.codes_file).write_text(
        f"# O*NET-SOC codes held out from the title lookup and model (seeded draw, seed {draw.seed}, "
        "scripts/build_title_eval.py)\n"
        + "".join(f"{c}\t{department_for_soc(c)}\n" for c in drawn), encoding="utf-8")
    print(f"{len(drawn)} codes held out, {len(rows)} titles "
          f"({sum(r['business_function'] == 'yes' for r in rows)} business-function)")


if __name__ == "__main__":
    main()
