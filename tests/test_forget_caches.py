"""`forget` also erases the web-enrichment caches: the cached pages and memo entries that carry one of the
person's personal emails or phones, matched exactly (never a colleague whose address contains theirs).

The caches are real: pages fetched from a local web server through the real SafeFetcher with a cache path,
and extracted through the real ExtractMemo. What each page carries is written down here, not read back.
"""

from __future__ import annotations

import hashlib
import random
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from enrichment.web.fetch import SafeFetcher
from enrichment.web.memo import ExtractMemo
from enrichment.web.safety import SafetyPolicy
from enrichment.web.settings import WebEnrichmentConfig
from leadpipe.cli import main
from leadpipe.pipeline.forget_caches import (
    _Needles,
    apply_cache_erasure,
    memo_path,
    page_identifiers,
    plan_cache_erasure,
)
from leadpipe.pipeline.settings import load_config
from leadpipe.store.warehouse import migrate
from tests.homes import write_config
from tests.test_forget_property import Person, _load
from tests.web_sites import Route, SiteServer

PERSONAL = "+13125550187"  # Anna's own line
SWITCHBOARD = "+13125550100"  # Acme's switchboard: Anna's second row and Jan both have it


def _people() -> list[Person]:
    """Anna (two rows: her own line, then the switchboard) and her colleague Jan, whose address contains hers."""
    return [Person("00000000-0000-4000-8000-000000000001", "Anna", "Ott", ("Acme", "acme.com", "312"),
                   emails=["an.ott@acme.com", "anna.ott@gmail.com"], phones=[PERSONAL, SWITCHBOARD]),
            Person("00000000-0000-4000-8000-000000000002", "Jan", "Ott", ("Acme", "acme.com", "312"),
                   emails=["jan.ott@acme.com"], phones=[SWITCHBOARD])]


def _html(body: str) -> bytes:
    return f"<!doctype html><html lang='en'><head><title>Acme</title></head><body>{body}</body></html>".encode()


# path -> (page, is it Anna's?) — the ground truth the assertions use
PAGES = {
    "/": (_html("<h1>Acme</h1><a href='/team'>Team</a> Call us: +1 312 555 0100"), False),
    "/team": (_html("<p>Anna Ott, Sales: an.ott@acme.com</p>"), True),
    "/jan": (_html("<p>Jan Ott <a href='mailto:jan.ott@acme.com'>jan.ott@acme.com</a>, "
                   "switchboard (312) 555-0100</p>"), False),
    "/imprint": (_html("<p>Responsible for content: Anna Ott, an.ott [at] acme.com</p>"), True),
    "/direct": (_html("<p>Anna direct: (312) 555-0187</p>"), True),
    "/private": (_html("<p>Write to Anna privately: <a href='mailto:ANNA.OTT@GMAIL.COM?subject=hi'>mail</a></p>"),
                 True),
}


def _settings() -> WebEnrichmentConfig:
    return WebEnrichmentConfig(user_agent="leadpipe-test/1.0 (+https://example.org/bot)", min_delay_seconds=0,
                               jitter_seconds=0, schemes=["http"], retries=0)


def _fetch_all(server: SiteServer, cache: Path) -> dict[str, bytes]:
    """Fetch every page through the real fetcher into `cache`, and extract each through the real memo."""
    policy = SafetyPolicy(resolver=lambda host: ["127.0.0.1"], test_hosts=server.hosts("acme.com"))
    fetcher = SafeFetcher(_settings(), policy, cache)
    memo = ExtractMemo(memo_path(cache), ttl_days=14)
    bodies = {}
    try:
        for path in PAGES:
            page = fetcher.get_html(f"http://acme.com{path}")
            memo.extract(page.url, page.body)
            bodies[path] = page.body
    finally:
        fetcher.close()
        memo.close()
    return bodies


def _rows(db: Path, table: str) -> dict[str, bytes]:
    with sqlite3.connect(db) as con:
        return {k: bytes(v) if isinstance(v, bytes) else str(v).encode()
                for k, v in con.execute(f"SELECT key, {'value' if table == 'responses' else 'fields'} FROM {table}")}


