"""`leadpipe forget EMAIL|PHONE|PERSON_ID`: the command sales-ops or the DPO runs on an erasure request."""

from __future__ import annotations

import click

from leadpipe.cli.common import echo, echo_json, settings
from leadpipe.pipeline.forget import ForgetRefused
from leadpipe.pipeline.person_requests import forget_person, format_erasure


@click.command("forget")
@click.argument("identifier")
@click.option("--person-id", default=None, help="Which person to erase when the identifier names several.")
@click.option("--dry-run", is_flag=True, help="Print exactly what would be erased; change nothing.")
@click.option("--reason", default="erasure request", show_default=True, help="Recorded with the tombstone.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def forget_command(ctx: click.Context, identifier: str, person_id: str | None, dry_run: bool, reason: str,
                   as_json: bool) -> None:
    """Erase the person IDENTIFIER names (email, phone with country code, or person id): their personal data,
    a block against their coming back, and the CRM records to delete.

    Exit code 2, with nothing changed, for an empty or unusable identifier or one naming several people."""
    cfg = settings(ctx)
    try:
        erasure = forget_person(cfg, identifier, person_id=person_id, reason=reason, dry_run=dry_run)
    except ForgetRefused as exc:
        echo(f"Error: {exc}", err=True)
        ctx.exit(2)
    if as_json:
        echo_json(erasure.as_json())
    else:
        echo(format_erasure(erasure))
