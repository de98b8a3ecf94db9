"""Print the persona classifier's per-field accuracy on a labelled title set, and every miss.

Usage: .venv/bin/python scripts/title_accuracy.py [path/to/job_titles.csv]
       .venv/bin/python scripts/title_accuracy.py tests/data/job_titles_holdout.csv   # the held-out set
A set with a `language` column is also reported per language.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from enrichment.personas import classify_title

DEFAULT_SET = REPO / "tests" / "data" / "job_titles.csv"


def accuracy(path: Path) -> dict:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    misses = {"seniority": [], "department": []}
    for row in rows:
        got = classify_title(row["title"])
        for field, missed in misses.items():
            if getattr(got, field) != row[field]:
                missed.append((row["title"], row[field], getattr(got, field)))
    n = len(rows)
    by_language: dict[str, dict[str, float]] = {}
    for lang in sorted({r.get("language") for r in rows} - {None, ""}):
        part = [r for r in rows if r.get("language") == lang]
        got = [classify_title(r["title"]) for r in part]
        by_language[lang] = {"titles": len(part), **{
            f"{f}_accuracy": sum(getattr(g, f) == r[f] for g, r in zip(got, part, strict=True)) / len(part)
            for f in misses}}
    return {"titles": n, **{f"{f}_accuracy": (n - len(m)) / n for f, m in misses.items()}, "misses": misses,
            "by_language": by_language}


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SET
    result = accuracy(path)
    print(f"{result['titles']} labelled titles in {path.name}")
    for field in ("seniority", "department"):
        misses = result["misses"][field]
        print(f"{field:<11} accuracy {result[f'{field}_accuracy']:.1%} ({result['titles'] - len(misses)}/{result['titles']})")
        for title, want, got in misses:
            print(f"    {title!r}: labelled {want}, classified {got}")
    for lang, part in result["by_language"].items():
        print(f"  {lang}: {part['titles']} titles, seniority {part['seniority_accuracy']:.1%}, "
              f"department {part['department_accuracy']:.1%}")


if __name__ == "__main__":
    main()
