"""`leadpipe forget EMAIL`: the command sales-ops or the DPO runs on an erasure request."""

from __future__ import annotations

import json

import click


@click.command("forget")
@click.argument("email")
@click.option("--reason", default="erasure request", show_default=True, help="Recorded with the tombstone.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def forget_command(ctx: click.Context, email: str, reason: str, as_json: bool) -> None:
    """Erase EMAIL's personal data, block them from coming back, list the CRM records to delete."""
    from leadpipe.cli import _config
    from leadpipe.pipeline.forget import forget, scrub_run_files
    from leadpipe.store.warehouse import engine_for, migrate

    cfg = _config((ctx.obj or {}).get("config"))
    migrate(cfg.warehouse_url)
    report = forget(engine_for(cfg.warehouse_url), email, reason=reason)
    files = scrub_run_files(cfg.runs_dir, email) if cfg.runs_dir.exists() else 0
    if as_json:
        click.echo(json.dumps({**report.__dict__, "run_files_scrubbed": files}, indent=2))
        return
    click.echo(f"erased: {report.people_erased} person record(s); rows cleared per table: "
               f"{', '.join(f'{t} {n}' for t, n in sorted(report.rows_scrubbed.items())) or 'none'}; "
               f"{files} run file(s) cleaned")
    click.echo(f"tombstones added: {report.tombstones_added} (the person stays suppressed in later lists)")
    if report.crm_records:
        click.echo("delete these CRM records:")
        for r in report.crm_records:
            click.echo(f"  {r['sink']}: {r['crm_id']}")
    else:
        click.echo("no CRM records were written for this person")
