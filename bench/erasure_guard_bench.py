"""Erasure guard benchmark: what checking incoming rows against erasure tombstones costs at ingest.

Usage: python bench/erasure_guard_bench.py [--rows 1000000] [--tombstones 1000] [--phone-tombstones 100]

Runs `ErasureGuard.scrub` over vendor-like batches of BATCH_ROWS (5,000, as ingest does) three ways: no
tombstones (the guard is skipped), email tombstones only, email and phone tombstones (phones are then also
parsed to E.164 with the row's country). Every email is distinct, the worst case for the per-value hashing;
0.1% of the rows belong to erased people, so the scrub path is exercised too. Prints wall and CPU seconds
(user+sys) per mode, and checks that exactly the erased rows were caught.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from connectors.sources.base import RawRecord
from enrichment.suppress import tombstone_hash
from leadpipe.pipeline.erasure_guard import ErasureGuard
from leadpipe.pipeline.ingest import BATCH_ROWS

KEY = b"bench-tombstone-key-0123456789abcdef"  # tombstones are keyed hashes (leadpipe.pipeline.tombstone_key)
FIELDS = {"email": "Email", "phone": "Corporate Phone", "country": "Country"}


def rows(n: int) -> list[RawRecord]:
    return [RawRecord(i, {"First Name": f"First{i}", "Last Name": f"Last{i}", "Email": f"Person.{i}@Acme{i % 997}.com ",
                          "Corporate Phone": f"(415) {200 + i % 700:03d}-{i % 10_000:04d}", "Country": "United States",
                          "Title": "VP Sales", "Company": f"Acme {i % 997}"})
            for i in range(1, n + 1)]


def run(guard: ErasureGuard, data: list[RawRecord]) -> tuple[float, float, int]:
    t0, c0 = time.perf_counter(), os.times()
    caught = 0
    for i in range(0, len(data), BATCH_ROWS):
        batch = data[i : i + BATCH_ROWS]
        _, flags = guard.scrub(batch, FIELDS if guard else {})
        caught += sum(flags)
    c1 = os.times()
    return time.perf_counter() - t0, (c1.user - c0.user) + (c1.system - c0.system), caught


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--tombstones", type=int, default=1_000)
    ap.add_argument("--phone-tombstones", type=int, default=100)
    args = ap.parse_args()
    data = rows(args.rows)
    erased = list(range(1, args.rows + 1, 1000))[: args.tombstones]  # every 1000th row is an erased person
    emails = frozenset(tombstone_hash("email", f"person.{i}@acme{i % 997}.com", KEY) for i in erased)
    phone_rows = erased[: args.phone_tombstones]
    phones = frozenset(tombstone_hash("phone", f"1415{200 + i % 700:03d}{i % 10_000:04d}", KEY) for i in phone_rows)
    out = {"rows": args.rows, "tombstones": len(emails), "phone_tombstones": len(phones)}
    for name, guard in (("none", ErasureGuard()), ("email", ErasureGuard(emails, key=KEY)),
                        ("email+phone", ErasureGuard(emails, phones, key=KEY))):
        wall, cpu, caught = run(guard, data)
        out[name] = {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "caught": caught}
        print(f"{name:<12} wall {wall:7.2f} s  cpu {cpu:7.2f} s  rows caught {caught}", flush=True)
    expected = len(set(erased))  # phone tombstones belong to people whose email is tombstoned too
    assert out["email"]["caught"] == expected and out["email+phone"]["caught"] == expected, out
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / f"erasure_guard_{args.rows}.json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
