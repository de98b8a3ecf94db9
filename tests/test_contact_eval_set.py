"""The frozen contact-extraction evaluation set (tests/data/contact_eval/): well-formed, and its fetch script
refuses bytes that differ from the manifest's hashes."""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import re
import subprocess
from pathlib import Path

import phonenumbers
import pytest

SET = Path(__file__).parent / "data" / "contact_eval"
SCRIPT = Path(__file__).parents[1] / "scripts" / "fetch_contact_pages.py"


def _rows(name: str) -> list[dict[str, str]]:
    with (SET / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize(("suffix", "at_least", "splits"), [("", 200, ("dev", "heldout")), ("_extra", 100, ("extra",))])
def test_every_page_has_a_source_a_licence_a_hash_and_labels(suffix, at_least, splits):
    manifest, labels = _rows(f"manifest{suffix}.csv"), {r["page_id"]: r for r in _rows(f"labels{suffix}.csv")}
    assert len(manifest) >= at_least and set(labels) == {r["page_id"] for r in manifest}
    for row in manifest:
        assert row["source_repo"] and re.fullmatch(r"[0-9a-f]{40}", row["source_commit"])
        assert re.fullmatch(r"[0-9a-f]{64}", row["sha256"]) and row["licence"] and row["split"] in splits
        label = labels[row["page_id"]]
        assert (label["shows_email"] == "yes") == bool(label["emails"].split())
        assert (label["shows_phone"] == "yes") == bool(label["phones"].split())
        for number in label["phones"].split() + label["fax"].split():
            assert phonenumbers.is_valid_number(phonenumbers.parse(number)), (row["page_id"], number)
        for email in label["emails"].split():
            assert re.fullmatch(r"[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}", email), (row["page_id"], email)


def test_no_site_is_in_both_the_dev_and_the_held_out_part():
    split_of: dict[str, set[str]] = {}
    for row in _rows("manifest.csv"):
        host = re.sub(r"^https?://(www\.)?", "", row["url"]).split("/")[0]
        split_of.setdefault(host, set()).add(row["split"])
    assert all(len(parts) == 1 for parts in split_of.values())


def test_fetch_refuses_pages_whose_bytes_differ_from_the_manifest(tmp_path):
    spec = importlib.util.spec_from_file_location("fetch_contact_pages", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    repo = tmp_path / "src"
    (repo / "pages").mkdir(parents=True)
    (repo / "pages" / "a.html").write_bytes(b"<p>Tel 030 1234567</p>")
    (repo / "pages" / "b.html").write_bytes(b"<p>changed after labelling</p>")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t.invalid"]
    subprocess.run([*git[:3], "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "pages"], check=True)
    commit = subprocess.run([*git[:3], "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    rows = [{"page_id": "a", "source_repo": "x/y", "source_commit": commit, "source_path": "pages/a.html",
             "sha256": hashlib.sha256(b"<p>Tel 030 1234567</p>").hexdigest()},
            {"page_id": "b", "source_repo": "x/y", "source_commit": commit, "source_path": "pages/b.html",
             "sha256": hashlib.sha256(b"<p>what was labelled</p>").hexdigest()},
            {"page_id": "c", "source_repo": "x/y", "source_commit": commit, "source_path": "pages/missing.html",
             "sha256": "0" * 64}]
    cache = tmp_path / "cache"
    cached, fetched, problems = module.fetch_all(rows, repo, cache)
    assert (cached, fetched) == (0, 1)
    assert sorted(p.split(":")[0] for p in problems) == ["b", "c"] and "sha256 differs" in problems[0]
    assert sorted(p.name for p in cache.iterdir()) == ["a.html"]
    assert module.fetch_all(rows[:1], repo, cache)[:2] == (1, 0)  # already there: not fetched again
