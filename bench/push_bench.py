"""Push throughput against the HubSpot emulator at a plan's burst limit (default Professional: 190 / 10 s).

Runs the real HubSpotSink (official hubspot-api-client, shared rolling-window budget) against the local emulator,
which enforces the same limit and answers 429 if we exceed it. Reports records/s as a ratio of the limit's
records/s (requests per second x 100 contacts per batch upsert), overall and in steady state (after the first
window, whose full burst would otherwise flatter short runs). Results: bench/results/push_<ts>.json + push_latest.md.

    python bench/push_bench.py --records 60000            # full size (~35 s per mode)
    python bench/push_bench.py --records 6000 --window 1  # quick, time scaled down 10x
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from connectors.sinks.base import plan_pushes
from connectors.sinks.hubspot.settings import HubSpotSettings
from connectors.sinks.hubspot.sink import HubSpotSink
from connectors.sinks.settings import SinkSettings
from tests.emulators.hubspot import Hostile, HubSpotEmulator

RESULTS = Path(__file__).resolve().parent / "results"


def records(n: int, per_company: int) -> list[dict]:
    return [{"person_id": f"p{i:07d}", "email": f"person{i}@co{i // per_company}.example", "first_name": "Ann",
             "last_name": f"L{i}", "company": f"Co {i // per_company}", "domain": f"co{i // per_company}.example",
             "job_title": "VP Sales", "score": 40 + i % 60, "tier": "B", "market": "dach", "seniority": "vp",
             "lead_source": "vendor"} for i in range(n)]


def run_mode(name: str, recs: list[dict], limit: int, window: float, refuse_every: int, **settings: object) -> dict:
    # one bad record per `refuse_every` batches: HubSpot refuses its whole batch (400), as integrators report,
    # and answers without echoing keys, so the sink bisects and matches results by read-back
    emu = HubSpotEmulator(burst=limit, window=window, hostile=Hostile(whole_batch=400, echo=False)).start()
    if refuse_every:
        for i in range(37, len(recs), 100 * refuse_every):
            emu.reject[recs[i]["email"]] = ("INVALID_EMAIL", f"Email address {recs[i]['email']} is invalid")
    try:
        sink = HubSpotSink(HubSpotSettings(host=emu.url, requests_per_10s=limit, **settings), "pat-na1-test",
                           SinkSettings().mapping_for("hubspot"), window=window)
        sink.ensure_properties()
        emu.accepted_times.clear()
        started = time.monotonic()
        existing = sink.lookup([r["email"] for r in recs]) if settings.get("match_existing") else None
        results = sink.write(plan_pushes(recs, {}, existing), "bench")
        elapsed = time.monotonic() - started
    finally:
        emu.stop()
    ok = sum(r.outcome == "confirmed" for r in results)
    refused = sum(r.outcome == "refused" for r in results)
    assert ok + refused == len(recs) and refused == len(emu.reject), (ok, refused, len(emu.reject))
    calls = len(emu.accepted_times)
    limit_rps = limit / window
    steady = [t for t in emu.accepted_times if t >= started + window]
    steady_span = (emu.accepted_times[-1] - (started + window)) if steady else 0
    out = {
        "mode": name, "records": len(recs), "confirmed": ok, "refused": refused, "batch_splits": sink.stats.splits,
        "read_backs": sink.stats.read_backs, "seconds": round(elapsed, 2), "requests": calls,
        "requests_429": sink.stats.rate_limited, "records_per_s": round(ok / elapsed, 1),
        "limit_records_per_s": limit_rps * 100, "ratio_of_limit": round(ok / elapsed / (limit_rps * 100), 3),
        "request_ratio_steady": round(len(steady) / steady_span / limit_rps, 3) if steady_span > 0 else None,
        "max_requests_in_any_window": emu.max_in_any_window(),
    }
    print(json.dumps(out))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=60000)
    ap.add_argument("--limit", type=int, default=190, help="requests per window (HubSpot Professional: 190)")
    ap.add_argument("--window", type=float, default=10.0, help="seconds; <10 scales time down for quick runs")
    ap.add_argument("--per-company", type=int, default=20)
    ap.add_argument("--refuse-every", type=int, default=50, help="one batch in N holds a bad record (0: none)")
    args = ap.parse_args()
    recs = records(args.records, args.per_company)
    run = (args.limit, args.window, args.refuse_every)
    modes = [
        run_mode("contacts only", recs, *run, associate_companies=False, match_existing=False),
        run_mode("contacts + companies + associations", recs, *run, match_existing=False),
        run_mode("+ read existing (match_existing)", recs, *run, match_existing=True),
    ]
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    cmd = "python bench/push_bench.py " + " ".join(sys.argv[1:])
    (RESULTS / f"push_{stamp}.json").write_text(json.dumps({"command": cmd, "modes": modes}, indent=2))
    lines = [f"# push benchmark ({stamp})", "", f"`{cmd}`", "",
             ("| mode | records | refused | splits | read-backs | s | requests | 429s | rec/s | ratio of limit rec/s "
              "| steady req ratio | max req/window |"),
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    lines += [f"| {m['mode']} | {m['records']} | {m['refused']} | {m['batch_splits']} | {m['read_backs']} | "
              f"{m['seconds']} | {m['requests']} | {m['requests_429']} | "
              f"{m['records_per_s']} | {m['ratio_of_limit']} | {m['request_ratio_steady']} | "
              f"{m['max_requests_in_any_window']} |" for m in modes]
    (RESULTS / "push_latest.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
