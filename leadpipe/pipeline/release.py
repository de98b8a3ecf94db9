"""`leadpipe release SOURCE@RUN_ID`: judge a stopped source batch again under today's thresholds.

A critical check (leadpipe.pipeline.validate) stops a source's whole batch: every row is quarantined as
'batch stopped' and nothing of it reaches a person or a CRM. When the threshold was too strict (a vendor
whose lists always carry 85% valid emails, a volume drop that was expected), relaxing it in the config does
not help the batch already stopped. Release rebuilds the batch from the warehouse (its raw rows, mapped and
normalised as the pipeline does), runs both of validate's suites on it with the thresholds in force now and
the volume history the batch was judged on then, and:

- passes: records the release; the next run of the source (the nightly DAG or `leadpipe run`) carries the
  rows on with its own, through every stage after ingest (validation included) and gives them their
  outcomes; the stopping run keeps its record of the stop. Nothing is sent anywhere by the command itself.
- fails: says which checks still fail, in the suites' words, and changes nothing.

The batch is named exactly, SOURCE@RUN_ID as `leadpipe release` with no id lists them; an empty id, a
source alone or anything that is not exactly one stopped batch is refused, and `--dry-run` judges without
recording.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import IntegrityError

from connectors.sources.base import RawRecord
from connectors.sources.mapping import record_headers
from enrichment.normalise import normalise_frame
from expectations.normalised_leads import NormalisedLeadsThresholds, build_normalised_leads_suite
from expectations.raw_batch import build_raw_batch_suite
from leadpipe.pipeline.ingest import source_config, unit_mapping
from leadpipe.pipeline.settings import Config, SourceConfig
from leadpipe.pipeline.volume_history import source_volume_history
from leadpipe.store import ledger
from leadpipe.store.warehouse import STOPPED, batch_releases, engine_for, migrate, quarantine, raw_rows, runs

log = logging.getLogger("leadpipe")


class ReleaseRefused(ValueError):
    """The batch id is empty, ambiguous or names no stopped batch; nothing was changed."""


@dataclass(frozen=True)
class StoppedBatch:
    source: str
    run_id: str
    rows: int
    reason: str
    released_at: object = None  # datetime once released
    carried_run_id: str | None = None

    @property
    def batch_id(self) -> str:
        return f"{self.source}@{self.run_id}"

    def describe(self) -> str:
        if self.released_at is None:
            state = "stopped"
        elif self.carried_run_id:
            state = f"released, carried on by run {self.carried_run_id}"
        else:
            state = "released, waiting for the next run"
        return f"{self.batch_id}  ({self.rows:,} rows, {state}): {self.reason}"


@dataclass(frozen=True)
class Verdict:
    batch: StoppedBatch
    failures: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def passes(self) -> bool:
        return not self.failures

    def describe(self) -> str:
        b = self.batch
        if not self.passes:
            lines = [f"{b.batch_id} still fails today's checks and stays stopped ({b.rows:,} rows):"]
            lines += [f"  - {f}" for f in self.failures]
            lines.append("Nothing was changed. Relax the threshold in the config (validation:) if the batch is "
                         "good, or leave it stopped.")
            return "\n".join(lines)
        if self.dry_run:
            return (f"{b.batch_id} passes today's checks ({b.rows:,} rows). Dry run: nothing was changed; "
                    "without --dry-run the next run of the source would carry it on.")
        return (f"{b.batch_id} released: its {b.rows:,} rows pass today's checks. The next run of {b.source} "
                "(the nightly DAG or `leadpipe run`) carries them on through every stage and gives them outcomes.")


Evaluator = Callable[[Config, Engine, StoppedBatch], list[str]]


def stopped_batches(engine: Engine) -> list[StoppedBatch]:
    """Every source batch a critical check stopped, oldest run first, with its release if any."""
    rows = select(quarantine.c.run_id, quarantine.c.source, func.count().label("rows"),
                  func.min(quarantine.c.reason).label("reason")).where(
        quarantine.c.check_name == STOPPED).group_by(quarantine.c.run_id, quarantine.c.source).subquery()
    query = (select(rows, batch_releases.c.released_at, batch_releases.c.carried_run_id, runs.c.started_at)
             .outerjoin(batch_releases, (batch_releases.c.run_id == rows.c.run_id)
                        & (batch_releases.c.source == rows.c.source))
             .outerjoin(runs, runs.c.run_id == rows.c.run_id)
             .order_by(runs.c.started_at, rows.c.run_id, rows.c.source))
    with engine.connect() as conn:
        return [StoppedBatch(r.source, r.run_id, r.rows, r.reason, r.released_at, r.carried_run_id)
                for r in conn.execute(query)]


def find_batch(batches: list[StoppedBatch], batch_id: str) -> StoppedBatch:
    """The one stopped batch named exactly SOURCE@RUN_ID; ReleaseRefused (saying which exist) otherwise."""
    wanted = (batch_id or "").strip()
    listing = "\n".join(f"  {b.describe()}" for b in batches) or "  (none: no batch is stopped)"
    if not wanted:
        raise ReleaseRefused(f"name the batch to release as SOURCE@RUN_ID. Stopped batches:\n{listing}")
    if "@" not in wanted:
        mine = [b for b in batches if b.source == wanted]
        raise ReleaseRefused(
            f"{wanted!r} is not a batch id: name one batch exactly as SOURCE@RUN_ID"
            + (f" ({len(mine)} batch(es) of source {wanted} were stopped)" if mine else "")
            + f". Stopped batches:\n{listing}")
    found = [b for b in batches if b.batch_id == wanted]
    if not found:
        raise ReleaseRefused(f"no stopped batch is named {wanted!r} (the id must match exactly). "
                             f"Stopped batches:\n{listing}")
    return found[0]


def release_batch(cfg: Config, batch_id: str, *, dry_run: bool = False,
                  evaluate: Evaluator | None = None) -> Verdict:
    """Judge the batch again with today's thresholds and, if it passes (and not dry_run), record the release.

    Raises ReleaseRefused for an id that is not exactly one stopped batch, or one released before.
    `evaluate` is the judging step (default: validate's two suites, evaluate_batch).
    """
    migrate(cfg.warehouse_url)
    engine = engine_for(cfg.warehouse_url)
    batch = find_batch(stopped_batches(engine), batch_id)
    if batch.released_at is not None:
        raise ReleaseRefused(f"{batch.batch_id} was released already: {batch.describe()}")
    failures = (evaluate or evaluate_batch)(cfg, engine, batch)
    verdict = Verdict(batch, failures, dry_run)
    if verdict.passes and not dry_run:
        try:
            with engine.begin() as conn:
                conn.execute(insert(batch_releases).values(
                    source=batch.source, run_id=batch.run_id, rows=batch.rows,
                    checks={"passed": True, "thresholds": cfg.validation.for_source(batch.source).model_dump()},
                    released_at=ledger.now(), carried_run_id=None))
        except IntegrityError:  # released by someone else meanwhile
            raise ReleaseRefused(f"{batch.batch_id} was released already (at the same time)") from None
        log.info("released batch %s (%d rows)", batch.batch_id, batch.rows)
    return verdict


def evaluate_batch(cfg: Config, engine: Engine, batch: StoppedBatch) -> list[str]:
    """validate's two suites on the batch as it was stopped, with today's thresholds; the critical failures."""
    # Great Expectations takes seconds to import: only a release that judges pays for it.
    from expectations.gx_runner import run_suite

    try:
        src = source_config(cfg, batch.source)
    except KeyError:
        return [f"source {batch.source} is no longer in the config; its batch cannot be carried on"]
    mapped = _mapped_rows(engine, batch, src)
    limits = cfg.validation.for_source(batch.source)
    with engine.connect() as conn:
        started = conn.execute(select(runs.c.started_at).where(runs.c.run_id == batch.run_id)).scalar()
    history = source_volume_history(engine, batch.source, batch.run_id, limits.history_runs, before=started)
    failures = list(run_suite(mapped, build_raw_batch_suite(limits, history)).critical_failures)
    if failures:
        return [*failures, f"usual size of {batch.source} then: {history.describe()}"]
    suite = build_normalised_leads_suite(NormalisedLeadsThresholds(
        min_valid_email_share=limits.min_valid_email_share, min_job_title_share=limits.min_job_title_share))
    return list(run_suite(normalise_frame(mapped), suite).critical_failures)


def _mapped_rows(engine: Engine, batch: StoppedBatch, src: SourceConfig) -> pd.DataFrame:
    """The batch's rows mapped to lead fields per file (as ingest exports them), with lineage columns."""
    stopped = select(quarantine.c.raw_row_id).where(quarantine.c.run_id == batch.run_id,
                                                    quarantine.c.source == batch.source,
                                                    quarantine.c.check_name == STOPPED)
    with engine.connect() as conn:
        rows = conn.execute(select(raw_rows.c.id, raw_rows.c.source_file, raw_rows.c.source_row, raw_rows.c.payload)
                            .where(raw_rows.c.id.in_(stopped)).order_by(raw_rows.c.id)).all()
    by_file: dict[str, list] = {}
    for r in rows:
        by_file.setdefault(r.source_file, []).append(r)
    frames = []
    for name, part in by_file.items():
        mapping = unit_mapping(src, record_headers([RawRecord(0, r.payload or {}) for r in part[:1000]]))
        cols = {f: [(r.payload or {}).get(h, "") if h else "" for r in part] for f, h in mapping.fields.items()}
        frames.append(pd.DataFrame({**cols, "raw_row_id": [r.id for r in part], "source": batch.source,
                                    "source_file": name, "source_row": [r.source_row for r in part],
                                    "source_kind": src.kind}))
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame({"raw_row_id": []})
    fields = [c for c in frame.columns if c not in ("raw_row_id", "source_row")]
    frame[fields] = frame[fields].fillna("")  # plain text columns, as ingest's Parquet reads back
    return frame
