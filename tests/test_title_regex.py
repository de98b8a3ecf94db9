"""The title rules' regexes grouped by letter (enrichment.title_regex.compile_rule) find what the plain
alternation finds: the same place and the same words, on every rule, for titles made of the rules' own words."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enrichment import personas
from enrichment.title_regex import _group_end, branches, compile_rule, grouped, plain_rule
from enrichment.title_text import normalise_title

DATA = Path(__file__).parent / "data"


def _rule_patterns() -> dict[str, str]:
    """Every pattern personas compiles, by a name for the failure message."""
    found = {"any department": "|".join(p for _, p, _ in personas._DEPARTMENT_RULES), "defer": personas._DEFER,
             "any level": "|".join([*(p for p, _, _ in personas._GUARDS), *(p for _, p in personas._SENIORITY_RULES)]),
             "trade": personas._TRADE + "|" + personas._CRAFT, "office": personas._OFFICE_ROLE,
             "managing": personas._MANAGING_ROLE}
    found |= {f"guard {i}": p for i, (p, _, _) in enumerate(personas._GUARDS)}
    found |= {f"seniority {i} {level}": p for i, (level, p) in enumerate(personas._SENIORITY_RULES)}
    found |= {f"department {i} {dept}": p for i, (dept, p, _) in enumerate(personas._DEPARTMENT_RULES)}
    return found


PATTERNS = _rule_patterns()
COMPILED = {name: (compile_rule(p), plain_rule(p)) for name, p in PATTERNS.items()}


def _words(pattern: str) -> list[str]:
    """A rule's own words, its phrases ("revenue operations") and word beginnings ("dealers" -> "deal"): titles
    made of them hit the rule's alternatives, two at once, its lookbehinds ("card dealer") and its near misses."""
    text = re.sub(r"\\.", " ", pattern)  # no "b" of a "\\b" glued to a word
    return sorted({w for w in re.findall(r"[a-z]+(?: [a-z]+)*", text) if len(w) > 1}
                  | {w for w in re.findall(r"[a-z]+", text) if len(w) > 1}
                  | {w[:n] for w in re.findall(r"[a-z]{5,}", text) for n in (3, 4)})


def _without_assertions(branch: str) -> str:
    """A branch of a rule with its lookarounds and anchors taken out: a regex of the words it matches, for
    hypothesis to write titles from."""
    out, i = [], 0
    while i < len(branch):
        if branch.startswith(("(?<!", "(?<=", "(?!", "(?="), i):
            i = _group_end(branch, i)
        elif branch.startswith(("\\b", ".*"), i):
            out.append(" " if branch[i] == "." else "")
            i += 2
        elif branch[i] in "^$":
            i += 1
        else:
            out.append(branch[i])
            i += 1
    return "".join(out).replace("\\w", "[a-z]")


def _titles(name: str) -> st.SearchStrategy[tuple[str, str]]:
    """(the rule's name, a title of what its alternatives match, its words and a few letters, some glued:
    "chair" "man" -> "chairman"): two alternatives at the same place, its lookbehinds ("card dealer") and its
    near misses."""
    phrase = st.sampled_from(branches(PATTERNS[name])).flatmap(
        lambda b: st.from_regex(re.compile(_without_assertions(b)), fullmatch=True))
    word = st.one_of(phrase, st.sampled_from(_words(PATTERNS[name])), st.text("abcdeilnorst", min_size=1, max_size=4))
    parts = st.lists(st.tuples(word, st.sampled_from((" ", " ", "", "s "))), min_size=1, max_size=5)
    return parts.map(lambda ps: (name, "".join(w + sep for w, sep in ps).strip()))


def _same(text: str, names: list[str] | None = None) -> None:
    for name in names or COMPILED:
        fast, plain = COMPILED[name]
        got, want = fast.search(text), plain.search(text)
        assert (got and (got.span(), got.group(0))) == (want and (want.span(), want.group(0))), (name, text)


@settings(max_examples=3000, deadline=None)
@given(st.sampled_from(sorted(PATTERNS)).flatmap(_titles))
def test_grouped_rules_match_as_the_plain_alternation(case: tuple[str, str]) -> None:
    name, text = case
    _same(text, [name])


def test_grouped_rules_match_as_the_plain_alternation_on_the_labelled_titles() -> None:
    titles: set[str] = set()
    for path in DATA.glob("job_titles*.csv"):
        with path.open(encoding="utf-8", newline="") as fh:
            titles |= {normalise_title(r["title"]) for r in csv.DictReader(fh)}
    for text in sorted(titles):
        _same(text)


def test_rules_are_grouped_by_letter() -> None:
    """The rules are compiled the fast way (none falls back to the plain alternation unnoticed)."""
    for name, p in PATTERNS.items():
        assert grouped(p) is not None, name


@pytest.mark.parametrize(("pattern", "text", "want"), [
    (r"(?<!card )\bdealers?\b|\bdeal\b", "card dealer", None),  # the lookbehind moved behind the "d"
    (r"(?<!card )\bdealers?\b|\bdeal\b", "car dealer", "dealer"),
    (r"(?<!ab|cd)\bxy\b|\bxz\b", "cd xy", "xy"),  # an alternation in a lookbehind tests its own letters only
    (r"(?<!ab|c )\bxy\b|\bxz\b", "c xy", None),
    (r"\b(co ?)?founder\b|\bfound\b", "co founder", "co founder"),  # an optional group first, then without it
    (r"\b(sales|revenue) operations\b|\brevenue\b", "revenue operations", "revenue operations"),
    (r"\brevenue\b|\b(sales|revenue) operations\b", "revenue operations", "revenue"),  # the first in order wins
])
def test_grouping_keeps_the_match(pattern: str, text: str, want: str | None) -> None:
    got = compile_rule(pattern).search(text)
    assert (got and got.group(0)) == want
    plain = plain_rule(pattern).search(text)
    assert (plain and plain.group(0)) == want


@settings(max_examples=1500, deadline=None)
@given(st.sampled_from([n for n in PATTERNS if n.startswith(("guard", "seniority", "department"))]).flatmap(_titles))
def test_the_unions_fit_where_a_rule_fits(case: tuple[str, str]) -> None:
    """The unions that spare the rules' searches (no level, no department) fit exactly where one of their rules
    fits, on titles made to hit the rules."""
    _, text = case
    levels = [rx for rx, _, _ in personas._GUARD_RX] + [rx for _, rx in personas._SENIORITY_RX]
    assert bool(personas._ANY_LEVEL_RX.search(text)) == any(rx.search(text) for rx in levels), text
    departments = [rx for _, rx, _ in personas._DEPARTMENT_RX]
    assert bool(personas._ANY_DEPARTMENT_RX.search(text)) == any(rx.search(text) for rx in departments), text
