"""Print the persona classifier's per-field accuracy on the labelled title set, and every miss.

Usage: .venv/bin/python scripts/title_accuracy.py [path/to/job_titles.csv]
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
    return {"titles": n, **{f"{f}_accuracy": (n - len(m)) / n for f, m in misses.items()}, "misses": misses}


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SET
    result = accuracy(path)
    print(f"{result['titles']} labelled titles in {path.name}")
    for field in ("seniority", "department"):
        misses = result["misses"][field]
        print(f"{field:<11} accuracy {result[f'{field}_accuracy']:.1%} ({result['titles'] - len(misses)}/{result['titles']})")
        for title, want, got in misses:
            print(f"    {title!r}: labelled {want}, classified {got}")


if __name__ == "__main__":
    main()
