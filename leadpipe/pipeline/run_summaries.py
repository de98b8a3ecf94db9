"""Finished runs as their summary.json files say (`leadpipe funnel`)."""

from __future__ import annotations

import json
from pathlib import Path


class NoFinishedRun(LookupError):
    """No summary.json (for the asked run id) under the runs folder."""


def finished_run_summary(runs_dir: Path, run_id: str | None = None) -> dict:
    """The summary of run `run_id`, or of the newest finished run; `summary_path` says where it was read."""
    summaries = sorted(runs_dir.glob("*/summary.json"), key=lambda p: p.stat().st_mtime)
    if run_id:
        summaries = [p for p in summaries if json.loads(p.read_text())["run_id"] == run_id]
    if not summaries:
        raise NoFinishedRun(f"no finished run found under {runs_dir}")
    summary = json.loads(summaries[-1].read_text())
    summary["summary_path"] = str(summaries[-1])
    return summary
