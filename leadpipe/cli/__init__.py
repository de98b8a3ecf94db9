"""The `leadpipe` command: the same stages as the DAGs, for a terminal."""

from __future__ import annotations

import csv
import json
import logging
import sys
from pathlib import Path

import click

from leadpipe.pipeline.settings import ConfigError, load_config


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    logging.getLogger("great_expectations").setLevel(logging.WARNING)


def _config(path: str | None):  # noqa: ANN202
    try:
        return load_config(path)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


@click.group()
@click.option("--config", "config_path", envvar="LEADPIPE_CONFIG", help="Pipeline config YAML.")
@click.option("-v", "--verbose", is_flag=True, help="Log what each stage did.")
@click.pass_context
def main(ctx: click.Context, config_path: str | None, verbose: bool) -> None:
    """leadpipe: purchased lists and web forms in, a clean deduplicated prospect list in the CRM out."""
    _setup_logging(verbose)
    ctx.obj = {"config": config_path}


@main.command()
@click.option("--run-id", help="Run id (default: a timestamp).")
@click.pass_context
def run(ctx: click.Context, run_id: str | None) -> None:
    """Run the whole pipeline once, in this process."""
    from leadpipe.pipeline.funnel import format_funnel
    from leadpipe.pipeline.run import run_pipeline

    summary = run_pipeline(_config(ctx.obj["config"]), run_id)
    click.echo(format_funnel(summary))
    if summary["source_errors"] or summary["rejected_batches"]:
        sys.exit(1)


@main.command()
@click.argument("run_id", required=False)
@click.pass_context
def funnel(ctx: click.Context, run_id: str | None) -> None:
    """Print the funnel of a run (default: the latest)."""
    from leadpipe.pipeline.funnel import format_funnel

    cfg = _config(ctx.obj["config"])
    summaries = sorted(cfg.runs_dir.glob("*/summary.json"), key=lambda p: p.stat().st_mtime)
    if run_id:
        summaries = [p for p in summaries if json.loads(p.read_text())["run_id"] == run_id]
    if not summaries:
        raise click.ClickException(f"no finished run found under {cfg.runs_dir}")
    summary = json.loads(summaries[-1].read_text())
    summary["summary_path"] = str(summaries[-1])
    click.echo(format_funnel(summary))


@main.command()
@click.argument("email")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def explain(ctx: click.Context, email: str, as_json: bool) -> None:
    """Show one person's source rows, merges, score breakdown and outcome."""
    from leadpipe.pipeline.explain import explain as explain_person
    from leadpipe.pipeline.explain import format_explanation
    from leadpipe.store.warehouse import engine_for, migrate

    cfg = _config(ctx.obj["config"])
    migrate(cfg.warehouse_url)
    info = explain_person(engine_for(cfg.warehouse_url), email)
    click.echo(json.dumps(info, indent=2, default=str) if as_json else format_explanation(info))
    if info["person"] is None and not info["rows"]:
        sys.exit(1)


@main.command()
@click.option("--people", default=400, show_default=True, help="How many distinct people to generate.")
@click.option("--seed", default=7, show_default=True)
@click.pass_context
def demo(ctx: click.Context, people: int, seed: int) -> None:
    """Generate the demo inputs (two purchased lists, form submissions) if they are missing."""
    from leadpipe.demo.generator import generate

    cfg = _config(ctx.obj["config"])
    out = cfg.home / "inputs" / "demo"
    if (out / "ground_truth.csv").exists():
        click.echo(f"demo inputs already in {out}")
        return
    files = generate(out, people=people, seed=seed)
    write_demo_do_not_contact(Path(files.zoominfo), out / "do_not_contact.csv")
    click.echo(f"demo inputs written to {out}")


def write_demo_do_not_contact(vendor_file: Path, out: Path) -> None:
    """A small do-not-contact list (two unsubscribed people from a vendor list) so the demo shows suppression."""
    with vendor_file.open(encoding="utf-8-sig", newline="") as fh:
        emails = [r["Email Address"] for r in csv.DictReader(fh) if "@" in r["Email Address"]]
    with out.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["email", "list_reason"])
        for e in emails[3:5]:
            w.writerow([e.strip().lower(), "unsubscribed"])


from leadpipe.cli.validate import validate as _validate_command

main.add_command(_validate_command)
from leadpipe.cli.push import push_command as _push_command  # noqa: E402

main.add_command(_push_command)
from leadpipe.cli.dedupe import dedupe_command as _dedupe_command  # noqa: E402

main.add_command(_dedupe_command)
from leadpipe.cli.forget import forget_command as _forget_command  # noqa: E402

main.add_command(_forget_command)
from leadpipe.cli.web import enrich_site as _enrich_site_command, extract_pages as _extract_pages_command  # noqa: E402
main.add_command(_enrich_site_command)
main.add_command(_extract_pages_command)

from leadpipe.cli.connectors import connectors_command as _connectors_command  # noqa: E402

main.add_command(_connectors_command)
from leadpipe.cli.sinks import sinks_command as _sinks_command  # noqa: E402

main.add_command(_sinks_command)


if __name__ == "__main__":
    main()
