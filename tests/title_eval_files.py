"""The title evaluation files for the title tests: where they are, their rows and their unit-group lists.

Importing this also puts scripts/ on the path, for the tests of the builds and mappings there.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

REPO = Path(__file__).parents[1]
EVAL = REPO / "tests" / "data" / "title_eval"
sys.path.insert(0, str(REPO / "scripts"))


def rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def groups(name: str) -> set[str]:
    """The codes of a unit-group list in tests/data/title_eval/, read as the data builds read it."""
    import title_set_files  # in scripts/, on the path from above

    return title_set_files.groups(EVAL / name)
