"""Derive the title lookup data and the typo-repair dictionary from the O*NET 27.0 text files.

Usage: .venv/bin/python scripts/build_title_data.py ONET_DIR      (then: make title-model)
  ONET_DIR holds "Alternate Titles.txt", "Sample of Reported Titles.txt", "Occupation Data.txt" and
  "Task Statements.txt" of the O*NET 27.0 database (CC BY 4.0, USDOL/ETA), from the public repository
  SrivardhiniK/career-path-recommender, data/ (commit 532545b4; `git show 532545b4:"data/Alternate Titles.txt"`).
  enrichment/data/onet_sources.tsv names repository, commit, path and sha256 of each; another file is refused.

Writes, deterministically (sorted, no timestamps):
- enrichment/data/onet_titles.csv: title, soc_code, department, source for every alternate, reported and
  occupation title of the O*NET-SOC codes that are NOT held out (the code lists of the three evaluation draws in
  tests/data/title_eval/), minus every title of the evaluation sets. This is the lookup and the model's training
  data.
- enrichment/data/title_words.txt: the words (5+ letters) of those codes' titles, descriptions and task
  statements: real words the typo repair must never rewrite ("layer" is no typo of "lawyer").
"""

from __future__ import annotations

import csv
import hashlib
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from onet_departments import department_for_soc

from enrichment.personas import normalise_title

DATA = REPO / "enrichment" / "data"
_NAMES_A_FUNCTION = re.compile(r"\bchief (?!executive)\w+ officer\b|\bvice president\b")
EVAL = REPO / "tests" / "data" / "title_eval"
# Both evaluation draws (tests/data/title_eval/README.md): their codes and titles never reach the lookup or model.
EVALUATION_SETS = (("heldout_soc_codes.txt", "onet_heldout_titles.csv"), ("fresh_soc_codes.txt", "onet_fresh_titles.csv"),
                   ("alternate_soc_codes.txt", "onet_alternate_titles.csv"))
SOURCES = DATA / "onet_sources.tsv"


def _check_sources(onet: Path) -> None:
    """Stop with a clear message when a file is missing or is not the O*NET 27.0 file the manifest names."""
    for line in SOURCES.read_text(encoding="utf-8").splitlines()[1:]:
        _repo, _commit, name, sha = line.split("\t")
        path = onet / Path(name).name
        if not path.is_file():
            sys.exit(f"{path} is missing (see {SOURCES.relative_to(REPO)})")
        if hashlib.sha256(path.read_bytes()).hexdigest() != sha:
            sys.exit(f"{path} is not the O*NET 27.0 file named in {SOURCES.relative_to(REPO)} (sha256 differs)")


def _read(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def main() -> None:
    onet = Path(sys.argv[1])
    _check_sources(onet)
    held_out, frozen = set(), set()
    for codes, titles in EVALUATION_SETS:
        held_out |= {line.split("\t")[0] for line in (EVAL / codes).read_text().splitlines()
                     if line and not line.startswith("#")}
        with (EVAL / titles).open(encoding="utf-8", newline="") as fh:
            frozen |= {normalise_title(r["title"]) for r in csv.DictReader(fh)}
    rows: dict[tuple[str, str], dict] = {}
    words: set[str] = set()

    def add(title: str, code: str, source: str) -> None:
        title = title.strip()
        key = normalise_title(title)
        if key and key not in frozen and (key, code) not in rows:
            rows[(key, code)] = {"title": title, "soc_code": code, "department": department_for_soc(code),
                                 "source": source}

    for file, column, source in (("Sample of Reported Titles.txt", "Reported Job Title", "reported"),
                                 ("Alternate Titles.txt", "Alternate Title", "alternate")):
        for r in _read(onet / file):
            # Chief executives (11-1011) report "Chief Financial Officer", "Chief Nursing Officer": by the rubric a
            # named function wins over executive, so only the company-head titles of that code are kept.
            if r["O*NET-SOC Code"] == "11-1011.00" and _NAMES_A_FUNCTION.search(normalise_title(r[column])):
                continue
            if r["O*NET-SOC Code"] not in held_out:
                add(r[column], r["O*NET-SOC Code"], source)
    for r in _read(onet / "Occupation Data.txt"):
        if r["O*NET-SOC Code"] not in held_out:
            add(r["Title"], r["O*NET-SOC Code"], "occupation")
            words.update(normalise_title(r["Title"] + " " + r["Description"]).split())
    for r in _read(onet / "Task Statements.txt"):
        if r["O*NET-SOC Code"] not in held_out:
            words.update(normalise_title(r["Task"]).split())
    for row in rows.values():
        words.update(normalise_title(row["title"]).split())
    DATA.mkdir(exist_ok=True)
    with (DATA / "onet_titles.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["title", "soc_code", "department", "source"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(sorted(rows.values(), key=lambda r: (r["soc_code"], r["source"], r["title"])))
    real = sorted(w for w in words if len(w) >= 5 and re.fullmatch(r"[a-z]+", w))
    (DATA / "title_words.txt").write_text("\n".join(real) + "\n", encoding="utf-8")
    print(f"{len(rows)} titles of {len({c for _, c in rows})} O*NET-SOC codes, {len(real)} words")


if __name__ == "__main__":
    main()
