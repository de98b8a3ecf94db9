"""How far the department labels themselves agree, source against source (issue 18's accuracy targets).

Every frozen title set so far took its department labels from an occupation code and a documented code ->
department mapping (O*NET-SOC, ISCO/ESCO, NOC, ANZSCO). Where two sources list the very same title, their labels
can be compared without any classifier: if one official source's labels were the classifier, how often would
another source's labels call them right? That agreement is the reference the accuracy targets sit against.

Two comparisons:
1. Source against source: the titles (the words as `build_title_eval._words` reads them) that two sources both
   list, each with a single department in its own source (a title a source files under two departments is
   counted apart, as "ambiguous"). Agreement on all of them and on those where at least one of the two labels
   is a business function (not `other`).
2. Each labelled evaluation set against the other sources: for every title of the set that another source also
   lists with a single department, is it the set's department? Split by the set's own `business_function`
   column, the split its accuracy targets use.
Optionally (`--h1b`), employer-written titles: the US Department of Labor's H-1B disclosure data (public domain),
where each employer names the job title and picks the SOC occupation; the occupation's department (the O*NET
mapping, scripts/onet_departments.py) against the other sources' labels of the same title.

Usage: .venv/bin/python scripts/title_label_agreement.py [--h1b H1B.csv ... --onet-occupations "Occupation Data.txt"]
       [--json OUT.json]
Nothing here reads the classifier: the figures are the labels' own, so reading them tunes nothing.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from build_title_eval import _words
from onet_departments import department_for_soc

DATA = REPO / "enrichment" / "data"
EVAL = REPO / "tests" / "data" / "title_eval"
H1B_SOURCES = EVAL / "h1b_sources.tsv"  # repository, commit, path and sha256 of the H-1B files read here

# Every file holding one source's labelled titles: the lookup/training data and its evaluation sets.
SOURCE_FILES: dict[str, tuple[Path, ...]] = {
    "onet": (DATA / "onet_titles.csv", *sorted(EVAL.glob("onet_*.csv"))),
    "esco": (DATA / "esco_titles.csv", *sorted(EVAL.glob("esco_*.csv"))),
    "noc": (DATA / "noc_titles.csv", *sorted(EVAL.glob("noc_*.csv"))),
    "anzsco": tuple(sorted(EVAL.glob("anzsco_*.csv"))),
}
EVAL_SETS: dict[str, str] = {  # evaluation set file -> its source
    p.name: source for source, paths in SOURCE_FILES.items() for p in paths if p.parent == EVAL
}


def labels(rows: Iterable[Mapping[str, str]]) -> dict[str, frozenset[str]]:
    """title words -> the departments the rows give it."""
    found: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        words = _words(r["title"])
        if words and r.get("department"):
            found[words].add(r["department"])
    return {k: frozenset(v) for k, v in found.items()}


def agreement(a: Mapping[str, frozenset[str]], b: Mapping[str, frozenset[str]]) -> dict[str, int]:
    """Counts over the titles both sources list: single-labelled in both (compared), agreeing, and the same for
    those where at least one label is a business function; `ambiguous`: listed under two departments in either."""
    out = Counter(shared=0, ambiguous=0, compared=0, agree=0, business_compared=0, business_agree=0)
    for title in a.keys() & b.keys():
        out["shared"] += 1
        da, db = a[title], b[title]
        if len(da) > 1 or len(db) > 1:
            out["ambiguous"] += 1
            continue
        same = da == db
        out["compared"] += 1
        out["agree"] += same
        if da != {"other"} or db != {"other"}:
            out["business_compared"] += 1
            out["business_agree"] += same
    return dict(out)


def set_agreement(rows: Iterable[Mapping[str, str]], others: Iterable[Mapping[str, frozenset[str]]]) -> dict:
    """For each row whose title another source lists under a single department: does that department equal the
    row's? Counted per source that lists it, split by the row's `business_function` (yes / no)."""
    others = list(others)
    out: dict[str, Counter] = {"yes": Counter(), "no": Counter()}
    for r in rows:
        words = _words(r["title"])
        part = out.setdefault(r.get("business_function") or "no", Counter())
        for other in others:
            got = other.get(words)
            if got is not None and len(got) == 1:
                part["compared"] += 1
                part["agree"] += got == {r["department"]}
    return {k: dict(v) for k, v in out.items()}


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _checked(path: Path) -> bytes:
    """The file's bytes, refused unless h1b_sources.tsv names a file with its sha256 (another file would give
    other figures than the ones written down)."""
    data = path.read_bytes()
    known = {line.split("\t")[3] for line in H1B_SOURCES.read_text(encoding="utf-8").splitlines()[1:]}
    if hashlib.sha256(data).hexdigest() not in known:
        sys.exit(f"{path} is none of the files named in {H1B_SOURCES.name} (sha256 differs)")
    return data


def h1b_rows(h1b: Iterable[Path], occupations: Path) -> tuple[list[dict[str, str]], dict[str, int]]:
    """Employer-written titles of the H-1B files with the department of the SOC occupation the employer chose,
    one row per distinct (title, department): employers file the same title under different occupations.
    The file names occupations by SOC title ("MANAGEMENT ANALYSTS"); O*NET's Occupation Data gives their codes.
    Rows whose occupation name is not an O*NET occupation title are counted, not guessed."""
    text = _checked(occupations).decode("utf-8")
    code_by_name = {_words(r["Title"]): r["O*NET-SOC Code"] for r in csv.DictReader(text.splitlines(), delimiter="\t")}
    rows = (r for path in h1b for r in csv.DictReader(_checked(path).decode("utf-8-sig").splitlines()))
    found: dict[tuple[str, str], str] = {}
    counts = Counter()
    for r in rows:
        code = code_by_name.get(_words(r["SOC_NAME"] or ""))
        if code is None:
            counts["rows_without_occupation"] += 1
            continue
        counts["rows"] += 1
        title = (r["JOB_TITLE"] or "").strip()
        words = _words(title)
        if words:
            found.setdefault((words, department_for_soc(code)), title)
    out = [{"title": t, "department": d, "business_function": "no" if d == "other" else "yes"}
           for (_, d), t in found.items()]
    return out, dict(counts, distinct_title_departments=len(out))


def _pct(n: int, d: int) -> str:
    return f"{n / d:.1%}" if d else "-"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--h1b", type=Path, nargs="+", help="H-1B disclosure samples named in h1b_sources.tsv")
    ap.add_argument("--onet-occupations", type=Path, help='O*NET "Occupation Data.txt" named in h1b_sources.tsv')
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    sources = {s: labels(r for p in paths for r in _read(p)) for s, paths in SOURCE_FILES.items()}
    result: dict = {"pairs": {}, "sets": {}}
    if args.h1b:
        if not args.onet_occupations:
            sys.exit("--h1b needs --onet-occupations (the SOC occupation names -> codes)")
        h1b, result["h1b"] = h1b_rows(args.h1b, args.onet_occupations)
        sources["h1b"] = labels(h1b)
    result["sources"] = {s: {"titles": len(v), "ambiguous": sum(len(d) > 1 for d in v.values())}
                         for s, v in sources.items()}
    for s, c in result["sources"].items():
        print(f"{s}: {c['titles']} distinct titles, {c['ambiguous']} ({_pct(c['ambiguous'], c['titles'])}) under two or "
              "more departments in the source itself")
    print("source against source (titles both list, each with one department in its own source)")
    names = list(sources)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            c = agreement(sources[a], sources[b])
            result["pairs"][f"{a}-{b}"] = c
            if c["compared"]:
                print(f"  {a:>6} / {b:<6} {c['compared']:>5} titles, agree {_pct(c['agree'], c['compared']):>6};"
                      f"  {c['business_compared']:>5} where one says a business function, agree "
                      f"{_pct(c['business_agree'], c['business_compared']):>6}")
    print("each evaluation set against the other sources' labels of its titles (per label pair)")
    totals: dict[str, Counter] = {"yes": Counter(), "no": Counter()}
    for name, source in EVAL_SETS.items():
        got = set_agreement(_read(EVAL / name), (v for s, v in sources.items() if s != source))
        result["sets"][name] = got
        for part, c in got.items():
            totals.setdefault(part, Counter()).update(c)
        yes, no = got.get("yes", {}), got.get("no", {})
        print(f"  {name:<32} business-function {yes.get('compared', 0):>4} pairs agree "
              f"{_pct(yes.get('agree', 0), yes.get('compared', 0)):>6}; others {no.get('compared', 0):>4} pairs agree "
              f"{_pct(no.get('agree', 0), no.get('compared', 0)):>6}")
    result["sets_total"] = {k: dict(v) for k, v in totals.items()}
    all_c = totals["yes"]["compared"] + totals["no"]["compared"]
    all_a = totals["yes"]["agree"] + totals["no"]["agree"]
    print(f"  all sets: business-function {_pct(totals['yes']['agree'], totals['yes']['compared'])} of "
          f"{totals['yes']['compared']}, others {_pct(totals['no']['agree'], totals['no']['compared'])} of "
          f"{totals['no']['compared']}, all {_pct(all_a, all_c)} of {all_c}")
    if args.h1b:  # each employer's filing (distinct title and department) against the official sources
        got = set_agreement(h1b, (v for s, v in sources.items() if s != "h1b"))
        result["h1b_filings"] = got
        yes = got.get("yes", {})
        print(f"  H-1B filings (title, employer's occupation) business-function {yes.get('compared', 0)} pairs agree "
              f"{_pct(yes.get('agree', 0), yes.get('compared', 0))}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
