"""Where run files live: the local run folder by default, or object storage shared by every worker.

Tasks hand each other run files as path strings (XCom). With LEADPIPE_RUNS_URL set (for example
`s3://leads-bucket/leadpipe/runs`, `gs://...`, or `file:///mnt/shared/runs`), the run folder is an Airflow
`ObjectStoragePath` under that URL: credentials come from the Airflow Connection named by
LEADPIPE_RUNS_CONN_ID (none: the filesystem's own defaults), and any worker on any host can run any task.
Unset, it is `{home}/runs` on the local disk, as before.

pandas and pyarrow cannot write to an ObjectStoragePath itself, so Parquet goes through `open()` here.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

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


def read_frame(path: RunPath, columns: list[str] | None = None) -> pd.DataFrame:
    if is_local(path):
        return pd.read_parquet(path, columns=columns)
    with path.open("rb") as fh:
        return pd.read_parquet(fh, columns=columns)


def write_frame(df: pd.DataFrame, path: RunPath) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if is_local(path):
        df.to_parquet(path, index=False)
        return
    with path.open("wb") as fh:
        df.to_parquet(fh, index=False)


@contextmanager
def parquet_file(path: RunPath) -> Iterator[pq.ParquetFile]:
    """pyarrow's ParquetFile over a run file: metadata and row groups are read on demand."""
    if is_local(path):
        yield pq.ParquetFile(path)
        return
    with path.open("rb") as fh:
        yield pq.ParquetFile(fh)


@contextmanager
def parquet_writer(path: RunPath, schema) -> Iterator[pq.ParquetWriter]:  # schema: a pyarrow.Schema
    path.parent.mkdir(parents=True, exist_ok=True)
    if is_local(path):
        with pq.ParquetWriter(path, schema) as writer:
            yield writer
        return
    with path.open("wb") as fh, pq.ParquetWriter(fh, schema) as writer:
        yield writer


@contextmanager
def local_folder(target: RunPath) -> Iterator[Path]:
    """A local folder for tools that need one (GX Data Docs); copied to `target` afterwards if it is remote."""
    if is_local(target):
        target.mkdir(parents=True, exist_ok=True)
        yield target
        return
    scratch = Path(tempfile.mkdtemp(prefix="leadpipe-"))
    try:
        yield scratch
        for file in sorted(p for p in scratch.rglob("*") if p.is_file()):
            dest = target / file.relative_to(scratch).as_posix()
            dest.parent.mkdir(parents=True, exist_ok=True)
            with file.open("rb") as src, dest.open("wb") as out:
                shutil.copyfileobj(src, out)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
