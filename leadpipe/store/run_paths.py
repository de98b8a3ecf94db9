"""Where run folders live: the local disk by default, or object storage shared by every worker.

Tasks hand each other run files as path strings (XCom). With LEADPIPE_RUNS_URL set (for example
`s3://leads-bucket/leadpipe/runs`, `gs://...`, or `file:///mnt/shared/runs`), the run folder is an Airflow
`ObjectStoragePath` under that URL: credentials come from the Airflow Connection named by
LEADPIPE_RUNS_CONN_ID (none: the filesystem's own defaults), and any worker on any host can run any task.
Unset, it is `{home}/runs` on the local disk.

Kept apart from run_files (pandas, pyarrow) because loading the settings needs `runs_root`, and loading the
settings must stay light (the CLI, the webhook plugin).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

RunPath = Any  # pathlib.Path, or airflow.sdk.ObjectStoragePath (same path API; imported only when configured)


def runs_root(url: str, conn_id: str | None, home: Path) -> RunPath:
    """The folder all runs live in: object storage when `url` is set, else {home}/runs."""
    if not url:
        return home / "runs"
    # only with object storage: airflow.sdk is slow to import outside Airflow; Airflow tasks have it loaded
    from airflow.sdk import ObjectStoragePath

    return ObjectStoragePath(url.rstrip("/"), conn_id=conn_id or None)


def at(cfg, path: str | RunPath) -> RunPath:  # noqa: ANN001 - any settings with runs_conn_id (the pipeline's Config)
    """A run file named by a string from XCom, on the run folder's filesystem (and connection)."""
    if not isinstance(path, str):
        return path
    if "://" not in path:
        return Path(path)
    from airflow.sdk import ObjectStoragePath  # only with object storage, see runs_root

    return ObjectStoragePath(path, conn_id=cfg.runs_conn_id or None)


def is_local(path: RunPath) -> bool:
    return isinstance(path, Path)
