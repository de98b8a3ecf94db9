"""JSON object texts built column by column: one text per row, fields in column order, missing values left out.

The dedupe stage stores a JSON record and a JSON provenance per person, hundreds of thousands a run. Built a
row at a time (a dict or struct per row, then encoded) that was seconds of Python per 100k people; here each
column is encoded in one call (msgspec's encode_lines for values of any type, Arrow's cast for integers)
and the fragments are concatenated per row by Arrow. The texts are byte for byte what msgspec writes for the
row as a struct with omit_defaults (or a dict without the missing keys): `{"a":1,"c":"x"}`, `{}` when empty.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_EMPTY = pa.scalar("", pa.large_string())
_NULL = pa.scalar(None, pa.large_string())


def value_texts(values: Sequence, encoder: msgspec.json.Encoder) -> pa.Array:
    """Each value as its JSON text (None -> null entry): one encode call for the column (JSON text never holds
    a raw newline, so encode_lines' lines are the values)."""
    if not len(values):
        return pa.array([], pa.large_string())
    return lines_array(encoder.encode_lines(values))


def lines_array(data: bytes) -> pa.Array:
    """The lines of `data` (each ending in a newline) as an Arrow string array, "null" lines as null entries:
    the offsets come from the newline positions, so no Python str is made per line."""
    ends = np.flatnonzero(np.frombuffer(data, np.uint8) == 10)
    offsets = np.concatenate([[0], ends + 1]).astype(np.int64)
    with_newline = pa.LargeStringArray.from_buffers(len(ends), pa.py_buffer(offsets), pa.py_buffer(data))
    texts = pc.utf8_slice_codeunits(with_newline, 0, -1)
    return pc.if_else(pc.equal(texts, "null"), _NULL, texts)  # a string "null" is '"null"': never confused


def int_texts(values: np.ndarray) -> pa.Array:
    """Whole numbers held as floats (NaN = missing) as JSON integers, e.g. 12.0 -> "12"; NaN -> null entry."""
    arr = np.asarray(values, dtype=float)
    missing = np.isnan(arr)
    ints = pa.array(np.where(missing, 0, arr).astype(np.int64), mask=missing)
    return pc.cast(ints, pa.large_string())


def json_objects(fields: Sequence[tuple[str, pa.Array]], n: int) -> list[str]:
    """One JSON object text per row from per-field text columns (`(name, texts)` in output order, `texts` from
    value_texts or int_texts; a null entry leaves the field out of that row)."""
    return json_object_array(fields, n).to_pylist()


def json_object_array(fields: Sequence[tuple[str, pa.Array]], n: int) -> pa.Array:
    """json_objects as an Arrow array: what the dedupe stage sends its writer process (a few buffers to pickle,
    not a str object per row; the writer makes the strs)."""
    if n == 0:
        return pa.array([], pa.large_string())
    parts = []
    for name, texts in fields:
        key = pa.scalar("," + msgspec.json.encode(name).decode() + ":", pa.large_string())
        parts.append(pc.fill_null(pc.binary_join_element_wise(key, texts, _EMPTY), ""))
    joined = pc.binary_join_element_wise(*parts, _EMPTY) if parts else pa.array([""] * n, pa.large_string())
    # ',"a":1,"c":"x"' -> '{"a":1,"c":"x"}'; '' -> '{}'
    return pc.binary_join_element_wise(pa.scalar("{", pa.large_string()), pc.utf8_slice_codeunits(joined, 1),
                                       pa.scalar("}", pa.large_string()), _EMPTY)
