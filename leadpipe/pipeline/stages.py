"""The pipeline's stages, in order: the one list the `leads_nightly` DAG and `leadpipe run` both follow.

Each stage is one function in its own module taking a RunContext: it reads its input from the run folder or
the warehouse, writes its output there (Parquet), and returns the path, so tasks hand each other paths, never
data. Rows that leave the flow get their outcome in the ledger at the stage that decided it.

`over` says what a stage is mapped over: the whole run, each configured source, each normalise batch, or each
dedupe partition. The DAG makes one task (or one mapped task) per stage, named as here
(tests/test_dag_contracts.py checks it), and `leadpipe.pipeline.run` calls the same functions in this order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from leadpipe.pipeline.context import BatchRejected, RunContext, run_folder
from leadpipe.pipeline.crm_feedback import crm_feedback
from leadpipe.pipeline.dedupe import dedupe_merge, dedupe_plan, dedupe_score
from leadpipe.pipeline.enrich import enrich
from leadpipe.pipeline.gate import PROSPECTS_GATE, validate_prospects
from leadpipe.pipeline.ingest import ingest_source
from leadpipe.pipeline.normalise import batch_label, normalise_part, parts_of, plan_batches
from leadpipe.pipeline.push import push
from leadpipe.pipeline.qualify import qualify
from leadpipe.pipeline.summarise import summarise
from leadpipe.pipeline.validate import validate_batch, validate_source
from leadpipe.store import ledger
from leadpipe.store.warehouse import migrate

log = logging.getLogger("leadpipe")

__all__ = [
    "PROSPECTS_GATE",
    "STAGES",
    "BatchRejected",
    "RunContext",
    "Stage",
    "batch_label",
    "crm_feedback",
    "dedupe_merge",
    "dedupe_plan",
    "dedupe_score",
    "enrich",
    "ingest_source",
    "normalise_part",
    "parts_of",
    "plan_batches",
    "push",
    "qualify",
    "run_folder",
    "start",
    "summarise",
    "validate_batch",
    "validate_prospects",
    "validate_source",
]


def start(ctx: RunContext, *, new: bool = False) -> list[str]:
    """Migrate the warehouse, register the run, and return the source names to map over.

    `new` (the in-process `leadpipe run`) refuses a run id already in the warehouse or with a run folder, so
    an earlier run's outcomes and files are never rewritten; the DAG's task leaves it off because Airflow
    retries a task under the same run id.
    """
    if new and ctx.folder.exists() and any(ctx.folder.iterdir()):
        raise ledger.RunIdTaken(f"run id {ctx.run_id!r} is already used by an earlier run (its run folder "
                                f"{ctx.folder} exists); run ids are never reused (leave out --run-id for a "
                                "fresh one)")
    migrate(ctx.cfg.warehouse_url)
    ledger.start_run(ctx.engine, ctx.run_id, new=new)
    ctx.folder.mkdir(parents=True, exist_ok=True)
    return [s.name for s in ctx.cfg.sources]


@dataclass(frozen=True)
class Stage:
    name: str  # the task id in leads_nightly
    run: Callable  # the one function the DAG task and `leadpipe run` call
    over: Literal["run", "source", "batch", "partition"]


STAGES: tuple[Stage, ...] = (
    Stage("start", start, "run"),
    Stage("ingest", ingest_source, "source"),
    Stage("plan_batches", plan_batches, "run"),
    Stage("normalise", normalise_part, "batch"),
    Stage("validate", validate_source, "source"),
    Stage("dedupe", dedupe_plan, "run"),
    Stage("score_pairs", dedupe_score, "partition"),
    Stage("cluster_people", dedupe_merge, "run"),
    Stage("enrich", enrich, "run"),
    Stage("crm_feedback", crm_feedback, "run"),
    Stage("qualify", qualify, "run"),
    Stage("validate_prospects", validate_prospects, "run"),
    Stage("push", push, "run"),
    Stage("summarise", summarise, "run"),
)
STAGE = {s.name: s.run for s in STAGES}
