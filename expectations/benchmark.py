"""Time one run of the normalised-leads suite on synthetic rows (not a test: a number to watch).

    python -m expectations.benchmark [ROWS] [BAD_EMAIL_SHARE]

Prints the GX import time and the run_suite time separately: the import is paid once per task process,
the run once per batch.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd


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


def main(n: int, bad_email_share: float) -> None:
    frame = synthetic_leads(n, bad_email_share)
    started = time.perf_counter()
    from expectations import build_normalised_leads_suite, run_suite

    suite = build_normalised_leads_suite()
    imported, cpu = time.perf_counter(), time.process_time()
    result = run_suite(frame, suite)
    finished, cpu = time.perf_counter(), time.process_time() - cpu
    # CPU time too: on a shared machine wall time also measures the neighbours
    timing = f"import={imported - started:.2f}s run_suite={finished - imported:.2f}s (cpu {cpu:.2f}s)"
    print(f"rows={n:,} {timing}")
    print(f"critical={len(result.critical_failures)} rows_failed={len(result.row_failures):,} "
          f"warnings={len(result.warnings)}")


if __name__ == "__main__":
    args = sys.argv[1:]
    main(int(args[0]) if args else 1_000_000, float(args[1]) if len(args) > 1 else 0.03)
