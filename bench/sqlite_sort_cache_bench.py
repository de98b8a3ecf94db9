"""How fast SQLite builds the people table's five secondary indexes at different page cache sizes.

bulk_write.bulk_load rebuilds them at the end of a first dedupe run; SQLite sorts each index's keys in runs the size
of the page cache and merges the runs. This measures the build on a synthetic 1M-row table shaped like `people`
(16 KiB pages, WAL, uuid keys inserted in order, ~800 bytes a row), each cache size in turn, `--rounds` times.

Usage: .venv/bin/python bench/sqlite_sort_cache_bench.py [--rows 1000000] [--rounds 2] [--sizes 2048 4096 16384 65536]
Prints seconds per build and writes nothing but a scratch database in a temporary folder.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sqlite3
import string
import tempfile
import time
import uuid
from pathlib import Path

INDEXED = ("email", "last_name", "first_name", "domain", "company_key")


def make_table(path: Path, rows: int) -> None:
    rng = random.Random(1)

    def word(n: int) -> str:
        return "".join(rng.choices(string.ascii_lowercase, k=n))

    con = sqlite3.connect(path)
    con.execute("PRAGMA page_size=16384")
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE people (person_id VARCHAR(36) PRIMARY KEY, email TEXT, first_name TEXT, last_name TEXT, "
                "company TEXT, company_key TEXT, domain TEXT, record TEXT, provenance TEXT, created_run_id TEXT, "
                "updated_run_id TEXT)")
    data = []
    for _ in range(rows):
        first, last, domain = word(6), word(8), word(10) + ".com"
        data.append((str(uuid.UUID(int=rng.getrandbits(128))), f"{first}.{last}@{domain}", first, last, word(12),
                     word(12), domain, "x" * 415, "y" * 263, "run", "run"))
    data.sort()
    con.executemany("INSERT INTO people VALUES (?,?,?,?,?,?,?,?,?,?,?)", data)
    con.commit()
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


def build_seconds(base: Path, work: Path, cache_kib: int) -> float:
    shutil.copy(base, work)
    con = sqlite3.connect(work, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute(f"PRAGMA cache_size=-{cache_kib}")
    con.execute("BEGIN IMMEDIATE")
    start = time.perf_counter()
    for col in INDEXED:
        con.execute(f"CREATE INDEX ix_{col} ON people ({col})")
    took = time.perf_counter() - start
    con.execute("COMMIT")
    con.close()
    return took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--sizes", type=int, nargs="+", default=[2048, 4096, 16384, 65536], help="cache sizes in KiB")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base, work = Path(tmp) / "base.db", Path(tmp) / "work.db"
        make_table(base, args.rows)
        for r in range(args.rounds):
            for kib in args.sizes:
                print(f"round {r + 1}: cache {kib:>6} KiB: five indexes built in {build_seconds(base, work, kib):.2f} s")


if __name__ == "__main__":
    main()
