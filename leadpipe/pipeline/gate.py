"""The gate stage: the last data-quality check between qualify and push.

A critical failure stops the whole push with the reason; prospects failing a row-level check are held back.
Rows held back (or the whole list, when stopped) are quarantined on the person's primary source row, so the
ledger still adds up and `leadpipe explain` names the expectation.
"""

from __future__ import annotations

import logging

from expectations.prospects import DoNotContact, build_prospects_suite, crm_fields, max_possible_score
from leadpipe.pipeline.context import RunContext
from leadpipe.pipeline.push import declared_capabilities
from leadpipe.pipeline.suppression_files import load_lists
from leadpipe.pipeline.validate import (
    lineage,
    quarantine_row_failures,
    record_validation,
    run_suite_with_docs,
    stop_batch,
)
from leadpipe.store.run_files import read_frame, write_frame

log = logging.getLogger("leadpipe")

PROSPECTS_GATE = "prospects_before_push"  # key of the prospects gate in data_docs / rejected_batches


def validate_prospects(ctx: RunContext, path: str | None) -> str | None:
    """Check qualify's prospects; return the file of those that go on to push (None: nothing to push)."""
    if path is None:
        return None
    cfg = ctx.cfg
    with ctx.timed("validate_prospects"):
        df = read_frame(ctx.file(path))
        if df.empty:
            return path
        lists = load_lists([cfg.resolve(p) for p in cfg.suppression.do_not_contact_files])
        crm = declared_capabilities(cfg.sink)
        suite = build_prospects_suite(
            crm_fields(crm.writable_fields, crm.required_fields), score_min=cfg.scoring.qualify_at,
            score_max=max_possible_score(cfg.scoring),
            do_not_contact=DoNotContact(frozenset(lists.emails), frozenset(lists.domains), frozenset(lists.phones)),
        )
        frame = df.assign(raw_row_id=df["primary_raw_row_id"].astype("int64"))
        held = lineage(ctx, frame["raw_row_id"].tolist())
        # each prospect's primary source row, so messages name the file's row, not a warehouse id
        where = held.reindex(frame["raw_row_id"].to_numpy())
        frame = frame.assign(source_file=where["source_file"].to_numpy(), source_row=where["source_row"].to_numpy())
        result = run_suite_with_docs(frame, suite, ctx.folder / "data_docs" / PROSPECTS_GATE)
        record_validation(ctx, result, PROSPECTS_GATE)
        if result.stop_batch:
            stop_batch(ctx, PROSPECTS_GATE, held, result.critical_failures, result.critical_for_logs(),
                       label=f"{PROSPECTS_GATE}: push of {len(df)} prospects", check_name="push stopped")
        failed = quarantine_row_failures(ctx, held, result)
        out = ctx.folder / "prospects_validated.parquet"
        write_frame(df[~frame["raw_row_id"].isin(failed)], out)
        log.info("prospects gate: %d prospects go on to push, %d held back", len(df) - len(failed), len(failed))
        return str(out)
