"""Validation benchmark: time of each GX suite on N synthetic leads, the import excluded.

    .venv/bin/python bench/validate_bench.py --rows 1000000 --repeat 3

Target: the normalised-leads suite under 3 s for 1M rows (issue 5). The GX import is timed separately
(paid once per task process). The raw-batch and prospects suites run on the same rows for comparison;
each suite is run --repeat times and the best and median wall times are kept, with CPU time, because on
a shared machine wall time also measures the neighbours. Writes bench/results/validate_<stamp>.json and
validate_latest.md, and prints ratios against the previous results file when there is one.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
RESULTS = REPO / "bench" / "results"
TARGET_SECONDS = {"normalised_leads": 3.0}  # for 1M rows


def synthetic_leads(n: int, bad_email_share: float = 0.03, seed: int = 7) -> pd.DataFrame:
    """n normalised leads; bad_email_share of them without a valid email, 1% placeholder names,
    30% without phone, a third without job title."""
    rng = np.random.default_rng(seed)
    ids = np.arange(1, n + 1)
    email = pd.Series([f"user{i}@example{i % 97}.com" for i in ids], dtype="str")
    bad_email = rng.random(n) < bad_email_share
    email[bad_email] = ""
    first = pd.Series(rng.choice(["Anna", "Ben", "Chen", "Dara", "Test"], n, p=[0.3, 0.3, 0.2, 0.19, 0.01]))
    phone = pd.Series([f"+4930{i:07d}" for i in ids], dtype="str")
    phone[rng.random(n) < 0.3] = ""
    return pd.DataFrame(
        {
            "raw_row_id": ids,
            "source": "bench",
            "first_name": first,
            "last_name": rng.choice(["Meyer", "Smith", "Okafor", ""], n),
            "email": email,
            "email_status": np.where(bad_email, "invalid", "valid"),
            "phone": phone,
            "country": rng.choice(["DE", "US", "GB", "FR", ""], n),
            "job_title": rng.choice(["CTO", "Head of Sales", ""], n),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--bad-email-share", type=float, default=0.03)
    args = parser.parse_args()

    frame = synthetic_leads(args.rows, args.bad_email_share)
    started = time.perf_counter()
    from expectations.gx_runner import run_suite
    from expectations.normalised_leads import build_normalised_leads_suite
    from expectations.prospects import CrmFields, build_prospects_suite
    from expectations.raw_batch import VolumeHistory, build_raw_batch_suite
    from expectations.settings import ValidationConfig

    import_seconds = time.perf_counter() - started

    prospects = frame.assign(person_id=frame["raw_row_id"].astype(str), score=70)
    suites = {
        "normalised_leads": (frame, build_normalised_leads_suite()),
        "raw_batch": (frame, build_raw_batch_suite(ValidationConfig().for_source("bench"),
                                                   VolumeHistory((args.rows,) * 5))),
        "prospects_before_push": (prospects, build_prospects_suite(
            CrmFields(("person_id", "email", "score"), ("person_id", "email", "score")), 40, 85)),
    }
    results: dict[str, dict] = {}
    for name, (data, suite) in suites.items():
        walls, cpus = [], []
        for _ in range(args.repeat):
            wall, cpu = time.perf_counter(), time.process_time()
            outcome = run_suite(data, suite)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        results[name] = {
            "checks": len(suite.checks), "best_seconds": round(min(walls), 3),
            "median_seconds": round(statistics.median(walls), 3), "cpu_seconds_best": round(min(cpus), 3),
            "rows_failed": len(outcome.row_failures), "critical": len(outcome.critical_failures),
        }
        target = TARGET_SECONDS.get(name) if args.rows == 1_000_000 else None
        if target:
            results[name]["target_seconds"] = target
            results[name]["meets_target"] = min(walls) < target
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"), "rows": args.rows, "repeat": args.repeat,
        "python": platform.python_version(), "import_seconds": round(import_seconds, 3),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "suites": results,
    }
    previous = _previous(args.rows)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    (RESULTS / f"validate_{stamp}.json").write_text(json.dumps(report, indent=2) + "\n")
    text = _markdown(report, previous)
    (RESULTS / "validate_latest.md").write_text(text)
    print(text)


def _previous(rows: int) -> dict | None:
    for path in sorted(RESULTS.glob("validate_*.json"), reverse=True):
        data = json.loads(path.read_text())
        if data.get("rows") == rows:
            return data
    return None


def _markdown(report: dict, previous: dict | None) -> str:
    lines = [f"# Validation benchmark ({report['rows']:,} rows, best of {report['repeat']})", "",
             (f"`bench/validate_bench.py --rows {report['rows']} --repeat {report['repeat']}` at {report['when']}; "
              f"GX import {report['import_seconds']} s (excluded); peak RSS {report['peak_rss_mib']} MiB."), "",
             "| suite | checks | best s | median s | cpu s | target | vs previous |", "|---|---|---|---|---|---|---|"]
    for name, r in report["suites"].items():
        before = (previous or {}).get("suites", {}).get(name, {}).get("best_seconds")
        ratio = f"{r['best_seconds'] / before:.2f}x" if before else "-"
        target = f"< {r['target_seconds']} s ({'met' if r['meets_target'] else 'MISSED'})" if "target_seconds" in r else "-"
        lines.append(f"| {name} | {r['checks']} | {r['best_seconds']} | {r['median_seconds']} | "
                     f"{r['cpu_seconds_best']} | {target} | {ratio} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
