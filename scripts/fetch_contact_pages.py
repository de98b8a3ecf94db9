"""Bring the contact-extraction evaluation pages into a git-ignored cache, checked against their hashes.

The pages are third-party company web pages (saved in 2014 by Scrapinghub for their webstruct project, an
MIT-licensed repository). Their text belongs to the sites, so this repository keeps only the manifest (source,
commit, path, sha256), the hand labels and this script, never the pages themselves.

Usage:
    .venv/bin/python scripts/fetch_contact_pages.py                      # download from GitHub at the pinned commit
    .venv/bin/python scripts/fetch_contact_pages.py --from-git PATH      # read from a local clone of the source repo
    .venv/bin/python scripts/fetch_contact_pages.py --set extra [--from-git PATH-TO-TRAFILATURA-CLONE]
Pages land in bench/data/contact_pages/<page_id>.html (bench/data/ is git-ignored); a page whose bytes do not
match the manifest's sha256 is refused, so the evaluation always runs on exactly the labelled bytes.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import subprocess
import sys
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SETS = {"main": REPO / "tests" / "data" / "contact_eval" / "manifest.csv",
        "extra": REPO / "tests" / "data" / "contact_eval" / "manifest_extra.csv"}
MANIFEST = SETS["main"]
CACHE = REPO / "bench" / "data" / "contact_pages"
MAX_BYTES = 4_000_000


def read_manifest(path: Path = MANIFEST) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _from_git(clone: Path, commit: str, path: str) -> bytes:
    return subprocess.run(["git", "-C", str(clone), "show", f"{commit}:{path}"], check=True,
                          capture_output=True).stdout


def _from_github(repo: str, commit: str, path: str) -> bytes:
    url = f"https://raw.githubusercontent.com/{repo}/{commit}/{path}"
    with urllib.request.urlopen(url, timeout=30) as response:  # fixed https host, pinned commit
        body = response.read(MAX_BYTES + 1)
    if len(body) > MAX_BYTES:
        raise ValueError(f"{url}: larger than {MAX_BYTES} bytes")
    return body


def fetch_all(rows: list[dict[str, str]], clone: Path | None, cache: Path = CACHE) -> tuple[int, int, list[str]]:
    """(already cached, fetched now, problems); a problem names the page and what went wrong."""
    cache.mkdir(parents=True, exist_ok=True)
    cached = fetched = 0
    problems: list[str] = []
    for row in rows:
        target = cache / f"{row['page_id']}.html"
        if target.exists() and hashlib.sha256(target.read_bytes()).hexdigest() == row["sha256"]:
            cached += 1
            continue
        try:
            body = (_from_git(clone, row["source_commit"], row["source_path"]) if clone
                    else _from_github(row["source_repo"], row["source_commit"], row["source_path"]))
        except (OSError, ValueError, subprocess.CalledProcessError) as exc:
            problems.append(f"{row['page_id']}: cannot get {row['source_path']} ({exc.__class__.__name__})")
            continue
        if hashlib.sha256(body).hexdigest() != row["sha256"]:
            problems.append(f"{row['page_id']}: sha256 differs from the manifest, not used")
            continue
        target.write_bytes(body)
        fetched += 1
    return cached, fetched, problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--from-git", type=Path, help="a local clone of the source repository (scrapinghub/webstruct;"
                                                       " adbar/trafilatura for --set extra)")
    parser.add_argument("--set", choices=sorted(SETS), default="main")
    args = parser.parse_args(argv)
    rows = read_manifest(SETS[args.set])
    cached, fetched, problems = fetch_all(rows, args.from_git)
    print(f"{len(rows)} pages: {cached} already cached, {fetched} fetched, {len(problems)} problems -> {CACHE}")
    for problem in problems:
        print("  " + problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
