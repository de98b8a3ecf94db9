"""Print the persona classifier's accuracy on a labelled title set: per field, per department, per language,
business-function titles vs the others, a department confusion matrix, and every miss.

Usage: .venv/bin/python scripts/title_accuracy.py [path/to/set.csv] [--misses] [--json]
       .venv/bin/python scripts/title_accuracy.py tests/data/title_eval/onet_heldout_titles.csv   # frozen set
       .venv/bin/python scripts/title_accuracy.py tests/data/job_titles_holdout.csv               # regression
A set with a `language` column is also reported per language, one with `business_function` (yes/no) per part,
one with `source` per source (O*NET reported vs alternate titles).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from enrichment.personas import DEPARTMENTS, classify_title

DEFAULT_SET = REPO / "tests" / "data" / "job_titles.csv"
FIELDS = ("seniority", "department")


def _share(rows: list[dict], got: list, field: str) -> float:
    return sum(getattr(g, field) == r[field] for g, r in zip(got, rows, strict=True)) / len(rows) if rows else 0.0


def _part(rows: list[dict], got: list) -> dict:
    return {"titles": len(rows), **{f"{f}_accuracy": _share(rows, got, f) for f in FIELDS}}


def accuracy(path: Path) -> dict:
    """Accuracy of `classify_title` on the labelled CSV at `path`, with the breakdowns described above."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    got = [classify_title(r["title"]) for r in rows]
    misses = {f: [(r["title"], r[f], getattr(g, f)) for r, g in zip(rows, got, strict=True) if getattr(g, f) != r[f]]
              for f in FIELDS}

    def split(key: str) -> dict[str, dict]:
        out = {}
        for value in sorted({r.get(key) for r in rows} - {None, ""}):
            idx = [i for i, r in enumerate(rows) if r.get(key) == value]
            out[value] = _part([rows[i] for i in idx], [got[i] for i in idx])
        return out

    by_department = {}
    for dept in DEPARTMENTS:
        idx = [i for i, r in enumerate(rows) if r["department"] == dept]
        if idx:
            predicted = sum(g.department == dept for g in got)
            hits = sum(got[i].department == dept for i in idx)
            by_department[dept] = {"titles": len(idx), "recall": hits / len(idx),
                                   "precision": hits / predicted if predicted else 0.0}
    confusion = Counter((r["department"], g.department) for r, g in zip(rows, got, strict=True))
    methods = Counter(g.method for g in got)
    sources: dict[str, dict] = {}
    for r, g in zip(rows, got, strict=True):
        part = sources.setdefault(g.department_by or "no title", {"titles": 0, "department_right": 0})
        part["titles"] += 1
        part["department_right"] += g.department == r["department"]
    return {"titles": len(rows), **_part(rows, got), "misses": misses, "by_language": split("language"),
            "by_business_function": split("business_function"), "by_source": split("source"),
            "by_department": by_department,
            "confusion": {f"{a}->{b}": n for (a, b), n in sorted(confusion.items())}, "methods": dict(methods),
            "department_by": sources}


def _confusion_table(result: dict) -> list[str]:
    pairs = [tuple(k.split("->")) for k in result["confusion"]]
    labelled = [d for d in DEPARTMENTS if any(a == d for a, _ in pairs)]
    predicted = [d for d in DEPARTMENTS if any(b == d for _, b in pairs)]
    head = "labelled \\ classified".ljust(22) + "".join(p[:6].rjust(7) for p in predicted)
    lines = [head]
    for a in labelled:
        lines.append(a.ljust(22) + "".join(str(result["confusion"].get(f"{a}->{b}", "")).rjust(7) for b in predicted))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_SET)
    parser.add_argument("--misses", action="store_true", help="list every miss")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--save", type=Path, help="also write the result as JSON to this file (one run: report and JSON)")
    args = parser.parse_args()
    result = accuracy(args.path)
    if args.save:
        args.save.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(result, indent=1))
        return
    n = result["titles"]
    print(f"{n} labelled titles in {args.path.name}")
    for field in FIELDS:
        print(f"{field:<11} accuracy {result[f'{field}_accuracy']:.1%} ({n - len(result['misses'][field])}/{n})")
    for name, parts in (("business function", result["by_business_function"]), ("language", result["by_language"]),
                        ("source", result["by_source"])):
        for value, part in parts.items():
            print(f"  {name} {value}: {part['titles']} titles, seniority {part['seniority_accuracy']:.1%}, "
                  f"department {part['department_accuracy']:.1%}")
    print("department   titles  recall  precision")
    for dept, part in result["by_department"].items():
        print(f"  {dept:<11}{part['titles']:>6}  {part['recall']:>6.1%}  {part['precision']:>8.1%}")
    print("seniority by: " + ", ".join(f"{m or 'no title'} {c}" for m, c in sorted(result["methods"].items())))
    print("department by: " + ", ".join(f"{k} {v['titles']} ({v['department_right'] / v['titles']:.0%} right)"
                                         for k, v in sorted(result["department_by"].items())))
    print("department confusion (rows: label, columns: classifier):")
    print("\n".join("  " + line for line in _confusion_table(result)))
    if args.misses:
        for field in FIELDS:
            for title, want, got in result["misses"][field]:
                print(f"    {field}: {title!r}: labelled {want}, classified {got}")


if __name__ == "__main__":
    main()
