"""`leadpipe push --dry-run`: show (and store) what a push would do for the current prospects, sending nothing."""

from __future__ import annotations

from collections import Counter

import click
import pandas as pd


@click.command("push")
@click.option("--dry-run", is_flag=True, help="Plan only: print and store the plan, write nothing to the CRM.")
@click.option("--run", "run_id", default=None, help="Run whose prospects to plan (default: the newest run).")
@click.option("--show", default=10, show_default=True, help="How many planned records to list per action.")
@click.pass_context
def push_command(ctx: click.Context, dry_run: bool, run_id: str | None, show: int) -> None:
    """Plan a CRM push for the current prospects (create / update / skip / review)."""
    from leadpipe.pipeline.push import make_plan, make_sink, store_plan
    from leadpipe.cli import _config
    from leadpipe.core.schema import PROSPECT_FIELDS
    from leadpipe.pipeline.stages import _missing, _plain, run_folder as run_dir
    from leadpipe.store.warehouse import engine_for, migrate

    if not dry_run:
        raise click.UsageError("real pushes run in the nightly DAG (push task); use --dry-run to see the plan")
    cfg = _config(ctx.obj["config"])
    files = sorted(cfg.runs_dir.glob("*/prospects.parquet"), key=lambda p: p.stat().st_mtime)
    if run_id is not None:
        files = [run_dir(cfg, run_id) / "prospects.parquet"]
    if not files or not files[-1].exists():
        raise click.ClickException(f"no prospects found under {cfg.runs_dir}; run the pipeline first")
    path = files[-1]
    migrate(cfg.warehouse_url)
    engine = engine_for(cfg.warehouse_url)
    df = pd.read_parquet(path)
    records = [{f: (None if _missing(r.get(f)) else _plain(r.get(f))) for f in PROSPECT_FIELDS}
               for r in df.to_dict("records")]
    try:
        sink = make_sink(cfg.sink, engine, path.parent)
        plan = make_plan(sink, engine, records)
    except (ValueError, NotImplementedError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from None
    store_plan(engine, path.parent.name, sink.name, plan, dry_run=True)
    counts = Counter(p.action for p in plan)
    click.echo(f"dry run for {len(plan)} prospects of run {path.parent.name} -> {sink.name} CRM (nothing sent):")
    for action in ("create", "update", "skip", "review"):
        click.echo(f"  {action:<7} {counts[action]}")
    for action in ("create", "update", "review"):
        rows = [p for p in plan if p.action == action][:show]
        if rows:
            click.echo(f"{action}:")
            for p in rows:
                click.echo(f"  {p.person_id}  {p.reason}" + (f"  (CRM id {p.crm_id})" if p.crm_id else ""))
