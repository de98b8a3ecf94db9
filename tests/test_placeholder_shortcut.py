"""The placeholder check's length shortcut (leadpipe.core.placeholders._too_long) gives the key lookup's answer."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from leadpipe.core import placeholders


_PLACEHOLDER_SPELLINGS = sorted(placeholders.COMPANY_PLACEHOLDERS | placeholders.NAME_PLACEHOLDERS)
_FIELDS = ["", "company", "first_name", "country", "state", "job_title"]


@settings(max_examples=3000, deadline=None)
@given(st.one_of(
    st.builds(lambda p, sep, pad, upper: pad + sep.join(p.split(" ")) + pad if not upper else p.upper(),
              st.sampled_from(_PLACEHOLDER_SPELLINGS), st.sampled_from([" ", "  ", "\u00a0", " \t", "\u3000"]),
              st.sampled_from(["", " ", "  \u2003"]), st.booleans()),
    st.text(alphabet=st.sampled_from(["a", "ß", "İ", " ", "\u00a0", "\t", "/", "#", "n", "ﬁ"]), max_size=40),
), st.sampled_from(_FIELDS))
def test_the_length_shortcut_never_changes_the_answer(value: str, field: str) -> None:
    """Placeholders spaced out with any whitespace, and long texts: the same answer as the key lookup alone."""
    expected = placeholders._key(value) in placeholders.placeholders_for(field)
    assert placeholders.is_placeholder(value, field) == expected
    assert placeholders.blank_placeholder(value, field) == ("" if expected else value)
