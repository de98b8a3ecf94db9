"""The run context: what every stage of one run needs, in one object.

Stages used to take `(cfg, run_id)` and each rebuilt the warehouse engine and the run folder from them; a
RunContext carries the settings and the run id and derives the rest the same way everywhere. It holds no
data, so an Airflow task builds its own from the run id it is given (tasks hand each other paths, never data).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import Engine

from leadpipe.pipeline.settings import Config
from leadpipe.store import ledger
from leadpipe.store.run_paths import RunPath, at
from leadpipe.store.warehouse import engine_for


class BatchRejected(RuntimeError):
    """A critical data-quality check failed: this source's batch stops here; its rows are quarantined."""


@dataclass(frozen=True)
class RunContext:
    cfg: Config
    run_id: str

    @cached_property
    def engine(self) -> Engine:
        """The warehouse (one engine per URL per process)."""
        return engine_for(self.cfg.warehouse_url)

    @cached_property
    def folder(self) -> RunPath:
        """The run's folder: local, or on object storage (LEADPIPE_RUNS_URL, see leadpipe.store.run_files)."""
        return run_folder(self.cfg, self.run_id)

    def file(self, path: str | RunPath) -> RunPath:
        """A run file named by a string from XCom, on the run folder's filesystem."""
        return at(self.cfg, path)

    @contextmanager
    def timed(self, stage: str, part: str = "") -> Iterator[None]:
        """Record wall time per stage (and per source or batch for mapped stages) for summary.json."""
        start = time.perf_counter()
        try:
            yield
        finally:
            name = f"{stage}.{part}" if part else stage
            ledger.write_json(self.folder / "timings" / f"{name}.json",
                              {"stage": stage, "seconds": round(time.perf_counter() - start, 3)})

    def note(self, kind: str, name: str, message: str) -> None:
        """Problems that must reach the summary (a rejected batch, an unreadable file), one file per name."""
        path = self.folder / kind / f"{name}.json"
        notes = json.loads(path.read_text()) if path.exists() else []
        ledger.write_json(path, {"messages": sorted(set((notes["messages"] if notes else []) + [message]))})

    def forget_note(self, kind: str, name: str) -> None:
        """Take back the notes of one name (a retried task that succeeded takes back its failure)."""
        path = self.folder / kind / f"{name}.json"
        if path.exists():
            path.unlink()

    def notes(self, kind: str) -> dict[str, list[str]]:
        """Every note of one kind, by name (source or gate)."""
        folder = self.folder / kind
        return {p.stem: json.loads(p.read_text())["messages"] for p in sorted(folder.glob("*.json"))}


def run_folder(cfg: Config, run_id: str) -> RunPath:
    """The folder of run `run_id`; Airflow run ids contain ':' and '+', which are not safe in every store."""
    return cfg.runs_dir / re.sub(r"[^A-Za-z0-9._-]+", "_", run_id)
