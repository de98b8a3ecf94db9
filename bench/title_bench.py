"""Title classification throughput: `classify_title` on distinct titles (cached repeats excluded), one core.

Usage: python bench/title_bench.py [--titles 50000] [--seed 18]
The titles are every distinct title of the project's title sets and the shipped O*NET reported and occupation
titles (not the alternate titles: the mix stays comparable with earlier results), plus variants
made from them (a level, a region, a second role, a typo) until --titles distinct strings; each is classified
once with a cold cache, so every call runs the rules and, where no rule fits, the lookup and the model. The
model and lookup are loaded before timing (that one-off load is reported apart). CPU time (process_time) is
the figure judged against the target (>= 10,000 titles/s); results go to bench/results/.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))

LEVELS = ("Senior", "Junior", "Lead", "Head of", "VP", "Director of", "Sr.", "Assistant", "Chief", "Principal")
REGIONS = ("EMEA", "DACH", "North America", "APAC", "(m/w/d)", "- Remote", "II", "III")


def titles(n: int, seed: int) -> list[str]:
    base: set[str] = set()
    for path in (ROOT / "tests" / "data").glob("job_titles*.csv"):
        with path.open(encoding="utf-8", newline="") as fh:
            base |= {r["title"] for r in csv.DictReader(fh)}
    with (ROOT / "enrichment" / "data" / "onet_titles.csv").open(encoding="utf-8", newline="") as fh:
        # the reported and occupation titles only: the same mix as before the lookup took in O*NET's alternate
        # titles (28,609 exact lookups would make the bench easier, not the classifier faster)
        base |= {r["title"] for r in csv.DictReader(fh) if r.get("source") != "alternate"}
    rng = random.Random(seed)
    pool = sorted(base)
    out = set(pool)
    while len(out) < n:
        t = rng.choice(pool)
        kind = rng.randrange(4)
        if kind == 0:
            t = f"{rng.choice(LEVELS)} {t}"
        elif kind == 1:
            t = f"{t} {rng.choice(REGIONS)}"
        elif kind == 2:
            t = f"{t} / {rng.choice(pool)}"
        else:
            i = rng.randrange(max(1, len(t) - 1))
            t = t[:i] + t[i + 1:i + 2] + t[i] + t[i + 2:]  # swap two letters
        out.add(t)
    result = sorted(out)[:n]
    rng.shuffle(result)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--titles", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=18)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    from enrichment import personas
    from enrichment.title_model import guess, lookup

    work = titles(args.titles, args.seed)
    t0 = time.process_time()
    lookup("warm up")
    guess("warm up")
    personas._dictionary()
    load_s = time.process_time() - t0
    personas.classify_title.cache_clear()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    got = [personas.classify_title(t) for t in work]
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    info = personas.classify_title.cache_info()
    assert info.hits == 0, "repeats were cached: the timing would not be of distinct titles"
    by = Counter(g.department_by for g in got)
    result = {"titles": len(work), "cpu_s": round(cpu, 3), "wall_s": round(wall, 3),
              "titles_per_cpu_s": round(len(work) / cpu), "titles_per_wall_s": round(len(work) / wall),
              "load_s": round(load_s, 3), "department_by": dict(sorted(by.items())),
              "target_titles_per_s": 10_000, "met": len(work) / cpu >= 10_000,
              "at": datetime.now(UTC).isoformat(timespec="seconds")}
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"title_{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"{len(work)} distinct titles: {result['titles_per_cpu_s']:,} titles/s CPU "
          f"({result['titles_per_wall_s']:,}/s wall), one core, cold cache; model + lookup load {load_s:.2f} s")
    print("department by: " + ", ".join(f"{k} {v}" for k, v in sorted(by.items())))
    print(f"target >= 10,000 titles/s: {'met' if result['met'] else 'MISSED'}")


if __name__ == "__main__":
    main()