def _files(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


# How Anna is written on her pages. Not a bare "0187": the files also hold hex keys and microsecond timestamps,
# whose digits can contain it by chance.
ANNA_TRACES = (b"an.ott@acme.com", b"an.ott [at] acme.com", b"anna.ott@gmail.com", b"555-0187")


def _traces_of_anna(cache: Path, files: tuple[Path, ...] = ()) -> set[bytes]:
    """Which of Anna's traces the raw bytes of the cache files hold (free pages included), case-insensitively;
    her colleague's address, which contains hers, is not one."""
    raw = b"".join(f.read_bytes() for f in files or (cache, memo_path(cache))).lower()
    raw = raw.replace(b"jan.ott@acme.com", b"")
    return {trace for trace in ANNA_TRACES if trace in raw}


def _cached(server: SiteServer, cache: Path, path: str) -> tuple[bool, bytes]:
    policy = SafetyPolicy(resolver=lambda host: ["127.0.0.1"], test_hosts=server.hosts("acme.com"))
    fetcher = SafeFetcher(_settings(), policy, cache)
    try:
        page = fetcher.get_html(f"http://acme.com{path}")
        return page.from_cache, page.body
    finally:
        fetcher.close()


@pytest.fixture
def server():
    with SiteServer() as s:
        s.sites["acme.com"] = {path: Route(body) for path, (body, _) in PAGES.items()}
        yield s


# ----------------------------------------------------------------------------- the caches on their own


def test_pages_and_memo_entries_carrying_the_person_go_the_colleagues_stay_byte_for_byte(server, tmp_path):
    cache = tmp_path / "cache" / "web_http.sqlite"
    _fetch_all(server, cache)
    responses_before, memo_before = _rows(cache, "responses"), _rows(memo_path(cache), "memo")
    assert len(responses_before) == len(PAGES) and len(memo_before) == len(PAGES)
    assert _traces_of_anna(cache) == set(ANNA_TRACES)

    planned = plan_cache_erasure(cache, ["an.ott@acme.com", "anna.ott@gmail.com"], [PERSONAL])
    theirs = {f"http://acme.com{p}" for p, (_, anna) in PAGES.items() if anna}
    assert {p["url"] for p in planned.pages} == theirs
    assert len(planned.memo_keys) == len(theirs)
    assert _rows(cache, "responses") == responses_before  # planning changes nothing

    done = apply_cache_erasure(cache, planned)
    assert done == {"web_cache_pages": len(theirs), "web_memo_entries": len(theirs)}
    responses_after, memo_after = _rows(cache, "responses"), _rows(memo_path(cache), "memo")
    gone = {p["key"] for p in planned.pages}
    assert responses_after == {k: v for k, v in responses_before.items() if k not in gone}
    assert memo_after == {k: v for k, v in memo_before.items() if k not in set(planned.memo_keys)}
    # nothing of Anna is left in either file, not even in free pages
    for f in (cache, memo_path(cache)):
        assert not _traces_of_anna(f, files=(f,)), f.name
    # the colleague's page is still served from the cache, unchanged; Anna's team page is fetched again
    assert _cached(server, cache, "/jan") == (True, PAGES["/jan"][0])
    assert _cached(server, cache, "/team") == (False, PAGES["/team"][0])


def test_only_the_colleague_or_the_shared_line_matches_nothing_of_anna(server, tmp_path):
    cache = tmp_path / "web_http.sqlite"
    _fetch_all(server, cache)
    # forgetting Jan (whose address contains Anna's) takes his page only; the switchboard is not personal
    planned = plan_cache_erasure(cache, ["jan.ott@acme.com"], [])
    assert [p["url"] for p in planned.pages] == ["http://acme.com/jan"]
    assert not plan_cache_erasure(cache, ["ott@acme.com", "n.ott@acme.com"], []).pages


def test_missing_cache_files_or_nothing_to_look_for_do_nothing(tmp_path, server):
    cache = tmp_path / "nowhere" / "web_http.sqlite"
    assert not plan_cache_erasure(cache, ["an.ott@acme.com"], [PERSONAL])
    assert apply_cache_erasure(cache, plan_cache_erasure(cache, ["an.ott@acme.com"], [])) == {}
    assert not cache.parent.exists()  # not even created
    present = tmp_path / "here" / "web_http.sqlite"
    _fetch_all(server, present)
    assert not plan_cache_erasure(present, [], [])


def test_obfuscated_and_linked_addresses_are_read_exactly():
    page = _html("<p>an.ott [at] acme (dot) com, <a href='mailto:Li%20x'>x</a> kali (at) acme.com</p>"
                 "<a href='mailto:sales@acme.com?subject=a'>s</a><span data-mail='bo@acme.com'></span>")
    emails, _ = page_identifiers("http://acme.com/", page)
    assert {"an.ott@acme.com", "kali@acme.com", "sales@acme.com", "bo@acme.com"} <= emails
    assert "li@acme.com" not in emails and "ott@acme.com" not in emails


LOCALS = ["an.ott", "jan.ott", "ott", "n.ott", "anna.ott", "li", "kali", "a.li"]
WRITINGS = ["{e}", "<a href='mailto:{e}'>mail</a>", "{l} [at] {d}", "{l} (at) {d}", "{E}", "mailto:{e}",
            "{ldot} [at] {ddot}", "{l}&#64;{d}", "<a href='mailto:{pct}'>mail</a>", "<span data-mail='{e}'></span>"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(LOCALS), st.sampled_from(WRITINGS)), max_size=5),
       st.sampled_from(LOCALS), st.randoms(use_true_random=False))
