"""What a push would do for a run's prospects, sending nothing (`leadpipe push --dry-run`).

The plan is stored (push_plans, dry_run) so it can be compared with what the nightly push later does.
Real pushes run in the nightly DAG's push task (leadpipe.pipeline.push.push).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from leadpipe.pipeline.context import run_folder
from leadpipe.pipeline.push import make_plan, make_sink, prospect_records, store_plan
from leadpipe.pipeline.settings import Config
from leadpipe.store.warehouse import engine_for, migrate

ACTIONS = ("create", "update", "skip", "review")


class CannotPreview(Exception):
    """A push cannot be planned; the message says what to fix."""


class NoProspects(CannotPreview):
    """There is no prospects file to plan from (no run yet, or the named run has none)."""


class SinkNotReady(CannotPreview):
    """The configured sink cannot be set up or cannot plan (bad settings, missing credentials, no access)."""


@dataclass(frozen=True)
class PushPreview:
    run_id: str
    sink_name: str
    plan: list  # leadpipe.pipeline.push PlannedPush, in prospect order

    def of(self, action: str) -> list:
        return [p for p in self.plan if p.action == action]


def preview_push(cfg: Config, run_id: str | None = None) -> PushPreview:
    """Plan the push of run `run_id`'s prospects (default: the newest run) and store the plan as a dry run.

    Raises NoProspects when there is nothing to plan, SinkNotReady when the sink cannot plan."""
    files = sorted(cfg.runs_dir.glob("*/prospects.parquet"), key=lambda p: p.stat().st_mtime)
    if run_id is not None:
        files = [run_folder(cfg, run_id) / "prospects.parquet"]
    if not files or not files[-1].exists():
        raise NoProspects(f"no prospects found under {cfg.runs_dir}; run the pipeline first")
    path = files[-1]
    migrate(cfg.warehouse_url)
    engine = engine_for(cfg.warehouse_url)
    records = prospect_records(pd.read_parquet(path))
    try:
        sink = make_sink(cfg.sink, engine, path.parent, cfg.redis_url)  # the lookups share the CRM budget
        plan = make_plan(sink, engine, records)
    except (ValueError, NotImplementedError, RuntimeError) as exc:  # what sinks raise for setup problems
        raise SinkNotReady(str(exc)) from exc
    store_plan(engine, path.parent.name, sink.name, plan, dry_run=True)
    return PushPreview(path.parent.name, sink.name, plan)


def format_preview(preview: PushPreview, show: int = 10) -> str:
    """The counts per action, then up to `show` planned records per action that changes something."""
    lines = [(f"dry run for {len(preview.plan)} prospects of run {preview.run_id} -> {preview.sink_name} CRM "
             "(nothing sent):")]
    lines += [f"  {action:<7} {len(preview.of(action))}" for action in ACTIONS]
    for action in ("create", "update", "review"):
        rows = preview.of(action)[:show]
        if rows:
            lines.append(f"{action}:")
            lines += [f"  {p.person_id}  {p.reason}" + (f"  (CRM id {p.crm_id})" if p.crm_id else "") for p in rows]
    return "\n".join(lines)
