"""One HubSpot push in its own process, on the shared CRM request budget (used by tests/test_crm_budget.py).

    python -m tests.budget_push EMULATOR_URL TOKEN WAREHOUSE_URL REDIS_URL|- FIRST N START_AT
Waits until the wall-clock time START_AT so that two of these start sending at the same moment.
"""

from __future__ import annotations

import sys
import time

from connectors.sinks.base import plan_pushes
from connectors.sinks.hubspot.settings import HubSpotSettings
from connectors.sinks.hubspot.sink import HubSpotSink, budget_key
from connectors.sinks.settings import SinkSettings
from leadpipe.store.request_budget import shared_limiter_factory

BUDGET, WINDOW = 19, 1.0  # the test's small budget: 19 requests per rolling second (HubSpot's is 190 / 10 s)


def main(host: str, token: str, warehouse: str, redis_url: str, first: int, n: int, start_at: float) -> None:
    settings = HubSpotSettings(host=host, batch_size=5, concurrency=2)
    limiter = shared_limiter_factory(warehouse, "" if redis_url == "-" else redis_url)(
        budget_key(settings), BUDGET, WINDOW)
    sink = HubSpotSink(settings, token, SinkSettings().mapping_for("hubspot"), window=WINDOW, limiter=limiter)
    records = [{"person_id": f"p{i:05d}", "email": f"person{i}@co{i % 7}.example", "first_name": "Ann",
                "last_name": f"L{i}", "company": f"Co {i % 7}", "domain": f"co{i % 7}.example", "score": 50,
                "tier": "B"} for i in range(first, first + n)]
    time.sleep(max(start_at - time.time(), 0))
    results = sink.write(plan_pushes(records, {}), "budget-test")
    confirmed = sum(r.outcome == "confirmed" for r in results)
    print(f"confirmed {confirmed} of {n}; waited {limiter.waited:.2f}s for the budget")
    if confirmed != n:
        sys.exit(1)


if __name__ == "__main__":
    a = sys.argv[1:]
    main(a[0], a[1], a[2], a[3], int(a[4]), int(a[5]), float(a[6]))
