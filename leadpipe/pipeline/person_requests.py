"""One person's data on request, by email: what we hold and why (`leadpipe explain`), and erasure
(`leadpipe forget`). Both bring the warehouse schema up to date first, so they work on a fresh home."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from leadpipe.pipeline.explain import explain, parse_query
from leadpipe.pipeline.forget import ErasureReport, forget, scrub_run_files
from leadpipe.pipeline.settings import Config
from leadpipe.store.warehouse import engine_for, migrate


def explain_person(cfg: Config, identifier: str) -> dict:
    """Source rows, merges, score breakdown and outcome for the person with exactly this email, phone or person
    id (see leadpipe.pipeline.explain); raises UnusableQuery for empty or unparsable input."""
    parse_query(identifier)  # refuse empty or unusable input before touching the warehouse (even migrating it)
    migrate(cfg.warehouse_url)
    return explain(engine_for(cfg.warehouse_url), identifier)


@dataclass(frozen=True)
class Erasure:
    report: ErasureReport
    run_files_scrubbed: int

    def as_json(self) -> dict:
        return {**asdict(self.report), "run_files_scrubbed": self.run_files_scrubbed}


def forget_person(cfg: Config, email: str, *, reason: str = "erasure request") -> Erasure:
    """Erase `email`'s personal data from the warehouse and the run files, and tombstone them."""
    migrate(cfg.warehouse_url)
    report = forget(engine_for(cfg.warehouse_url), email, reason=reason)
    files = scrub_run_files(cfg.runs_dir, email) if cfg.runs_dir.exists() else 0
    return Erasure(report, files)


def format_erasure(erasure: Erasure) -> str:
    """What was erased, and the CRM records someone still has to delete by hand."""
    r = erasure.report
    lines = [(f"erased: {r.people_erased} person record(s); rows cleared per table: "
             f"{', '.join(f'{t} {n}' for t, n in sorted(r.rows_scrubbed.items())) or 'none'}; "
             f"{erasure.run_files_scrubbed} run file(s) cleaned"),
             f"tombstones added: {r.tombstones_added} (the person stays suppressed in later lists)"]
    if r.crm_records:
        lines.append("delete these CRM records:")
        lines += [f"  {c['sink']}: {c['crm_id']}" for c in r.crm_records]
    else:
        lines.append("no CRM records were written for this person")
    return "\n".join(lines)
