"""Column-wise paths for the commonest shapes of three fields: plain email addresses, plain web addresses and
plain names, found and taken apart by Arrow's kernels over a whole column instead of one Python call per value.

Why: a 1M-row lead list has ~800,000 distinct addresses and ~600,000 distinct full names; even at a few
microseconds each, the per-value Python calls were most of normalisation's time. But what the libraries decide
(is this domain valid, is it a free-mail provider, what is its registrable domain, how is "MCDONALD" cased)
depends on the domain, the host or the single word, and those repeat: a company's domain once per employee, a
first name once per thousand people. So each path splits the cells of its plain shape with one regular
expression, asks the caller's per-value function once per distinct *part*, and joins the answers back per row.

Only cells of the plain shape take these paths; everything else (spaces around, "mailto:", display names,
Unicode, quoted local parts, odd whitespace inside) goes to the per-value normalisers as before, so the results
are the same either way (enrichment.normalise uses these; tests compare both on generated and hostile values).
Nothing here knows a rule of its own: the shapes are narrow enough that the per-value code would do exactly the
split done here, and the callers pass in the decisions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["as_text_column", "per_distinct", "per_distinct_column", "plain_emails", "plain_hosts", "plain_two_word_names", "role_flags"]

# email-validator's dot-atom local part (RFC 5322 atext), "@", a host of ASCII letters, digits, dots and hyphens:
# enrichment.normalise._SIMPLE_ADDRESS, anchored, on the raw cell (no space around it, nothing to strip).
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_EMAIL = rf"^(?P<local>{_ATEXT}(?:\.{_ATEXT})*)@(?P<domain>[A-Za-z0-9.-]+)$"
_MAX_LOCAL, _MAX_ADDRESS = 64, 254  # longer ones go to email-validator, which says why they are refused

# enrichment.normalise._PLAIN_URL on the raw cell, printable ASCII only (so Arrow's ASCII lower-casing is
# Python's), no space anywhere (nothing to strip or clean), the host in group "host", its last label in "tld".
_PLAIN_WEB = r"^(?:https?://)?(?P<host>(?:[a-z0-9-]+\.)+(?P<tld>[a-z0-9-]+))(?::[0-9]+)?(?:[/?#][!-~]*)?$"

# Two words of letters (any script), apostrophes, hyphens and dots, one ASCII space between: a cell whose
# words str.split() finds exactly so (no other whitespace, nothing to strip, every character printable).
_TWO_WORDS = r"^(?P<first>[\p{L}\p{M}'\x{2019}.-]+) (?P<second>[\p{L}\p{M}'\x{2019}.-]+)$"


def as_text_column(values: pd.Series | Sequence[Any]) -> pa.Array | None:
    """A column as Arrow text (missing cells null), or None when some cell is not text (a spreadsheet's number):
    then the column takes the per-value path whole."""
    try:
        array = pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if isinstance(array, pa.ChunkedArray):  # a pandas "str" column hands over its Arrow chunks
        array = array.combine_chunks()
    if pa.types.is_null(array.type):
        return pa.nulls(len(array), pa.large_string())
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        return None
    return array.cast(pa.large_string())


def per_distinct(values: pa.Array, fn: Callable[[str], tuple[Any, ...]], types: Sequence[pa.DataType]) \
        -> list[pa.Array]:
    """fn called once per distinct value (no nulls in `values`), its answers (tuples of len(types)) spread back
    over the rows, one Arrow array per tuple position."""
    encoded = pc.dictionary_encode(values)
    answers = [fn(value) for value in encoded.dictionary.to_pylist()]
    indices = encoded.indices
    return [pa.array([a[i] for a in answers], type=t).take(indices) for i, t in enumerate(types)]


def per_distinct_column(values: pa.Array, fn: Callable[[pa.Array], list[pa.Array]]) -> list[pa.Array]:
    """fn called once on the distinct values (no nulls in `values`) as a column, its columns spread back over the
    rows."""
    encoded = pc.dictionary_encode(values)
    return [answer.take(encoded.indices) for answer in fn(encoded.dictionary)]


def plain_emails(values: pa.Array) -> tuple[np.ndarray, pa.Array, pa.Array]:
    """(rows of the plain shape, their local parts, their domains as written)."""
    matched = pc.fill_null(pc.match_substring_regex(values, _PLAIN_EMAIL), False)
    # a plain address holds one "@" (no atext character is one): cut there, no capture groups (RE2 finds those
    # with its slow engine, the match above with its fast one)
    plain = values.filter(matched)
    parts = pc.split_pattern(plain, "@", max_splits=1)
    local, domain = pc.list_element(parts, 0), pc.list_element(parts, 1)
    short = pc.and_(pc.less_equal(pc.binary_length(local), _MAX_LOCAL),
                    pc.less_equal(pc.binary_length(plain), _MAX_ADDRESS))
    rows = np.flatnonzero(matched.to_numpy(zero_copy_only=False))
    keep = short.to_numpy(zero_copy_only=False)
    return rows[keep], local.filter(short), domain.filter(short)


def role_flags(lower_local: pa.Array, roles: frozenset[str]) -> pa.Array:
    """enrichment.normalise.is_role_local_part on lower-case local parts: the part before a "+", or its first
    piece before ".", "_" or "-" without trailing digits, is a function name."""
    whole = pc.extract_regex(lower_local, r"^(?P<base>[^+]*)").field("base")
    head = pc.utf8_rtrim(pc.extract_regex(lower_local, r"^(?P<head>[^._+-]*)").field("head"),
                         characters="0123456789")
    names = pa.array(sorted(roles), type=pa.large_string())
    return pc.or_(pc.is_in(whole, value_set=names), pc.is_in(head, value_set=names))


def plain_hosts(values: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """(rows whose cell is a plain web address, their host names lower-cased). Not: Punycode hosts, hosts whose
    last label is a number (an IP address): those take the library's whole way."""
    lower = pc.ascii_lower(values)
    matched = pc.fill_null(pc.match_substring_regex(lower, _PLAIN_WEB), False)
    # the shape is known now: the host is what follows the scheme up to the first of : / ? #, its last label what
    # follows its last dot (cut apart without capture groups, which RE2 finds with its slow engine)
    rest = pc.replace_substring_regex(lower.filter(matched), r"^https?://", "", max_replacements=1)
    host = pc.list_element(pc.split_pattern_regex(rest, r"[:/?#]", max_splits=1), 0)
    tld = pc.list_element(pc.split_pattern(host, ".", max_splits=1, reverse=True), 1)  # a plain host has a dot
    plain = pc.invert(pc.or_(pc.match_substring(host, "xn--"), pc.match_substring_regex(tld, r"^[0-9]+$")))
    rows = np.flatnonzero(matched.to_numpy(zero_copy_only=False))
    return rows[plain.to_numpy(zero_copy_only=False)], host.filter(plain)


def plain_two_word_names(values: pa.Array) -> tuple[np.ndarray, pa.Array, pa.Array]:
    """(rows whose cell is two name-like words, the first words, the second words)."""
    matched = pc.fill_null(pc.match_substring_regex(values, _TWO_WORDS), False)
    parts = pc.extract_regex(values.filter(matched), _TWO_WORDS)
    return np.flatnonzero(matched.to_numpy(zero_copy_only=False)), parts.field("first"), parts.field("second")
