"""`leadpipe enrich-site DOMAIN` and `leadpipe extract-pages MANIFEST.jsonl`: look at what enrichment finds."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from leadpipe.cli.common import echo, echo_json, settings
from leadpipe.pipeline.web_preview import enrich_site, extract_pages


@click.command("enrich-site")
@click.argument("domain")
@click.option("--no-cache", is_flag=True, help="Fetch even if the HTTP cache has the pages.")
@click.pass_context
def enrich_site_command(ctx: click.Context, domain: str, no_cache: bool) -> None:
    """Fetch one company's website (politely, with the configured limits) and print what it says as JSON."""
    found = enrich_site(settings(ctx), domain, use_cache=not no_cache)
    echo_json(found, ensure_ascii=False)
    if found["enrichment_status"] != "ok":
        sys.exit(1)


@click.command("extract-pages")
@click.argument("manifest", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def extract_pages_command(manifest: Path) -> None:
    """Run extraction on saved pages: MANIFEST.jsonl has lines {"url": ..., "path": ...}; prints one JSON line
    per page. Relative paths are read from the manifest's folder. No network."""
    problems = 0
    for page in extract_pages(manifest):
        if page.problem:
            echo(page.problem, err=True)
            problems += 1
        else:
            echo_json(page.fields, ensure_ascii=False, indent=None)
    if problems:
        sys.exit(1)
