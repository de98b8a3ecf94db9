"""A grown export: N rows ingested by a first run, then the same file with M rows appended by a second run.

Form dumps and cumulative vendor files come back whole every time. The second run should store only the M new
rows and send no CRM update for anyone who was already there; before row hashes it re-ingested all N + M
(issue 17: 83 s for 70,000 + 1,000, raw rows doubled, CRM updates for unchanged people).

    .venv/bin/python bench/append_bench.py --rows 70000 --append 1000

The rows are the demo generator's Apollo-format vendor list (one source, the default config otherwise, the
local CRM sink); the file is cut to N rows and then to N + M rows, so the second version starts with the
first's bytes. Each run is `leadpipe run` in-process (all stages, one process), timed whole and per stage.
Writes bench/results/append-<date>T<time>.json. Prints what each run stored and what the push planned.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
ROWS_PER_PERSON_APOLLO = 0.52  # demo generator: 400 people -> 208 Apollo rows


def _vendor_rows(data_dir: Path, rows: int) -> tuple[str, list[str]]:
    """Header and at least `rows` lines of a generated Apollo list (generated once per size, kept)."""
    from leadpipe.demo.generator import generate  # the generator only when the data is not there yet

    target = data_dir / f"apollo_{rows}"
    apollo = target / "vendor_apollo.csv"
    if not apollo.exists():
        generate(target, people=int(rows / ROWS_PER_PERSON_APOLLO * 1.05) + 100, seed=11)
    with apollo.open(encoding="utf-8", newline="") as fh:
        lines = fh.read().splitlines(keepends=True)
    header, body = lines[0], lines[1:]
    if len(body) < rows:
        raise SystemExit(f"{apollo}: {len(body)} rows, {rows} wanted; delete it to generate more")
    return header, body


def _config(home: Path) -> Path:
    import yaml  # pyyaml comes with the project; the bench's config is the default with one source

    from leadpipe.pipeline.settings import DEFAULT_CONFIG

    data = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    data["sources"] = [{"name": "vendor_apollo", "type": "file", "kind": "purchased",
                        "path": "{home}/inputs/cumulative_export.csv", "preset": "apollo"}]
    data["suppression"]["do_not_contact_files"] = []  # the demo's list belongs to the demo inputs
    data["suppression"].pop("national_dnc_registry", None)
    path = home / "leadpipe.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _run(run_id: str) -> dict:
    from sqlalchemy import func, select

    from leadpipe.pipeline.run import run_pipeline
    from leadpipe.pipeline.settings import load_config
    from leadpipe.store.warehouse import engine_for, push_plans, raw_rows

    cfg = load_config()
    start = time.perf_counter()
    summary = run_pipeline(cfg, run_id)
    wall = time.perf_counter() - start
    with engine_for(cfg.warehouse_url).connect() as conn:
        stored = conn.execute(select(func.count()).select_from(raw_rows).where(raw_rows.c.run_id == run_id)).scalar()
        total = conn.execute(select(func.count()).select_from(raw_rows)).scalar()
        plan = dict(conn.execute(select(push_plans.c.action, func.count()).where(push_plans.c.run_id == run_id)
                                 .group_by(push_plans.c.action)).all())
    return {"run_id": run_id, "wall_seconds": round(wall, 2), "stage_seconds": summary["stage_seconds"],
            "raw_rows_stored": stored, "raw_rows_in_warehouse": total,
            "already_ingested": summary.get("already_ingested"), "push_plan": plan,
            "pushed": summary["funnel"]["pushed"], "source_errors": summary["source_errors"],
            "rejected_batches": summary["rejected_batches"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=70_000, help="rows of the first version")
    parser.add_argument("--append", type=int, default=1_000, help="rows appended for the second run")
    parser.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "leadpipe-bench-append")
    args = parser.parse_args()
    header, body = _vendor_rows(args.data_dir, args.rows + args.append)
    home = Path(tempfile.mkdtemp(prefix="leadpipe-append-"))
    os.environ.update(LEADPIPE_HOME=str(home), LEADPIPE_CONFIG=str(_config(home)))
    os.environ.pop("LEADPIPE_WAREHOUSE_URL", None)
    export = home / "inputs" / "cumulative_export.csv"
    export.parent.mkdir(parents=True)
    export.write_text(header + "".join(body[: args.rows]), encoding="utf-8")
    first = _run("append-bench-1")
    export.write_text(header + "".join(body[: args.rows + args.append]), encoding="utf-8")
    second = _run("append-bench-2")
    result = {"bench": "append", "rows": args.rows, "appended": args.append, "home": str(home),
              "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
              "first_run": first, "second_run": second,
              "when": datetime.now(UTC).isoformat(timespec="seconds")}
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"append-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    for name, r in (("first run", first), ("second run", second)):
        print(f"{name}: {r['wall_seconds']} s, {r['raw_rows_stored']:,} rows stored "
              f"({r['already_ingested'] or 0:,} already ingested, skipped), {r['raw_rows_in_warehouse']:,} raw rows "
              f"in the warehouse; push plan {r['push_plan']}; ingest {r['stage_seconds'].get('ingest')} s")
    print(f"results: {out}")


if __name__ == "__main__":
    main()
