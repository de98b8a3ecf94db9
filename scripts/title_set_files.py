"""Reading the title evaluation files (tests/data/title_eval/): the unit-group lists and the sets' titles.

Shared by the builds of the lookup and training data (scripts/build_esco_title_data.py, build_noc_title_data.py),
which must leave out every title of a set still held out, compared in the classifier's normal form.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from enrichment.title_text import normalise_title


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
