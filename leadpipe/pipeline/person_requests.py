"""One person's data on request: what we hold and why (`leadpipe explain`), and erasure
(`leadpipe forget`). Both bring the warehouse schema up to date first, so they work on a fresh home."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from leadpipe.core.controls import printable
from leadpipe.pipeline.explain import explain, parse_query
from leadpipe.pipeline.forget import ErasurePlan, ErasureReport, apply_erasure, plan_erasure
from leadpipe.pipeline.forget_inputs import InputFiles, find_in_input_files
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
    plan: ErasurePlan
    report: ErasureReport | None  # None for a dry run
    inputs: InputFiles = field(default_factory=InputFiles)  # vendor files still containing the person: never changed

    def as_json(self) -> dict:
        plan = {**self.plan.as_json(), "input_files": dict(self.inputs.files),
                "input_files_unreadable": dict(self.inputs.unreadable)}
        out = {"dry_run": self.report is None, "plan": plan}
        if self.report is not None:
            out.update(asdict(self.report))
            out["run_files_scrubbed"] = len(self.report.run_files)
        return out


def forget_person(cfg: Config, identifier: str, *, person_id: str | None = None, reason: str = "erasure request",
                  dry_run: bool = False) -> Erasure:
    """Erase the person an email, phone or person id names, from the warehouse, the run files and the
    web-enrichment caches, and tombstone their personal identifiers; with `dry_run`, only say what that would
    change. Both also name the vendor input files still containing the person (never changed: the user's files).

    Raises ForgetRefused (a user mistake: empty, unparsable, several people without `person_id`)."""
    migrate(cfg.warehouse_url)
    engine = engine_for(cfg.warehouse_url)
    runs_dir = cfg.runs_dir if cfg.runs_dir.exists() else None
    web_cache = cfg.resolve(cfg.enrichment.web.cache_path)
    plan = plan_erasure(engine, identifier, person_id=person_id, runs_dir=runs_dir, web_cache_path=web_cache)
    inputs = find_in_input_files(cfg, plan.emails, plan.phones)
    if dry_run:
        return Erasure(plan, None, inputs)
    report = apply_erasure(engine, plan, reason=reason, runs_dir=runs_dir, web_cache_path=web_cache)
    return Erasure(plan, report, inputs)


def _p(value: object) -> str:
    """A value from the data (a name, a file name, a URL) as one escaped line: it may hold control characters."""
    return printable(str(value))


def _joined(values: list[str]) -> str:
    return ", ".join(_p(v) for v in values) or "none"


def format_erasure(erasure: Erasure) -> str:
    """What was (or, in a dry run, would be) erased, and the CRM records someone still has to delete by hand.
    Every value from the data is escaped (`_p`): this text goes to the operator's terminal."""
    plan, r = erasure.plan, erasure.report
    verb = "would erase" if r is None else "erased"
    if plan.people:
        who = "; ".join(f"{_p(p['person_id'])} {_p(p['name'] or '(no name)')} <{_p(p['email'] or 'no email')}>"
                        for p in plan.people)
    else:
        who = "no person record matches (rows and files carrying the identifier are still cleared)"
    rows = plan.rows if r is None else r.rows_scrubbed
    files = plan.run_files if r is None else r.run_files
    lines = [f"{verb}: {len(plan.people)} person record(s): {who}",
             (f"identifiers: emails {_joined(plan.emails)}; phones {_joined(plan.phones)}; "
              f"names {_joined(plan.names)}"),
             f"rows per table: {', '.join(f'{t} {n}' for t, n in sorted(rows.items())) or 'none'}",
             f"run files: {len(files)}" + "".join(f"\n  {_p(path)} ({n} rows)" for path, n in sorted(files.items())),
             _web_cache_line(plan, r)]
    if plan.shared:
        lines.append(f"kept (other people have them too, not personal): {_joined(plan.shared)}")
    if r is None:
        lines.append(f"tombstones to add: {len(plan.tombstones)}")
    else:
        lines.append(f"tombstones added: {r.tombstones_added} (the person stays suppressed in later lists)")
    if plan.crm_records:
        lines.append("delete these CRM records:" if r is not None else "CRM records to delete:")
        lines += [f"  {_p(c['sink'])}: {_p(c['crm_id'])}" for c in plan.crm_records]
    else:
        lines.append("no CRM records were written for this person")
    lines += _input_file_lines(erasure.inputs)
    if r is None:
        lines.append("dry run: nothing was changed")
    return "\n".join(lines)


def _input_file_lines(inputs: InputFiles) -> list[str]:
    """The vendor files still containing the person, or that there are none; and any that could not be read."""
    lines = []
    if inputs.files:
        lines.append("input files that still contain this person — leadpipe does not change them: "
                     "delete them or ask the vendor")
        lines += [f"  {_p(path)} ({n} rows)" for path, n in sorted(inputs.files.items())]
    else:
        lines.append("input files that still contain this person: none")
    if inputs.unreadable:
        lines.append("input files that could not be checked:")
        lines += [f"  {_p(name)}: {_p(error)}" for name, error in sorted(inputs.unreadable.items())]
    return lines


def _web_cache_line(plan: ErasurePlan, report: ErasureReport | None) -> str:
    """"web cache: N cached pages, M memo entries" and the pages' URLs (planned, or deleted after the run)."""
    planned = plan.web_cache
    if report is None:
        pages, memo = len(planned.pages), len(planned.memo_keys)
    else:
        pages, memo = report.web_cache.get("web_cache_pages", 0), report.web_cache.get("web_memo_entries", 0)
    return (f"web cache: {pages} cached pages, {memo} memo entries"
            + "".join(f"\n  {_p(p['url'])}" for p in planned.pages))
