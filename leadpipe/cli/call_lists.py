"""`leadpipe call-lists [--rebuild] [--dry-run]`: today's call list per owner, as the call_lists_daily DAG builds it."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from leadpipe.cli.common import echo, settings
from leadpipe.pipeline.call_lists import CallListError, build_call_lists, not_synced


@click.command("call-lists")
@click.option("--rebuild", is_flag=True, help="Replace the lists already built today.")
@click.option("--dry-run", is_flag=True, help="Show the lists; record nothing, send nothing to the CRM.")
@click.pass_context
def call_lists_command(ctx: click.Context, rebuild: bool, dry_run: bool) -> None:
    """Build today's call list per owner (quota, calling window, cool-down: see `call_lists:` in the config)
    and print quota use per owner; the lists are in the run folder's call_lists/ (CSV, report).

    Exit code 1 when an owner's list could not be synced to the CRM (the lists, files and report are saved;
    each such list is printed with what the CRM said); 2 for a request the call lists cannot serve."""
    cfg = settings(ctx)
    now = datetime.now(UTC)
    run_id = f"call_lists__{now.strftime('%Y-%m-%dT%H%M%S%fZ')}"
    try:
        result = build_call_lists(cfg, run_id, now, rebuild=rebuild, dry_run=dry_run)
    except CallListError as exc:
        echo(f"Error: {exc}", err=True)
        ctx.exit(2)
    echo(f"call lists for {result['list_date']}: {result['status']}; {result['people']} people")
    for o in result["owners"]:
        echo(f"  {o['owner']:<40} {o['on_list']:>4} of {o['quota']:>4} ({o['quota_from']}; "
             f"{o['in_window']} inside their calling window now, {o['available']} callable)")
    for reason, n in result["left_out"].items():
        echo(f"  left out: {n} {reason}")
    if result.get("crm"):
        echo(f"  CRM lists ({result['crm']['target']}): {result['crm']['status']}")
    problems = not_synced(result)
    for problem in problems:  # the rest is done and saved; exit 1 says not all of it (as release, sinks check)
        echo(f"Error: {problem}", err=True)
    if problems:
        ctx.exit(1)
