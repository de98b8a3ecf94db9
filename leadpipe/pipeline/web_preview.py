"""Look at what web enrichment finds without a run: one company's site, or pages saved to disk
(`leadpipe enrich-site DOMAIN`, `leadpipe extract-pages MANIFEST.jsonl`).

The enrichment package stays pure (it takes settings and HTML); resolving the configured cache path and
reading saved pages from disk happen here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from enrichment.web.extract import extract
from enrichment.web.site import SiteEnricher
from leadpipe.pipeline.settings import Config


def enrich_site(cfg: Config, domain: str, *, use_cache: bool = True) -> dict:
    """Fetch one company's website with the configured limits; what it says, with enrichment_status
    ("ok" when the site could be read)."""
    settings = cfg.enrichment.web
    enricher = SiteEnricher(settings, cfg.resolve(settings.cache_path) if use_cache else None)
    try:
        result = enricher.enrich(domain)
    finally:
        enricher.close()
    return {"domain": result.domain, "enrichment_status": result.status, "enrichment_reason": result.reason,
            "pages": result.pages, "from_cache": result.from_cache, **result.fields}


@dataclass(frozen=True)
class ExtractedPage:
    """One manifest line: the fields extracted from its page, or the problem that kept it from being read."""

    fields: dict | None
    problem: str | None = None


def extract_pages(manifest: Path) -> Iterator[ExtractedPage]:
    """Run extraction on saved pages. MANIFEST.jsonl has lines {"url": ..., "path": ...} and optionally
    "country" (the company's, ISO alpha-2: national phone numbers are read in it); relative paths are read from
    the manifest's folder. No network. Yields one item per non-blank line, in order."""
    for lineno, line in enumerate(manifest.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            url, path, country = entry["url"], Path(entry["path"]), entry.get("country")
            if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                raise ValueError("'url' must be an http(s) URL")
            if country is not None and not (isinstance(country, str) and len(country.strip()) == 2):
                raise ValueError("'country' must be a two-letter country code such as \"DE\"")
        except (ValueError, KeyError, TypeError) as exc:
            yield ExtractedPage(None, f"{manifest}: line {lineno}: needs {{\"url\": ..., \"path\": ...}} ({exc})")
            continue
        path = path if path.is_absolute() else manifest.parent / path
        try:
            html = path.read_bytes()
        except OSError as exc:
            yield ExtractedPage(None, f"{manifest}: line {lineno}: cannot read {path}: {exc.strerror}")
            continue
        fields = extract(url, html, country)
        fields.pop("follow_links", None)
        yield ExtractedPage({**fields, "url": url, "path": str(path)})
