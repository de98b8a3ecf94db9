"""The typo repair's first-letter search (enrichment.personas._repair_word) repairs exactly as the search of all
the rule words did, on typos of the rule words and on other words."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from enrichment import personas


def _straight(word: str) -> str:
    """The repair as it was: one search of every rule word, then the checks."""
    if len(word) >= 5 and word not in personas._dictionary():
        hit = process.extractOne(word, personas._VOCABULARY, scorer=DamerauLevenshtein.normalized_similarity,
                                 score_cutoff=0.79)
        if hit and hit[0] not in word and word not in hit[0] and hit[0][0] == word[0]:
            return hit[0]
    return word


@st.composite
def _typos(draw: st.DrawFn) -> str:
    """A rule word with one or two edits (a swap, a change, a letter more or less, at the start too)."""
    word = list(draw(st.sampled_from(personas._VOCABULARY)))
    for _ in range(draw(st.integers(1, 2))):
        i = draw(st.integers(0, len(word) - 1))
        kind = draw(st.integers(0, 3))
        letter = draw(st.sampled_from("abcdeilmnorstu"))
        if kind == 0 and i + 1 < len(word):
            word[i], word[i + 1] = word[i + 1], word[i]
        elif kind == 1:
            word[i] = letter
        elif kind == 2:
            word.insert(i, letter)
        elif len(word) > 1:
            del word[i]
    return "".join(word)


@settings(max_examples=2000, deadline=None)
@given(st.one_of(_typos(), st.text("abcdeilmnorstu", min_size=1, max_size=12)))
def test_first_letter_search_repairs_as_the_search_of_all_words(word: str) -> None:
    assert personas._repair_word.__wrapped__(word) == _straight(word)
