"""Reading the title evaluation files (tests/data/title_eval/): the unit-group lists and the sets' titles.

Shared by the builds of the lookup and training data (scripts/build_esco_title_data.py, build_noc_title_data.py),
which must leave out every title of a set still held out, compared in the classifier's normal form.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from enrichment.title_text import normalise_title

EVAL = Path(__file__).resolve().parents[1] / "tests" / "data" / "title_eval"
# The sets still held out or kept as regression sets: none of their titles may reach the lookup or the model, from
# whichever source lists them (the ANZSCO frozen set since the sixth round; the NOC frozen set, spent by the fifth,
# is training data since) and the O*NET evaluation sets. One list for every data build.
HELD_OUT_SETS = (EVAL / "anzsco_frozen_titles.csv", EVAL / "onet_heldout_titles.csv", EVAL / "onet_fresh_titles.csv",
                 EVAL / "onet_alternate_titles.csv")


def groups(path: Path) -> set[str]:
    """The codes (first column) of a unit-group list; '#' lines are comments."""
    return {line.split("\t")[0] for line in path.read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#")}


def set_titles(paths: Iterable[Path]) -> set[str]:
    """Every title of these sets, normalised as the classifier reads it."""
    out: set[str] = set()
    for path in paths:
        with path.open(encoding="utf-8", newline="") as fh:
            out |= {normalise_title(r["title"]) for r in csv.DictReader(fh)}
    return out
