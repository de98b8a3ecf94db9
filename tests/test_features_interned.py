"""features._interned: one hashing pass when folding changes nothing, the same codes and values as interning
the folded column (features.intern(*_column)) always."""

import numpy as np
import pandas as pd
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from enrichment.dedupe import features

CELLS = st.one_of(st.none(), st.sampled_from(["", "anna", "Anna", "ANNA ", "jürgen", "Jürgen", "a@acme.de",
                                              "+4930123456", "+49 30 123456", "straße", "strasse", "x.", "x"]),
                  st.text(alphabet="aAäÄ .+-0", max_size=4))
TRANSFORMS = [None, lambda u: pc.utf8_rtrim(u, characters="."),
              lambda u: pc.replace_substring_regex(u, r"[^0-9+]", "")]


@settings(max_examples=300, deadline=None)
@given(st.lists(CELLS, max_size=40), st.sampled_from(range(len(TRANSFORMS))))
def test_interned_is_interning_the_folded_column(cells: list[str | None], which: int) -> None:
    frame = pd.DataFrame({"x": pd.Series(cells, dtype=object)})
    transform = TRANSFORMS[which]
    codes, uniques = features._column(frame, "x")
    expected_codes, expected_uniques = features.intern(codes, uniques if transform is None else transform(uniques))
    got_codes, got_uniques = features._interned(frame, "x", transform)
    assert np.array_equal(got_codes, expected_codes)
    assert got_uniques.to_pylist() == expected_uniques.to_pylist()
    # and what that means: equal cells after folding share a code, blank cells have none
    assert "" not in got_uniques.to_pylist() and len(set(got_uniques.to_pylist())) == len(got_uniques)


def test_a_missing_column_is_blank() -> None:
    codes, uniques = features._interned(pd.DataFrame({"y": ["a"]}), "x")
    assert codes.tolist() == [-1] and len(uniques) == 0
