"""Retention of run folders: after `retention.run_files_days`, a run's files go, its summary and report stay.

A run folder holds Parquet copies of personal data (mapped, normalised, deduplicated and qualified rows, the
CRM import file); the warehouse is the system of record, so these copies are only worth keeping while
someone may debug the run. `summary.json` and `report.html` hold counts and reasons, not people, and are
kept so `leadpipe funnel` and the run report still work for old runs.

A run's age is its start time in the warehouse `runs` table. A folder the warehouse does not know (a
warehouse reset, a run started elsewhere) is judged by its newest file's modification time on the local
disk; on object storage such folders are left alone, since listing mtimes is not uniform across stores.
The current run is never touched.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from leadpipe.pipeline.context import run_folder
from leadpipe.pipeline.settings import Config
from leadpipe.store.run_paths import RunPath, is_local
from leadpipe.store.warehouse import engine_for, migrate, runs

log = logging.getLogger("leadpipe")

KEPT = frozenset({"summary.json", "report.html"})  # counts and reasons only: no personal data


@dataclass
class RetentionReport:
    """What one pass deleted (or, in a dry run, would delete)."""

    cutoff: datetime
    runs_pruned: list[str] = field(default_factory=list)
    files_deleted: int = 0
    bytes_freed: int = 0

    def as_json(self) -> dict:
        return {"cutoff": self.cutoff.isoformat(), "runs_pruned": self.runs_pruned,
                "files_deleted": self.files_deleted, "bytes_freed": self.bytes_freed}


def prune_run_files(cfg: Config, current_run_id: str | None = None, *, now: datetime | None = None,
                    dry_run: bool = False) -> RetentionReport:
    """Delete every file but summary.json and report.html in run folders older than the retention setting."""
    now = now or datetime.now(UTC)
    report = RetentionReport(cutoff=now - timedelta(days=cfg.retention.run_files_days))
    root = cfg.runs_dir
    if not root.exists():
        return report
    started = _start_times(cfg)
    current = run_folder(cfg, current_run_id).name if current_run_id else None
    for folder in sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: p.name):
        if folder.name == current:
            continue
        when = started.get(folder.name) or _newest_mtime(folder)
        if when is None or when >= report.cutoff:
            continue
        deleted = _prune_folder(folder, dry_run=dry_run)
        if deleted:
            report.runs_pruned.append(folder.name)
            report.files_deleted += deleted[0]
            report.bytes_freed += deleted[1]
    if report.runs_pruned:
        log.info("retention: %s %d file(s) in %d run folder(s) older than %s", "would delete" if dry_run
                 else "deleted", report.files_deleted, len(report.runs_pruned), report.cutoff.date())
    return report


def _start_times(cfg: Config) -> dict[str, datetime]:
    """Run folder name -> the run's start time (UTC), from the warehouse `runs` table."""
    migrate(cfg.warehouse_url)
    with engine_for(cfg.warehouse_url).connect() as conn:
        rows = conn.execute(select(runs.c.run_id, runs.c.started_at)).all()
    return {run_folder(cfg, r.run_id).name: _utc(r.started_at) for r in rows}


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)  # SQLite hands back naive UTC


def _newest_mtime(folder: RunPath) -> datetime | None:
    """A folder the warehouse does not know: its newest file's mtime, locally; None (keep) on object storage."""
    if not is_local(folder):
        return None
    times = [p.stat().st_mtime for p in folder.rglob("*") if p.is_file()]
    return datetime.fromtimestamp(max(times), UTC) if times else None


def _prune_folder(folder: RunPath, *, dry_run: bool) -> tuple[int, int] | None:
    """(files, bytes) deleted from one run folder, keeping the top-level summary and report; None if nothing."""
    doomed = [p for p in folder.rglob("*") if p.is_file() and not (p.parent == folder and p.name in KEPT)]
    if not doomed:
        return None
    size = 0
    for path in doomed:
        size += path.stat().st_size
        if not dry_run:
            path.unlink()
    if not dry_run and is_local(folder):  # object stores have no empty directories to leave behind
        for sub in sorted((p for p in folder.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
            if not any(sub.iterdir()):
                sub.rmdir()
    return len(doomed), size
