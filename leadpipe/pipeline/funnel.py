"""The run funnel as a person reads it: rows in per source -> valid -> people -> qualified -> pushed.

Then the people a config change qualified anew and pushed (they bring no row into the run, so they are not
in "pushed to the CRM"), why rows were quarantined (the first rows' reasons), the run's status and, when it
failed, why. `for_logs` prints the reasons without the offending values (the summarise task prints the funnel
into its task log). Reasons and warnings quote file names from hostile uploads: their control characters are
escaped here, once for every place the funnel is printed (the terminal, the task log), so one cannot act on a
terminal or start a line of its own.
"""

from __future__ import annotations

from leadpipe.core.controls import printable


def format_funnel(summary: dict, *, for_logs: bool = False) -> str:
    f = summary["funnel"]
    lines = [f"leadpipe run {summary['run_id']}"]
    for source, n in sorted(f["rows_in"].items()):
        lines.append(f"  rows in  {source:<22} {n:>8,}")
    for source, n in sorted(f.get("released", {}).items()):
        lines.append(f"  released {source:<22} {n:>8,}  rows of a stopped batch, carried on after `leadpipe release`")
    for source, n in sorted(f.get("already_ingested", {}).items()):
        lines.append(f"  skipped  {source:<22} {n:>8,}  rows already ingested from earlier versions of its files")
    lines += [
        f"  rows in  {'(all sources)':<22} {summary['raw_rows']:>8,}",
        f"  -> valid rows                    {f['valid']:>8,}",
        f"  -> unique people                 {f['unique_people']:>8,}",
        f"  -> qualified prospects           {f['qualified']:>8,}",
        f"  -> pushed to the CRM             {f['pushed']:>8,}",
    ]
    lines += crm_feedback_lines(summary)
    requal = summary.get("requalification") or {}
    if requal.get("people") or f.get("pushed_requalified"):
        why = "CRM feedback" if requal.get("crm_feedback") else "a config change"
        lines.append(f"  re-qualified after {why}: {requal.get('people', 0):,} people "
                     f"({requal.get('newly_qualified', 0):,} newly qualified, "
                     f"{requal.get('newly_disqualified', 0):,} no longer qualified)")
        lines.append(f"  -> pushed after re-qualification {f.get('pushed_requalified', 0):>8,}")
    lines.append("  outcomes: " + ", ".join(f"{k} {v:,}" for k, v in summary["outcomes"].items()))
    lines += _quarantine_lines(summary, for_logs)
    lines += _status_lines(summary, for_logs)
    for source, messages in sorted(summary.get("source_warnings", {}).items()):
        lines += [f"  WARNING  {source}: {printable(m)}" for m in messages]
    out = summary.get("outputs", {})
    lines.append(f"  summary:    {summary.get('summary_path') or out.get('run_folder', '') + '/summary.json'}")
    if out.get("report_html"):
        lines.append(f"  report:     {out['report_html']}")
    if out.get("crm_import_csv"):
        lines.append(f"  CRM import: {out['crm_import_csv']}")
    for source, docs in sorted(summary.get("data_docs", {}).items()):
        lines.append(f"  Data Docs ({source}): {docs}")
    return "\n".join(lines)


def _quarantine_lines(summary: dict, for_logs: bool) -> list[str]:
    """Why rows were quarantined, per check, with the first rows' whole reasons (the file's row and the value);
    `for_logs`: the check and the count only (the reasons quote the offending values)."""
    lines = []
    for q in summary.get("quarantine") or []:
        lines.append(f"  quarantined {q['rows']:,} row{'' if q['rows'] == 1 else 's'}: {q['title']}")
        if not for_logs:
            lines += [f"    - {printable(reason)}" for reason in q.get("examples", [])]  # values from the files
    return lines


def _status_lines(summary: dict, for_logs: bool) -> list[str]:
    if "status" not in summary:  # a summary.json written before runs carried a status
        old = {**summary.get("source_errors", {}), **summary.get("rejected_batches", {})}
        return [f"  PROBLEM  {source}: {printable(m)}" for source, messages in old.items() for m in messages]
    reasons = summary.get("reasons_for_logs" if for_logs else "reasons") or []
    if summary["status"] == "succeeded":
        return ["  status: succeeded"]
    return ["  status: FAILED", *[f"  why: {printable(r)}" for r in reasons]]


def crm_feedback_lines(summary: dict) -> list[str]:
    """What each CRM reported back this run: facts read, new ones by kind; a CRM not read says why."""
    lines = []
    for crm, r in (summary.get("crm_feedback") or {}).items():
        if r.get("error"):
            lines.append(f"  CRM feedback from {crm}: NOT READ ({r['error']})")
        elif r.get("skipped"):
            lines.append(f"  CRM feedback from {crm}: skipped ({r['skipped']})")
        else:
            kinds = ", ".join(f"{k} {n:,}" for k, n in (r.get("set") or {}).items()) or "nothing set"
            lines.append(f"  CRM feedback from {crm}: {r.get('pulled', 0):,} facts read, {r.get('new', 0):,} new "
                         f"({kinds})")
    return lines
