"""Draw and label the ESCO title evaluation sets (tests/data/title_eval/esco_*.csv) from ESCO v1.1.1.

Usage: .venv/bin/python scripts/build_esco_title_eval.py ESCO
  ESCO is the official download "ESCO dataset - v1.1.1 - classification - en - csv.zip" (or a folder holding its
  occupations_en.csv), e.g. from the public repository tabiya-tech/tabiya-esco-datasets-and-tools, path
  datasets/esco/v1.1.1/classification/ (tests/data/title_eval/esco_sources.tsv has the files' sha256, checked here:
  the script stops on any other file).

The draw (seed 2612; all of it fixed here, before any classifier ran on an ESCO title):
1. Every ESCO occupation gets a department from the documented mapping scripts/isco_departments.py (ISCO-08 unit
   group, or the ESCO occupation code where a unit group holds two departments).
2. The ISCO-08 unit groups of each department are split by a seeded draw (random.Random(2612)): half of them
   (rounded up, at least 1) are FROZEN, the rest DEVELOPMENT. A unit group whose occupations fall in two
   departments is drawn with the department most of its occupations have, and goes whole to one half.
3. Within a drawn unit group, occupations are sampled (same generator) so that no group and no department swamps
   the set: at most OCCUPATIONS_PER_GROUP occupations of a unit group, and of the `other` groups only a seeded
   share OTHER_SHARE of their occupations (at least one per group is not promised).
4. Titles: the preferred label and every alternative label (English) of every sampled occupation, whitespace
   collapsed; a title already in tests/data/job_titles*.csv, in an O*NET evaluation set (tests/data/title_eval/
   onet_*.csv), or earlier in this draw (the frozen half is written first) is left out (case-insensitive, the
   words as build_title_eval._words reads them). Hidden labels are not used.
5. Labels: department = the mapping's for the occupation; seniority = the rubric (build_title_eval.rubric_seniority)
   with the hand-checked corrections below. A title listed under ESCO occupations of two departments is noted in
   `ambiguous`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import random
import sys
import zipfile
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from build_title_eval import _SENIORITY_NOTES, _words, labelled_seniority, used_titles
from isco_departments import department_for_isco

OUT = REPO / "tests" / "data" / "title_eval"
SOURCES = OUT / "esco_sources.tsv"  # repository, commit, path and sha256 of each ESCO file the draw reads
SEED = 2612
OCCUPATIONS_PER_GROUP = 6
OTHER_SHARE = 0.08
FROZEN = ("esco_frozen_titles.csv", "esco_frozen_isco_groups.txt")
DEV = ("esco_dev_titles.csv", "esco_dev_isco_groups.txt")
SOURCE_NAME = "ESCO v1.1.1"
FIELDS = ("title", "seniority", "department", "language", "source", "isco_code", "esco_code", "business_function",
          "ambiguous")

# Checked by hand before any classifier ran on the frozen set: where the rubric's words misread an ESCO title, the
# label is what the title means, with a note. Regex over the normalised words -> (seniority, note).
_HAND_CHECKED: tuple[tuple[str, str, str], ...] = (
    (r"^trustee officer$", "individual", "a trust officer administers trusts, no board trustee (rubric word: trustee)"),
    (r"^president adviser$", "individual", "advises a president (rubric word: president)"),
    (r"\bquality (assurance )?controller$", "individual",
     "a quality controller inspects products, controls no budget (rubric word: controller)"),
    (r"^(panel|tram|tram system|ship pilot) controller$", "individual",
     "controls a panel, trams or pilot boats, like an air traffic controller (rubric word: controller)"),
    (r"^(train )?chief (train )?conductor$|^chief (security )?guard$", "manager",
     "leads a train crew or the guards, like a crew chief (rubric word: chief)"),
    (r"^(fleet|navy|naval|royal navy) commander$|^commander of fleet$", "director",
     "commands a fleet: the head of a unit, like a fire chief (no rubric word)"),
    (r"^(ship s|ship|sea) captain$|^captain of a ship$", "manager",
     "the master of a ship leads its crew, like the captain of guards (no rubric word)"),
    (r"\boverseer\b(?! at)|^overseer at", "manager", "an overseer supervises the works (no rubric word)"),
    (r"^graduate (?!trainee)", "entry",
     "a graduate-entry post: ESCO lists 'graduate ...' beside 'trainee ...' and 'assistant ...' (no rubric word)"),
)
# Plain notes (the rubric's level is kept): titles whose level word is a craft or profession here.
_ESCO_NOTES = (
    (r"\b(film|stage|theatre|theater|television|tv|movie|video|motion picture|series|scene|circus|dance rehearsal"
     r"|fight|location|animated movie) director\b", "a craft title in media and the arts"),
    (r"\b(naval|marine|submarine|maritime|vessel|landscape|landscapes|naval engineer) architect$",
     "a profession, not a level (rubric word: architect)"),
    (r"^senior executive officer$", "an ESCO label of chief executive officer: could be read as c_level"),
)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _manifest() -> dict[str, str]:
    rows = SOURCES.read_text(encoding="utf-8").splitlines()[1:]
    return {Path(line.split("\t")[2]).name: line.split("\t")[3] for line in rows if line}


def _check(name: str, data: bytes) -> None:
    """Stop when a file is not the ESCO v1.1.1 file the manifest names (another release draws other titles)."""
    want = _manifest().get(name)
    if want is None or _sha256(data) != want:
        sys.exit(f"{name} is not the ESCO v1.1.1 file named in {SOURCES.name} (sha256 differs)")


def read_occupations(path: Path) -> list[dict]:
    """The rows of occupations_en.csv, from the official zip or a folder, checked against the manifest."""
    if path.is_file():
        with zipfile.ZipFile(path) as zf:
            data = zf.read("occupations_en.csv")
    else:
        data = (path / "occupations_en.csv").read_bytes()
    _check("occupations_en.csv", data)
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def labels(row: dict) -> list[tuple[str, str]]:
    """(title, source) for the preferred label, then each alternative label, whitespace collapsed."""
    out = [(" ".join(row["preferredLabel"].split()), f"{SOURCE_NAME} preferred label")]
    out += [(" ".join(a.split()), f"{SOURCE_NAME} alternative label") for a in row["altLabels"].split("\n") if a.strip()]
    return out


def _code_key(code: str) -> list[int]:
    return [int(p) for p in code.split(".")]


def split_groups(occupations: list[dict], seed: int = SEED) -> tuple[list[str], list[str], random.Random]:
    """The frozen and development unit groups (sorted), and the generator, positioned for the occupation sample."""
    by_group = defaultdict(list)
    for row in occupations:
        by_group[row["iscoGroup"]].append(department_for_isco(row["code"]))
    dept_groups = defaultdict(list)
    for group, depts in sorted(by_group.items()):
        main = max(sorted(set(depts)), key=depts.count)  # ties: alphabetical first
        dept_groups[main].append(group)
    rng = random.Random(seed)
    frozen = []
    for dept in sorted(dept_groups):
        groups = dept_groups[dept]
        frozen += rng.sample(groups, max(1, math.ceil(len(groups) / 2)))
    return sorted(frozen), sorted(set(by_group) - set(frozen)), rng


def sample_occupations(occupations: list[dict], groups: list[str], rng: random.Random) -> list[dict]:
    """The occupations of `groups` that go into a set: at most OCCUPATIONS_PER_GROUP per unit group; of a unit group
    mostly `other`, a share OTHER_SHARE (rounded) of its occupations, drawn from the pooled `other` groups."""
    by_group = defaultdict(list)
    for row in occupations:
        by_group[row["iscoGroup"]].append(row)
    chosen, other_pool = [], []
    for group in groups:
        rows = sorted(by_group[group], key=lambda r: _code_key(r["code"]))
        depts = [department_for_isco(r["code"]) for r in rows]
        if max(sorted(set(depts)), key=depts.count) == "other":
            other_pool += rows
            continue
        chosen += rows if len(rows) <= OCCUPATIONS_PER_GROUP else rng.sample(rows, OCCUPATIONS_PER_GROUP)
    chosen += rng.sample(other_pool, round(len(other_pool) * OTHER_SHARE))
    return sorted(chosen, key=lambda r: _code_key(r["code"]))


def build_rows(occupations: list[dict], chosen: list[dict], seen: set[str]) -> list[dict]:
    """The labelled rows of the chosen occupations; `seen` (normalised titles) grows with every title kept."""
    depts_of_title = defaultdict(set)
    for row in occupations:
        for title, _ in labels(row):
            depts_of_title[_words(title)].add(department_for_isco(row["code"]))
    rows = []
    for occ in chosen:
        dept = department_for_isco(occ["code"])
        for title, source in labels(occ):
            key = _words(title)
            if not key or key in seen:
                continue
            seen.add(key)
            others = sorted(depts_of_title[key] - {dept})
            notes = [f"also listed under an ESCO occupation of {'/'.join(others)}"] if others else []
            level, seniority_notes = labelled_seniority(title, key, _HAND_CHECKED, _SENIORITY_NOTES + _ESCO_NOTES)
            notes += seniority_notes
            rows.append({"title": title, "seniority": level, "department": dept, "language": "en", "source": source,
                         "isco_code": occ["iscoGroup"], "esco_code": occ["code"],
                         "business_function": "yes" if dept != "other" else "no", "ambiguous": "; ".join(notes)})
    return rows


def draw(occupations: list[dict]) -> dict[str, tuple[list[str], list[dict]]]:
    """{"frozen": (unit groups, rows), "dev": (...)}: the whole draw, deterministic for the same file."""
    frozen_groups, dev_groups, rng = split_groups(occupations)
    frozen_occ = sample_occupations(occupations, frozen_groups, rng)
    dev_occ = sample_occupations(occupations, dev_groups, rng)
    seen = used_titles(("onet",))
    frozen_rows = build_rows(occupations, frozen_occ, seen)
    dev_rows = build_rows(occupations, dev_occ, seen)
    return {"frozen": (frozen_groups, frozen_rows), "dev": (dev_groups, dev_rows)}


def _write(occupations: list[dict], groups: list[str], rows: list[dict], files: tuple[str, str], role: str) -> None:
    with (OUT / files[0]).open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    names = {}
    for row in occupations:
        names.setdefault(row["iscoGroup"], set()).add(department_for_isco(row["code"]))
    (OUT / files[1]).write_text(
        f"# ISCO-08 unit groups of the ESCO {role} set (seed {SEED}, scripts/build_esco_title_eval.py); "
        "departments of their occupations\n"
        + "".join(f"{g}\t{'/'.join(sorted(names[g]))}\n" for g in groups), encoding="utf-8")


def main() -> None:
    occupations = read_occupations(Path(sys.argv[1]))
    result = draw(occupations)
    for role, files in (("frozen", FROZEN), ("dev", DEV)):
        groups, rows = result[role]
        _write(occupations, groups, rows, files, role)
        business = sum(r["business_function"] == "yes" for r in rows)
        print(f"{role}: {len(groups)} unit groups, {len({r['esco_code'] for r in rows})} occupations, "
              f"{len(rows)} titles ({business} business-function)")


if __name__ == "__main__":
    main()
