"""Which row of a file is its header, and unique names for its columns.

Vendor exports put lines above the header ("Exported from X on 2026-11-01", a blank line, then the header);
read as the header, that preamble turns every column name into nonsense and the file is refused. The header
is therefore the first of the top rows that carries at least MIN_KNOWN_HEADERS names we know (a lead-field
alias from `mapping.ALIASES`, a preset's column, a field name); a file whose top rows carry none keeps its
first row, as before. The source setting `header_row` (1-based) says it outright.

Exports also repeat column names: Seamless.AI writes `First Name`/`Last Name` twice, many tools write two
`Phone` columns (work and mobile). Every column is kept: a repeated name gets a suffix (`Phone`,
`Phone (2)`), and mapping decides what each copy feeds (see `mapping.map_headers`).
"""

from __future__ import annotations

from collections.abc import Iterable

from connectors.sources.mapping import ALIASES, norm_header
from connectors.sources.presets import PRESETS

MAX_PREAMBLE_ROWS = 20  # header detection looks at this many non-blank rows at the top
MIN_KNOWN_HEADERS = 2

KNOWN_HEADERS: frozenset[str] = frozenset(
    {norm_header(a) for aliases in ALIASES.values() for a in aliases}
    | {norm_header(h) for columns in PRESETS.values() for h in columns.values()}
    | {norm_header(f) for columns in PRESETS.values() for f in columns}
)


def known_headers(cells: Iterable[str]) -> int:
    """How many cells are column names we know."""
    return sum(1 for c in cells if norm_header(c) in KNOWN_HEADERS)


def header_index(rows: list[list[str]]) -> int:
    """Index in `rows` (the top rows of a file) of its header: the first row with MIN_KNOWN_HEADERS known
    names, else the first non-blank row."""
    first = None
    for i, cells in enumerate(rows):
        if not any(c.strip() for c in cells):
            continue
        if first is None:
            first = i
        if known_headers(cells) >= MIN_KNOWN_HEADERS:
            return i
    return first or 0


def unique_headers(cells: list[str]) -> list[str]:
    """Column names as read, trimmed; an empty one is `column_N`, a repeated one `Name (2)`, `Name (3)`."""
    names = [c.strip().lstrip("\ufeff").strip() or f"column_{i}" for i, c in enumerate(cells, start=1)]
    taken = set(names)
    seen: set[str] = set()
    out = []
    for name in names:
        if name in seen:
            n = 2
            while f"{name} ({n})" in taken:
                n += 1
            taken.add(f"{name} ({n})")
            name = f"{name} ({n})"
        seen.add(name)
        out.append(name)
    return out


