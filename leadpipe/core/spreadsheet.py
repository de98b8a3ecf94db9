"""Cells for CSV files people open in a spreadsheet: no cell may start a formula (CSV injection).

Every CSV we write (the CRM import, list members, `leadpipe dedupe` output, files rewritten by `forget`) goes
through `neutralise_formula`, following the OWASP CSV Injection guidance: a cell that Excel, LibreOffice or
Google Sheets would read as a formula gets a leading apostrophe, which makes it text. A cell is a formula when
its first character is = + - @ (Excel skips leading blanks before deciding, so ` =1+1` and `\\u00a0=1+1`
count) or when it starts with a tab or a line break. The fullwidth forms (＝ ＋ － ＠) are treated the same,
as some spreadsheet locales fold them to ASCII.

One exception keeps phone numbers usable: a value of digits and spaces with at most one leading `+`
(`+4930123456`, `+49 30 123456`) is written as it is. Such a value cannot call a function, refer to a cell
or reach the network: a formula needs a letter (a function name or cell reference) or an operator such as
`|` `!` `(` to do anything, and this value has none; at worst a spreadsheet shows it as the number it is. A
CRM import, which reads the file as text, keeps `'+4930123456` with its apostrophe, so prefixing phone
numbers would spoil every one of them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    import pyarrow as pa

__all__ = ["FORMULA_START", "neutralise_arrow", "neutralise_formula", "neutralise_frame", "neutralise_row",
           "starts_formula", "text_buffers"]

FORMULA_START = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")
_BREAK_START = ("\t", "\r", "\n")
_PLAIN_NUMBER = re.compile(r"\+?\d[\d ]*")
# A cell that is empty or starts with an ASCII letter or digit cannot start a formula (that first character is
# neither blank nor one of FORMULA_START): most cells of a lead file, passed over without a Python call. Nor is
# a plain number with a leading + in ASCII digits (_PLAIN_NUMBER's `\d` also takes other scripts' digits: those
# few cells are looked at in Python), so a file's phone column needs no Python call either.
_SAFE_START = "^(?:[A-Za-z0-9]|$|\\+[0-9][0-9 ]*$)"
# An ASCII cell starting with one of these starts a formula (no blank can come first): unless _SAFE_START keeps
# it as a plain number, it gets the apostrophe.
_ASCII_FORMULA_START = "^[=+@-]"
# First bytes that _SAFE_START's first alternative keeps whatever follows: ASCII letters and digits.
_ALNUM_FIRST = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def _blank(c: str) -> bool:
    """Skipped before a spreadsheet looks for a formula: white space, control and invisible format chars."""
    return c.isspace() or unicodedata.category(c) in ("Cc", "Cf", "Zs", "Zl", "Zp")


def starts_formula(text: str) -> bool:
    """True when a spreadsheet could read `text` as a formula (see the module docstring)."""
    if text.startswith(_BREAK_START):
        return True
    first = next((c for c in text if not _blank(c)), "")
    return first in FORMULA_START


def neutralise_formula(value: object) -> str:
    """The cell to write for `value`: None is empty; a formula-like text gets a leading `'`, except a plain
    number such as an E.164 phone, which is written as it is."""
    text = "" if value is None else str(value)
    if not starts_formula(text) or _PLAIN_NUMBER.fullmatch(text):
        return text
    return "'" + text


def neutralise_row(values: Iterable[object]) -> list[str]:
    """A CSV row with every cell neutralised."""
    return [neutralise_formula(v) for v in values]


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` for `to_csv`: text cells and column names neutralised; numbers, booleans and empty
    cells left alone (they cannot be formulas, and pandas writes them as it always has)."""
    out = frame.rename(columns=lambda c: neutralise_formula(c) if isinstance(c, str) else c)
    for col in out.columns:
        if out[col].dtype.kind == "O":  # object and string columns; pandas is not imported here
            out[col] = out[col].map(lambda v: neutralise_formula(v) if isinstance(v, str) else v)
    return out


