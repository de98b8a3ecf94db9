"""How the title rules' regular expressions are compiled: the same matches, found with less work per title.

A rule is a long alternation of words ("\\bsales\\b|\\bbrand\\b|\\bcounsel\\b|..."). Python's `re` tries every
alternative, one after the other, at every word of every title; with hundreds of alternatives that loop is most of
a title's time. Here the alternatives that start at a word boundary are gathered behind one `\\b`, and then
grouped by their first letter ("s(?:ales\\b|...)|b(?:rand\\b|...)|c(?:ounsel\\b|...)"), again for the second
letter inside a large group: at a word the search looks at one group instead of at every alternative.

The grouping keeps the order of the alternatives that can start at the same place, so a search finds the same
match (its place, its text) as the plain alternation: at one position only alternatives that start with that
position's letter can match, and among those the first in the rule's order still wins. A leading group of
alternatives ("(sales|revenue) operations") is spelled out first ("sales operations", "revenue operations"): an
ordered choice followed by the rest is the same as each choice followed by the rest, in that order. A lookbehind
before the first letter ("(?<!card )\\bdealers?") is moved after it with the letter added to its text, which
tests the same characters. A pattern with an alternative that starts any other way is left as it was.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_QUANTIFIERS = frozenset("?*+{")
_LITERALS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789 ")
_LOOKBEHINDS = re.compile(r"^((?:\(\?<![^()]*\))+)\\b")
_GROUP_AT = 5  # a group of more alternatives than this is split again by the next letter
_DEPTH = 2  # letters by which the alternatives are grouped (the third letter adds groups, not speed)


def _structure(pattern: str, start: int = 0) -> Iterator[tuple[int, str, int]]:
    """(index, character, group depth after it) for each character of `pattern` from `start` that is neither
    escaped nor inside a character class: the characters that give the expression its shape."""
    depth, i, in_class = 0, start, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
        else:
            depth += (c == "(") - (c == ")")
            yield i, c, depth
        i += 1


def branches(pattern: str) -> list[str]:
    """The top-level alternatives of a regular expression ("a|(b|c)|d" -> ["a", "(b|c)", "d"])."""
    out, start = [], 0
    for i, c, depth in _structure(pattern):
        if c == "|" and depth == 0:
            out.append(pattern[start:i])
            start = i + 1
    return [*out, pattern[start:]]


def _group_end(pattern: str, start: int) -> int:
    """The index just after the `)` that closes the group opened at `pattern[start]`."""
    for i, c, depth in _structure(pattern, start):
        if c == ")" and depth == 0:
            return i + 1
    raise ValueError(f"unbalanced group in {pattern!r}")


def _leading(branch: str) -> list[tuple[str | None, str]]:
    """`branch` as (first letter, the rest after it) pairs, in order, that match what it matches; (None, branch)
    where it does not start with a plain letter (a class, an anchor, an escape, a quantified letter)."""
    behind: list[str] = []
    i = 0
    while branch.startswith(("(?<!", "(?<="), i):  # zero-width, before the first letter
        end = _group_end(branch, i)
        behind.append(branch[i:end])
        i = end
    body = branch[i:]
    if body.startswith("(") and not body.startswith("(?"):
        end = _group_end(body, 0)
        alts, rest = branches(body[1:end - 1]), body[end:]
        if rest.startswith("?") and not rest.startswith(("??", "?+")):  # greedy: with the group first, then without
            alts, rest = [*alts, ""], rest[1:]
        if not rest or rest[0] not in _QUANTIFIERS:
            return [pair for alt in alts for pair in _leading("".join(behind) + alt + rest)]
    if body and body[0] in _LITERALS and (len(body) < 2 or body[1] not in _QUANTIFIERS):
        letter = body[0]
        # (?<!X) before the letter tests what (?<!(?:X)letter) tests after it, once the letter has matched
        moved = "".join(f"{b[:4]}(?:{b[4:-1]}){re.escape(letter)})" for b in behind)
        return [(letter, moved + body[1:])]
    return [(None, branch)]


def _grouped(alternatives: list[str], depth: int) -> str | None:
    """One alternation of `alternatives`, grouped by first letter (in the order of their first appearance, each
    group's alternatives in their own order); None where one of them does not start with a plain letter."""
    pairs = [pair for alt in alternatives for pair in _leading(alt)]
    if any(letter is None for letter, _ in pairs):
        return None
    groups: dict[str, list[str]] = {}
    for letter, rest in pairs:
        assert letter is not None
        groups.setdefault(letter, []).append(rest)
    parts = []
    for letter, rests in groups.items():
        inner = None
        if depth > 1 and len(rests) > _GROUP_AT:
            inner = _grouped(rests, depth - 1)
        if inner is None:
            inner = "|".join(rests)
        parts.append(re.escape(letter) + (f"(?:{inner})" if len(rests) > 1 or "|" in inner else inner))
    return "|".join(parts)


def compile_rule(pattern: str) -> re.Pattern[str]:
    """`pattern` compiled to search faster, with the same matches as `plain_rule(pattern)`."""
    found = grouped(pattern)
    return plain_rule(pattern) if found is None else re.compile(found)


def grouped(pattern: str) -> str | None:
    """`pattern` with the alternatives at a word boundary grouped by letter; None where one of them does not
    start with a plain letter (then `compile_rule` compiles the plain alternation)."""
    at_word, elsewhere = _split(pattern)
    inner = _grouped(at_word, _DEPTH) if at_word else None
    return None if inner is None else "|".join([f"\\b(?:{inner})", *elsewhere])


def plain_rule(pattern: str) -> re.Pattern[str]:
    """The same language, searched faster than `pattern` itself: the alternatives that start at a word boundary
    are gathered behind one `\\b`, which fails at once inside a word, instead of each being tried at every
    position. (The form the rules had before `compile_rule`; the tests compare the two.)"""
    at_word, elsewhere = _split(pattern)
    gathered = [f"\\b(?:{'|'.join(at_word)})"] if at_word else []
    return re.compile("|".join(gathered + elsewhere))


def _split(pattern: str) -> tuple[list[str], list[str]]:
    """The alternatives of `pattern` that start at a word boundary (without it), and the others."""
    at_word, elsewhere = [], []
    for branch in branches(pattern):
        if branch.startswith("\\b"):
            at_word.append(branch[2:])
        elif found := _LOOKBEHINDS.match(branch):  # "(?<!x )\\bword" == "\\b(?<!x )word"
            at_word.append(found.group(1) + branch[found.end():])
        else:
            elsewhere.append(branch)
    return at_word, elsewhere
