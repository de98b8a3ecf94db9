"""Synthetic demo leads: two purchased vendor lists, a web-form export, and the truth about who is who.

Why this exists: the interesting stages (mapping, validation, dedupe) only show their worth on data that is
messy the way real lead data is messy -- the same person bought twice under a nickname, one company written
three ways, phones in every format, the odd "Test Test" row. A seeded generator gives every developer and CI
run the same such data, and ``ground_truth.csv`` lets tests score dedupe quality.

Facts worth knowing when matching on this data (they mirror the real exports):

- Apollo's "Corporate Phone" is the company switchboard, so colleagues share it; a person's own number is
  ZoomInfo's "Direct Phone Number" or the phone typed into a web form. A phone alone is not an identity.
- Role addresses (info@, kontakt@) are shared by colleagues too.
- Colleagues with the same surname at one company, and namesakes ("John Smith") at different companies,
  are different people in the ground truth.
- Apollo drops the legal form for some companies and lower-cases industries; ZoomInfo writes English city
  names (Munich, Vienna) and US state codes, and its employee counts disagree slightly with Apollo's.

Big sizes are cheap: names, phones and companies come from pools built once (Faker and libphonenumber run
per pool entry, not per row) and are sampled with one ``random.Random(seed)``.

The work is split by job: ``reference`` (countries, industries, nicknames), ``pools`` (Faker and
libphonenumber), ``companies`` and ``people`` (the truth), ``plan`` (who appears where, with which
differences), ``rows`` (how each source spells it) and ``files`` (names, headers, writing). This module runs
them in order with one random stream.

CLI (used by ``make run``): ``python -m leadpipe.demo.generator OUT_DIR [--people N] [--seed S] [--force]``.
"""

from __future__ import annotations

import argparse
import csv
import gc
import random
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from leadpipe.demo.companies import make_companies
from leadpipe.demo.files import DemoFiles, write_all
from leadpipe.demo.people import (
    assign_contacts,
    assign_postcodes,
    make_people,
    plant_households,
    plant_lookalikes,
)
from leadpipe.demo.plan import plan_copies, plant_bad_rows
from leadpipe.demo.pools import PhoneBook, build_pool
from leadpipe.demo.reference import COUNTRIES
from leadpipe.demo.rows import render_rows


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Big runs hold millions of small objects and create no cycles; the cyclic GC would rescan them over
    and over (about half the runtime at 300k people)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def generate(out_dir: Path, people: int = 400, seed: int = 7) -> DemoFiles:
    """Write the three demo inputs and ground_truth.csv into out_dir; same seed, same bytes."""
    if people < 1:
        raise ValueError("people must be at least 1")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = DemoFiles.in_dir(out_dir)
    with _gc_paused():
        rng = random.Random(seed)
        pools = {code: build_pool(code, seed) for code in COUNTRIES}
        phones = PhoneBook(rng, pools)
        companies = make_companies(rng, pools, phones, max(3, round(people / 3.5)))
        persons = make_people(rng, pools, companies, people)
        plant_lookalikes(rng, persons, pools, companies)
        assign_postcodes(seed, persons)
        plant_households(seed, persons, pools)
        copies = plan_copies(rng, persons, pools)
        assign_contacts(rng, persons, phones)  # after plan_copies: nickname showcases may rename people
        copies = plant_bad_rows(rng, copies, pools, companies)
        write_all(files, render_rows(rng, copies))
    return files


def _row_counts(files: DemoFiles) -> Counter[str]:
    with files.ground_truth.open(newline="", encoding="utf-8") as fh:
        return Counter(row["file"] for row in csv.DictReader(fh))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m leadpipe.demo.generator",
        description="Write synthetic demo leads (vendor lists, web forms, ground truth) unless already present.",
    )
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--people", type=int, default=400, help="true people to generate (default 400)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--force", action="store_true", help="regenerate even if the files exist")
    args = parser.parse_args(argv)
    files = DemoFiles.in_dir(args.out_dir)
    if files.exist() and not args.force:
        print(f"demo data already present in {args.out_dir}, nothing written (use --force to regenerate)")
        return 0
    generate(args.out_dir, people=args.people, seed=args.seed)
    counts = _row_counts(files)
    for path in files.all()[:3]:
        print(f"wrote {path} ({counts[path.name]} rows)")
    print(f"wrote {files.ground_truth} ({sum(counts.values())} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
