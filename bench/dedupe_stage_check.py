"""The pipeline's dedupe stage, old code vs new: same people, membership and evidence? And how long, how big?

Runs the dedupe stage (dedupe_plan, two dedupe_score partitions, dedupe_merge, each in its own process as
Airflow runs them) twice on the same generated leads: once with the code of a git ref (`--base`, exported to a
temporary folder) and once with the working tree. Two runs per side: the first ingests the two vendor lists
into an empty warehouse, the second the web forms, whose people mostly exist already, so the incremental
path (candidate people loaded from the warehouse, golden records updated) is compared too. Afterwards the
warehouse's people and membership, the merged outcomes, resolved.parquet and the review list of both sides
must be equal, JSON columns as the text stored (on PostgreSQL, as psycopg2 parses and we re-encode them).

    .venv/bin/python bench/dedupe_stage_check.py --leads 50000 --base main
    .venv/bin/python bench/dedupe_stage_check.py --leads 50000 --base main --warehouse postgresql

Prints, per side and step, wall time and peak RSS (kernel rusage of the step's process), then the verdict;
exit 1 when anything differs. `--only new` skips the comparison and just times the working tree.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
PG_ADMIN = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
RUN_SOURCES = (("vendor_apollo", "vendor_zoominfo"), ("web_forms",))  # run 1, run 2 (incremental)


# ---------------------------------------------------------------- child: one step of one run


def child(step: str, run_id: str) -> None:
    import resource

    from leadpipe.pipeline import stages
    from leadpipe.pipeline.settings import load_config

    ctx = stages.RunContext(load_config(), run_id)
    ctx.engine  # noqa: B018 - connected before the clock starts, as in a worker
    before = resource.getrusage(resource.RUSAGE_SELF)
    if step == "upstream":  # start -> validate, in-process, sources in order (deterministic raw row ids)
        sources = stages.start(ctx)
        ingested = [stages.ingest_source(ctx, s) for s in sources]
        planned = stages.plan_batches(ctx, ingested)
        normalised = [stages.normalise_part(ctx, b) for b in planned]
        for s in sources:
            try:
                stages.validate_source(ctx, s, planned, normalised)
            except stages.BatchRejected:
                pass
        out = None
    elif step == "plan":
        out = stages.dedupe_plan(ctx)
    elif step.startswith("score"):
        out = stages.dedupe_score(ctx, int(step.removeprefix("score")))
    elif step == "merge":
        pairs = json.loads(os.environ["CHECK_PAIRS"])
        out = stages.dedupe_merge(ctx, pairs)
    else:
        raise SystemExit(f"unknown step {step}")
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    print(json.dumps({"result": out, "stage_cpu_s": round(cpu, 2)}, default=str))


# ---------------------------------------------------------------- parent


def run_step(tree: Path, env: dict, step: str, run_id: str, profile: Path | None = None
             ) -> tuple[object, float, float]:
    """Run one step in a fresh interpreter with the code in `tree`: (its result, CPU seconds of the stage
    function alone (imports left out), peak RSS MiB of the process)."""
    args = [sys.executable]
    if profile is not None:
        args += ["-m", "cProfile", "-o", str(profile)]
    args += [str(Path(__file__).resolve()), "--child", step, "--run-id", run_id]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(args, env={**env, "PYTHONPATH": str(tree)}, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        out.seek(0)
        err.seek(0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"{step} of {run_id} failed with the code in {tree}:\n{err.read()[-3000:]}")
        lines = out.read().strip().splitlines()
    done = json.loads(lines[-1])
    return done["result"], done["stage_cpu_s"], usage.ru_maxrss / 1024


def side(name: str, tree: Path, inputs: Path, work: Path, warehouse: str, profile: bool, runs: int = 2,
         stop_before_merge: bool = False) -> dict:
    """Both runs with the code in `tree`; returns timings and where the outputs are."""
    home = work / name
    shutil.rmtree(home, ignore_errors=True)
    (home / "inputs" / "demo").mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if k not in ("LEADPIPE_CONFIG", "LEADPIPE_WAREHOUSE_URL")}
    env["LEADPIPE_HOME"] = str(home)
    env["LEADPIPE_CONFIG"] = str(REPO / "config" / "leadpipe.yaml")
    if warehouse == "postgresql":
        url = _fresh_pg(f"dedupestage_check_{name}")
        env["LEADPIPE_WAREHOUSE_URL"] = url
    timings = {}
    for n, sources in enumerate(RUN_SOURCES[:runs], start=1):
        for src in sources:
            for f in sorted(inputs.glob(f"{src}*.csv")):
                (home / "inputs" / "demo" / f.name).symlink_to(f)
        run_id = f"check_{n}"
        run_step(tree, env, "upstream", run_id)
        prof = {s: work / f"{name}_{run_id}_{s}.prof" if profile else None for s in ("plan", "merge")}
        parts, cpu_plan, rss_plan = run_step(tree, env, "plan", run_id, prof["plan"])
        paths, cpu_score, rss_score = [], 0.0, 0.0
        for p in parts:
            path, c, r = run_step(tree, env, f"score{p}", run_id)
            paths.append(path)
            cpu_score, rss_score = cpu_score + c, max(rss_score, r)
        if stop_before_merge:
            print(f"  stopped before the merge of {run_id}; pairs: {json.dumps(paths)}; home: {home}")
            return {"home": home, "timings": {}}
        _, cpu_merge, rss_merge = run_step(tree, {**env, "CHECK_PAIRS": json.dumps(paths)}, "merge", run_id,
                                           prof["merge"])
        timing = home / "runs" / run_id / "timings"
        inside = {p.stem.removeprefix("dedupe."): json.loads(p.read_text())["seconds"]
                  for p in timing.glob("dedupe.*.json")}
        t = {"plan": {"in_stage_s": inside.get("plan"), "cpu_s": round(cpu_plan, 2), "rss_mib": round(rss_plan)},
             "score": {"in_stage_s": round(sum(v for k, v in inside.items() if k.startswith("score")), 2),
                       "cpu_s": round(cpu_score, 2), "rss_mib": round(rss_score)},
             "merge": {"in_stage_s": inside.get("merge"), "cpu_s": round(cpu_merge, 2), "rss_mib": round(rss_merge)}}
        timings[run_id] = t
        print(f"  {name:<5} {run_id}: " + ", ".join(
            f"{k} {v['in_stage_s']:.2f} s wall, {v['cpu_s']:.2f} s CPU in stage, peak {v['rss_mib']} MiB"
            for k, v in t.items()), flush=True)
    return {"home": home, "url": env.get("LEADPIPE_WAREHOUSE_URL", f"sqlite:///{home}/warehouse.db"),
            "timings": timings}


def _fresh_pg(db: str) -> str:
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{db}"'))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{db}"


def _drop_pg(db: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
    admin.dispose()


def outputs(s: dict) -> dict:
    """Everything the dedupe stage writes, as comparable frames (JSON parsed, rows in key order)."""
    import pandas as pd
    from sqlalchemy import create_engine

    def parsed(frame: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
        """JSON columns as their stored text (psycopg2 hands json values over parsed: encoded back, keys kept in
        order), so the comparison is of the very text written."""
        for c in cols:
            frame[c] = [v if isinstance(v, str) or v is None else json.dumps(v, separators=(",", ":"),
                                                                            ensure_ascii=False) for v in frame[c]]
        return frame

    eng = create_engine(s["url"])
    with eng.connect() as conn:
        people = pd.read_sql("SELECT person_id, email, first_name, last_name, company, company_key, domain, "
                             "record, provenance, created_run_id, updated_run_id FROM people ORDER BY person_id",
                             conn)
        member = pd.read_sql("SELECT raw_row_id, person_id, run_id, rule, match_score, evidence FROM membership "
                             "ORDER BY raw_row_id", conn)
        merged = pd.read_sql("SELECT run_id, raw_row_id, outcome, reason, person_id FROM outcomes "
                             "WHERE outcome = 'merged' ORDER BY run_id, raw_row_id", conn)
    eng.dispose()
    out = {"people": parsed(people, ["record", "provenance"]), "membership": parsed(member, ["evidence"]),
           "merged outcomes": merged}
    for run_id in s["timings"]:
        folder = s["home"] / "runs" / run_id
        out[f"{run_id}/resolved.parquet"] = pd.read_parquet(folder / "resolved.parquet")
        review = folder / "dedupe_review.parquet"
        out[f"{run_id}/dedupe_review.parquet"] = pd.read_parquet(review) if review.exists() else pd.DataFrame()
    return out


def compare(a: dict, b: dict) -> list[str]:
    import pandas as pd

    problems = []
    for key, old in a.items():
        x, y = old.reset_index(drop=True), b[key].reset_index(drop=True)
        try:
            pd.testing.assert_frame_equal(x, y, check_dtype=False, check_exact=True)
        except AssertionError as exc:
            problems.append(f"{key}: {str(exc).splitlines()[0:6]}")
        else:
            print(f"  same {key}: {len(x):,} rows")
    return problems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--leads", type=int, default=50_000)
    ap.add_argument("--base", default="main", help="git ref of the old code (default main)")
    ap.add_argument("--git-repo", type=Path, default=REPO,
                    help="the git repository --base is read from (default: this checkout's)")
    ap.add_argument("--warehouse", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--only", choices=["new", "base"], help="time one side only, no comparison")
    ap.add_argument("--runs", type=int, choices=[1, 2], default=2, help="1: the first (non-incremental) run only")
    ap.add_argument("--stop-before-merge", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--profile", action="store_true", help="cProfile the plan and merge steps (files in --work)")
    ap.add_argument("--data-dir", type=Path, default=REPO / ".leadpipe" / "bench-data")
    ap.add_argument("--work", type=Path, default=None, help="folder for the homes (default: a temporary one)")
    ap.add_argument("--out", type=Path, default=None, help="write timings and the verdict as JSON here")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--run-id", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        child(a.child, a.run_id)
        return 0
    from pipeline_bench import prepare_inputs

    inputs, _ = prepare_inputs(a.data_dir, a.leads)
    work = a.work or Path(tempfile.mkdtemp(prefix="dedupe-stage-check-"))
    work.mkdir(parents=True, exist_ok=True)
    base_tree = work / "base-tree"
    sides = {}
    try:
        if a.only != "new":
            shutil.rmtree(base_tree, ignore_errors=True)
            base_tree.mkdir()
            archive = subprocess.run(["git", "-C", str(a.git_repo), "archive", a.base], check=True, capture_output=True)
            subprocess.run(["tar", "-x", "-C", str(base_tree)], input=archive.stdout, check=True)
            sides["base"] = side("base", base_tree, inputs, work, a.warehouse, a.profile, a.runs)
        if a.only != "base":
            sides["new"] = side("new", REPO, inputs, work, a.warehouse, a.profile, a.runs, a.stop_before_merge)
            if a.stop_before_merge:
                return 0
        problems = None
        if len(sides) == 2:
            problems = compare(outputs(sides["base"]), outputs(sides["new"]))
            print("SAME PEOPLE, MEMBERSHIP AND EVIDENCE" if not problems else "DIFFERENT:\n  " + "\n  ".join(problems))
        if a.out:
            a.out.write_text(json.dumps({"leads": a.leads, "base": a.base, "warehouse": a.warehouse,
                                         "timings": {k: v["timings"] for k, v in sides.items()},
                                         "differences": problems}, indent=2) + "\n")
        return 1 if problems else 0
    finally:
        if a.warehouse == "postgresql":
            for name in sides:
                _drop_pg(f"dedupestage_check_{name}")
        if a.work is None and not a.stop_before_merge:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
