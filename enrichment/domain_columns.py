"""Registrable domains and mail-list membership of plain host names, column-wise.

Why: a lead list of mostly distinct companies has about one distinct mail domain and one distinct website host
per company (~40,000 in 125,000 rows), and each cost ~10 µs in Python: tldextract's walk of the Public Suffix
List trie from the last label, and the free-mail and disposable lists looked up for every label suffix. Both only
ask whether the name's last k labels are in a set, so here the last 1, 2, ... k labels of every name are cut by
Arrow and looked up in sets built once from the same trie and lists; the trie walk's rules (deepest suffix that
ends a rule, a wildcard rule and its exceptions) are then a few array operations.

Only plain names come here (lower-case ASCII labels of letters, digits and hyphens, no Punycode: callers check),
and at most MAX_LABELS labels; the result is tldextract's and the lists' own answer (tests compare both on names
made from every rule of the list, wildcards and exceptions included).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["MAX_LABELS", "SuffixSets", "label_count", "on_lists", "registrable_domains"]

MAX_LABELS = 8  # names with more labels take the per-value path
_LARGE = pa.large_string()


@dataclass(frozen=True)
class SuffixSets:
    """The Public Suffix List trie (tldextract's, private suffixes included) as sets of dotted suffixes."""

    nodes: pa.Array  # every node of the trie ("uk", "co.uk", "github.io", "kawasaki.jp")
    ends: pa.Array  # nodes that end a rule (a public suffix)
    wildcards: pa.Array  # nodes with a "*" rule below them ("ck" for "*.ck")
    exceptions: pa.Array  # the exception rules' names ("www.ck" for "!www.ck")
    root_wildcard: bool


@functools.cache
def suffix_sets(trie: object) -> SuffixSets:
    """SuffixSets of a tldextract Trie (walked once)."""
    nodes: list[str] = []
    ends: list[str] = []
    wildcards: list[str] = []
    exceptions: list[str] = []
    stack = [("", trie)]
    while stack:
        path, node = stack.pop()
        for label, child in node.matches.items():
            if label == "*":
                if path:
                    wildcards.append(path)
                continue
            if label.startswith("!"):
                exceptions.append(f"{label[1:]}.{path}" if path else label[1:])
                continue
            name = f"{label}.{path}" if path else label
            nodes.append(name)
            if child.end:
                ends.append(name)
            stack.append((name, child))
    return SuffixSets(*(pa.array(sorted(v), type=_LARGE) for v in (nodes, ends, wildcards, exceptions)),
                      root_wildcard="*" in trie.matches)


def label_count(names: pa.Array) -> np.ndarray:
    """Labels per name (dots + 1)."""
    return (pc.utf8_length(names).to_numpy(zero_copy_only=False)
            - pc.utf8_length(pc.replace_substring(names, ".", "")).to_numpy(zero_copy_only=False) + 1)


def _suffixes(names: pa.Array, most: int) -> list[pa.Array]:
    """[the last 1 label, the last 2 labels, ...] of each name, null where it has fewer."""
    return [pc.extract_regex(names, rf"(?P<s>(?:^|\.)(?:[^.]+\.){{{k - 1}}}[^.]+)$").field("s") for k in
            range(1, most + 1)]


def _label_suffixes(names: pa.Array) -> tuple[np.ndarray, list[pa.Array]]:
    """(labels per name, [the last 1 label, the last 2 labels, ... up to the most any name has], null where a name
    has fewer)."""
    count = label_count(names)
    most = int(count.max()) if len(count) else 0
    return count, [pc.utf8_ltrim(s, characters=".") for s in _suffixes(names, most)]


def _member(values: pa.Array, of: pa.Array) -> np.ndarray:
    """Per value: is it in `of` (a missing value is not)."""
    return pc.fill_null(pc.is_in(values, value_set=of), False).to_numpy(zero_copy_only=False)


def registrable_domains(names: pa.Array, sets: SuffixSets) -> pa.Array:
    """enrichment.normalise._plain_registrable of each name's labels: the public suffix found by tldextract's
    trie walk from the last label, with one label more; "" when the name is a suffix itself or has none."""
    count, suffixes = _label_suffixes(names)
    most = len(suffixes)
    walk = np.zeros(len(names), dtype=np.int64)  # labels matched from the right (the trie is prefix-closed)
    deepest = np.zeros(len(names), dtype=np.int64)  # the longest of those that ends a rule
    wild_at = np.zeros((most + 1, len(names)), dtype=bool)  # wild_at[k]: the node of the last k labels has "*"
    exception_at = np.zeros((most + 1, len(names)), dtype=bool)
    wild_at[0] = sets.root_wildcard
    for k, suffix in enumerate(suffixes, start=1):
        matched = _member(suffix, sets.nodes)
        walk += matched
        deepest = np.where(_member(suffix, sets.ends), k, deepest)
        wild_at[k] = _member(suffix, sets.wildcards)
        exception_at[k] = _member(suffix, sets.exceptions)
    rows = np.arange(len(names))
    stopped = walk < count  # a label the trie does not continue with
    wildcard = stopped & wild_at[walk, rows]
    exception = wildcard & exception_at[np.minimum(walk + 1, most), rows]
    # the index (from the left) of the suffix's first label; count = none
    index = np.where(wildcard, np.where(exception, count - walk, count - walk - 1),
                     np.where(deepest > 0, count - deepest, count))
    keep = (index >= 1) & (index < count)
    take = np.where(keep, count - index + 1, 1)  # the suffix with one label more: the last (count - index + 1)
    matrix = np.stack([s.to_numpy(zero_copy_only=False) for s in suffixes]) if most else np.empty((0, 0))
    picked = matrix[take - 1, rows] if most else np.array([], dtype=object)
    return pa.array(np.where(keep, picked, ""), type=_LARGE)


def on_lists(names: pa.Array, *lists: pa.Array) -> np.ndarray:
    """Per name: is it, or any of its label suffixes, on any of the lists?"""
    found = np.zeros(len(names), dtype=bool)
    for suffix in _label_suffixes(names)[1]:
        for names_on_list in lists:
            found |= _member(suffix, names_on_list)
    return found