def neutralise_arrow(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """A string column as `neutralise_formula` writes each cell (nulls stay null, same type back). Most cells of
    a lead file start with an ASCII letter or digit, which no formula does: those (and empty cells) are decided
    from their first byte in the Arrow buffers, with no per-cell kernel. Only the others go through
    `_neutralise_kernels` and are put back in place. A chunked column is neutralised chunk by chunk."""
    import pyarrow as pa  # only writers of Arrow columns need it; this module stays light for the rest
    import pyarrow.compute as pc

    if isinstance(values, pa.ChunkedArray):
        chunks = [neutralise_arrow(chunk) for chunk in values.chunks]
        if all(new is old for new, old in zip(chunks, values.chunks, strict=True)):
            return values
        return pa.chunked_array(chunks, type=values.type)
    undecided = _undecided_cells(values)
    if undecided is None:  # no string offsets to read (another type): every cell by the kernels
        return _neutralise_kernels(values)
    if not undecided.any():
        return values
    mask = pa.array(undecided)
    subset = pc.filter(values, mask)
    fixed = _neutralise_kernels(subset)
    if fixed is subset or pc.all(pc.equal(fixed, subset)).as_py():  # none changed: no copy of the column
        return values
    return pc.replace_with_mask(values, mask, fixed)


def _undecided_cells(values: pa.Array) -> np.ndarray | None:
    """A mask of the cells whose first byte does not settle them: not null, not empty, and not starting with an
    ASCII letter or digit (the first alternative of _SAFE_START; a UTF-8 lead byte of another character is never
    one). Read from the offsets and value buffers, minding the array's offset; None for a type that is neither
    string nor large_string."""
    # only writers of Arrow columns need these; this module stays light for the rest (the DAG files parse it)
    import numpy as np
    import pyarrow as pa

    if values.type not in (pa.string(), pa.large_string()):
        return None
    if len(values) == 0:
        return np.zeros(0, dtype=bool)
    offsets, data = text_buffers(values)
    starts = offsets[:-1]
    undecided = offsets[1:] > starts  # an empty cell is kept
    if undecided.any():
        undecided[undecided] = ~_alnum_table()[data[starts[undecided]]]
    if values.null_count:  # a null is kept (its slot may still span bytes)
        undecided &= values.is_valid().to_numpy(zero_copy_only=False)
    return undecided


def text_buffers(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(offsets, value bytes) of a non-empty string or large_string array, as numpy views of its buffers: cell i
    is bytes[offsets[i]:offsets[i + 1]]. The offsets are the array's own (a slice's start within its parent's),
    the bytes its parent's whole value buffer (empty when no cell holds a byte)."""
    # only writers of Arrow columns need these; this module stays light for the rest
    import numpy as np
    import pyarrow as pa

    _, offsets_buffer, data_buffer = values.buffers()
    width = np.int64 if values.type == pa.large_string() else np.int32
    offsets = np.frombuffer(offsets_buffer, dtype=width)[values.offset:values.offset + len(values) + 1]
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else np.zeros(0, dtype=np.uint8)
    return offsets, data


@cache
def _alnum_table() -> np.ndarray:
    """A lookup table of the 256 byte values: True for the bytes of _ALNUM_FIRST (built once, on first use)."""
    import numpy as np  # only writers of Arrow columns need it; this module stays light for the rest

    table = np.zeros(256, dtype=bool)
    table[list(_ALNUM_FIRST)] = True
    return table


def _neutralise_kernels(values: pa.Array) -> pa.Array:
    """`neutralise_arrow` by Arrow's regex kernels over every cell: a cell that cannot start a formula
    (_SAFE_START) is kept, an ASCII cell starting with = + - @ that is no plain number (`+44 (0)20 7946 0000`,
    `-5`) gets its apostrophe; only the rest (a leading blank or other script) is looked at one by one. Returns
    `values` itself when no cell changes."""
    # only writers of Arrow columns need these; this module stays light for the rest
    import pyarrow as pa
    import pyarrow.compute as pc

    keep = pc.fill_null(pc.match_substring_regex(values, _SAFE_START), True)
    prefix = pc.fill_null(pc.and_(pc.and_(pc.match_substring_regex(values, _ASCII_FORMULA_START),
                                          pc.string_is_ascii(values)), pc.invert(keep)), False)
    risky = pc.invert(pc.or_(keep, prefix))
    if pc.any(prefix).as_py():
        apostrophe, nothing = pa.scalar("'", values.type), pa.scalar("", values.type)
        values = pc.if_else(prefix, pc.binary_join_element_wise(apostrophe, values, nothing), values)
    if not pc.any(risky).as_py():
        return values
    fixed = [neutralise_formula(v) for v in pc.filter(values, risky).to_pylist()]
    return pc.replace_with_mask(values, risky, pa.array(fixed, type=values.type))
