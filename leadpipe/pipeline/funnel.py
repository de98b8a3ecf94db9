"""The run funnel as a person reads it: rows in per source -> valid -> people -> qualified -> pushed."""

from __future__ import annotations


def format_funnel(summary: dict) -> str:
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
        "  outcomes: " + ", ".join(f"{k} {v:,}" for k, v in summary["outcomes"].items()),
    ]
    for source, messages in {**summary.get("source_errors", {}), **summary.get("rejected_batches", {})}.items():
        for m in messages:
            lines.append(f"  PROBLEM  {source}: {m}")
    out = summary.get("outputs", {})
    lines.append(f"  summary:    {summary.get('summary_path') or out.get('run_folder', '') + '/summary.json'}")
    if out.get("report_html"):
        lines.append(f"  report:     {out['report_html']}")
    if out.get("crm_import_csv"):
        lines.append(f"  CRM import: {out['crm_import_csv']}")
    for source, docs in sorted(summary.get("data_docs", {}).items()):
        lines.append(f"  Data Docs ({source}): {docs}")
    return "\n".join(lines)
