"""`leadpipe enrich-site DOMAIN` and `leadpipe extract-pages MANIFEST.jsonl`: look at what enrichment finds."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click


@click.command("enrich-site")
@click.argument("domain")
@click.option("--no-cache", is_flag=True, help="Fetch even if the HTTP cache has the pages.")
@click.pass_context
def enrich_site(ctx: click.Context, domain: str, no_cache: bool) -> None:
    """Fetch one company's website (politely, with the configured limits) and print what it says as JSON."""
    from enrichment.web.site import SiteEnricher
    from leadpipe.cli import _config

    cfg = _config(ctx.obj["config"] if ctx.obj else None)
    settings = cfg.enrichment.web
    enricher = SiteEnricher(settings, None if no_cache else cfg.resolve(settings.cache_path))
    try:
        result = enricher.enrich(domain)
    finally:
        enricher.close()
    click.echo(json.dumps({"domain": result.domain, "enrichment_status": result.status,
                           "enrichment_reason": result.reason, "pages": result.pages, "from_cache": result.from_cache,
                           **result.fields}, ensure_ascii=False, indent=2, default=str))
    if result.status != "ok":
        sys.exit(1)


@click.command("extract-pages")
@click.argument("manifest", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def extract_pages(manifest: Path) -> None:
    """Run extraction on saved pages: MANIFEST.jsonl has lines {"url": ..., "path": ...}; prints one JSON line
    per page. Relative paths are read from the manifest's folder. No network."""
    from enrichment.web.extract import extract

    problems = 0
    for lineno, line in enumerate(manifest.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            url, path = entry["url"], Path(entry["path"])
            if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                raise ValueError("'url' must be an http(s) URL")
        except (ValueError, KeyError, TypeError) as exc:
            click.echo(f"{manifest}: line {lineno}: needs {{\"url\": ..., \"path\": ...}} ({exc})", err=True)
            problems += 1
            continue
        path = path if path.is_absolute() else manifest.parent / path
        try:
            html = path.read_bytes()
        except OSError as exc:
            click.echo(f"{manifest}: line {lineno}: cannot read {path}: {exc.strerror}", err=True)
            problems += 1
            continue
        fields = extract(url, html)
        fields.pop("follow_links", None)
        click.echo(json.dumps({**fields, "url": url, "path": str(path)}, ensure_ascii=False, default=str))
    if problems:
        sys.exit(1)
