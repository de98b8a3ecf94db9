"""Channel readiness benchmark: what deciding email / phone / LinkedIn readiness adds to the qualify stage.

Usage: python bench/channels_bench.py [--people 200000]

Builds a frame of people as the qualify stage reads them (every phone distinct, the worst case for the
per-number phonenumbers parse; countries, LinkedIn URLs and form preferences mixed) and times, in the same
process, the compliance verdict the stage already made before (`decisions.decide_frame`, the peer) and the
channel readiness added after it for the prospects (`channel_decisions.channels_frame`, as the stage calls it). Prints wall seconds and the ratio, and
writes bench/results/channels-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from enrichment.suppress import SuppressionLists  # noqa: E402
from leadpipe.pipeline.channel_decisions import channels_frame  # noqa: E402
from leadpipe.pipeline.decisions import Context, decide_frame  # noqa: E402
from leadpipe.pipeline.settings import load_config  # noqa: E402

COUNTRIES = [("US", "+1415{:07d}"), ("DE", "+49151{:08d}"), ("GB", "+447700{:06d}"), ("FR", "+336{:08d}"),
             ("NL", "+3161{:07d}")]


def people(n: int) -> pd.DataFrame:
    rows = []
    for i in range(n):
        country, pattern = COUNTRIES[i % len(COUNTRIES)]
        rows.append({"person_id": f"p{i}", "email": f"person.{i}@acme{i % 997}.example", "country": country,
                     "phone": pattern.format(i % 10_000_000) if i % 4 else None, "job_title": "VP Sales",
                     "company": f"Acme {i % 997}", "employees": 200, "lead_source": "vendor", "from_form": i % 10 == 0,
                     "email_consent": True if i % 10 == 0 else None, "submitted_at": "2026-11-30T10:00:00Z",
                     "linkedin_url": f"https://www.linkedin.com/in/person-{i}" if i % 3 == 0 else None,
                     "preferred_channel": "phone" if i % 10 == 0 else None})
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=200_000)
    args = parser.parse_args()
    cfg = load_config()
    df = people(args.people)
    now = datetime.now(UTC)
    t0 = time.perf_counter()
    dec = decide_frame(df, cfg, Context(SuppressionLists(), None, now))
    t1 = time.perf_counter()
    keep = (dec["outcome"] == "prospect").to_numpy()  # as the stage: readiness is decided for prospects
    chan = channels_frame(df, dec, cfg, {}, now.date(), now.isoformat(), only=keep)
    t2 = time.perf_counter()
    result = {"benchmark": "channels", "people": args.people, "prospects": int(keep.sum()),
              "prospects_with_phone": int((keep & df["phone"].notna().to_numpy()).sum()), "decide_frame_seconds": round(t1 - t0, 2),
              "channels_frame_seconds": round(t2 - t1, 2), "ratio_channels_to_decisions": round((t2 - t1) / (t1 - t0), 2),
              "phones_callable": int(chan["phone_callable"].astype(bool).sum()),
              "email_sendable": int(chan["email_sendable"].astype(bool).sum()),
              "at": now.isoformat(timespec="seconds"), "machine": "2 cores, shared by up to 8 sessions"}
    out = ROOT / "bench" / "results" / f"channels-{now:%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    print(f"written {out}")


if __name__ == "__main__":
    main()