def test_a_page_names_an_address_only_if_that_exact_address_is_written_on_it(written, target, rnd: random.Random):
    """Addresses that contain each other (an.ott, jan.ott, n.ott, ott), in every writing the page scan reads."""
    domain = rnd.choice(["acme.com", "acme.de"])
    parts = [w.format(e=f"{loc}@{domain}", E=f"{loc}@{domain}".upper(), l=loc, d=domain,
                      ldot=loc.replace(".", " (dot) "), ddot=domain.replace(".", " [dot] "),
                      pct=f"{loc}@{domain}".replace(".", "%2E").replace("@", "%40")) for loc, w in written]
    page = _html("<p>" + "</p><p>".join(parts) + "</p>")
    emails, _ = page_identifiers(f"http://{domain}/team", page)
    on_page = target in {loc for loc, _ in written}
    assert (f"{target}@{domain}" in emails) == on_page
    # the cheap pre-check that decides which cached pages are parsed at all never skips a page naming them
    assert _Needles.of([f"{target}@{domain}"], []).may_be_in(page) or not on_page


# ----------------------------------------------------------------------------- through `leadpipe forget`


def test_forget_erases_the_cached_pages_and_the_dry_run_only_lists_them(server, home, warehouse_url, monkeypatch):
    monkeypatch.setenv("LEADPIPE_WAREHOUSE_URL", warehouse_url)
    config = write_config(home / "leadpipe.yaml")
    cfg = load_config(config)
    migrate(warehouse_url)
    _load(warehouse_url, _people(), cfg.runs_dir)
    cache = cfg.resolve(cfg.enrichment.web.cache_path)
    _fetch_all(server, cache)
    theirs = sum(anna for _, anna in PAGES.values())

    files_before = _files(cache.parent)
    dry = CliRunner().invoke(main, ["--config", str(config), "forget", "AN.OTT@acme.com", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"web cache: {theirs} cached pages, {theirs} memo entries" in dry.output
    assert "http://acme.com/imprint" in dry.output and "http://acme.com/jan" not in dry.output
    assert _files(cache.parent) == files_before  # the dry run touched neither file

    responses_before = _rows(cache, "responses")
    real = CliRunner().invoke(main, ["--config", str(config), "forget", "an.ott@acme.com"])
    assert real.exit_code == 0, real.output
    assert f"web cache: {theirs} cached pages, {theirs} memo entries" in real.output
    left = _rows(cache, "responses")
    assert len(left) == len(PAGES) - theirs and all(responses_before[k] == v for k, v in left.items())
    assert _cached(server, cache, "/jan") == (True, PAGES["/jan"][0])
    assert _cached(server, cache, "/") == (True, PAGES["/"][0])  # the switchboard is the company's, kept
