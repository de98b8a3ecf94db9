"""Run files: Parquet hand-offs between stages, in the run folder (leadpipe.store.run_paths says where).

pandas and pyarrow cannot write to an ObjectStoragePath itself, so Parquet goes through `open()` here.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from leadpipe.store.run_paths import RunPath, is_local


def read_frame(path: RunPath, columns: list[str] | None = None) -> pd.DataFrame:
    if is_local(path):
        return pd.read_parquet(path, columns=columns)
    with path.open("rb") as fh:
        return pd.read_parquet(fh, columns=columns)


def write_frame(df: pd.DataFrame, path: RunPath, compression: str | None = "snappy") -> None:
    """`compression=None` for scratch files read back within the run (the dedupe plan): at 1M rows Snappy
    costs more time writing and reading than the file's extra size costs on a local disk."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if is_local(path):
        df.to_parquet(path, index=False, compression=compression)
        return
    with path.open("wb") as fh:
        df.to_parquet(fh, index=False, compression=compression)


@contextmanager
def parquet_file(path: RunPath) -> Iterator[pq.ParquetFile]:
    """pyarrow's ParquetFile over a run file: metadata and row groups are read on demand."""
    if is_local(path):
        yield pq.ParquetFile(path)
        return
    with path.open("rb") as fh:
        yield pq.ParquetFile(fh)


@contextmanager
def parquet_writer(path: RunPath, schema, compression: str | None = "snappy") -> Iterator[pq.ParquetWriter]:
    """`schema`: a pyarrow.Schema; `compression` as for write_frame."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if is_local(path):
        with pq.ParquetWriter(path, schema, compression=compression) as writer:
            yield writer
        return
    with path.open("wb") as fh, pq.ParquetWriter(fh, schema, compression=compression) as writer:
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
