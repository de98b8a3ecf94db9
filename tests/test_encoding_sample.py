"""The encoding probe's sample: the lines holding a non-ASCII byte, as many as fit SAMPLE_BYTES (the detector
only sees those lines, so a line missed or cut short changes which code page is guessed)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.sources import encodings
from connectors.sources.encodings import EncodingProbe

PIECES = [b"a", b"Z9 ,;", b"\n", b"\r\n", b"\xc3\xa9", b"\x94", b"\xff", b"\x80x"]


def _expected(data: bytes) -> list[bytes]:
    """The spec, line by line: each line with a byte over 127, whole (cut at _MAX_LINE), until the sample is
    full (the line that fills it is kept)."""
    lines, sampled = [], 0
    for line in data.split(b"\n"):
        if sampled >= encodings.SAMPLE_BYTES:
            break
        if not line.isascii():
            lines.append(line[:encodings._MAX_LINE])
            sampled += len(line)
    return lines


@settings(max_examples=400)
@given(st.lists(st.sampled_from(PIECES), max_size=300))
def test_sample_is_every_non_ascii_line(parts: list[bytes]) -> None:
    data = b"".join(parts)
    probe = EncodingProbe()
    probe._sample(data)
    assert probe._lines == _expected(data)


@settings(max_examples=200)
@given(st.lists(st.sampled_from(PIECES), max_size=300), st.integers(1, 40), st.integers(1, 12))
def test_sample_stops_when_full_and_cuts_long_lines(parts: list[bytes], limit: int, longest: int) -> None:
    data = b"".join(parts)
    old = encodings.SAMPLE_BYTES, encodings._MAX_LINE
    encodings.SAMPLE_BYTES, encodings._MAX_LINE = limit, longest
    try:
        probe = EncodingProbe()
        probe._sample(data)
        assert probe._lines == _expected(data)
    finally:
        encodings.SAMPLE_BYTES, encodings._MAX_LINE = old


def test_a_long_ascii_file_with_one_accented_line_is_sampled_in_linear_time() -> None:
    """200,000 ASCII lines of 150 bytes around one Latin-1 line: only that line is sampled (the old pattern took
    seconds here; the assertion is on the result, the benchmark on the time)."""
    ascii_line = b"x" * 150
    data = b"\n".join([ascii_line] * 100_000 + [b"S\xf6ren J\xe4ger"] + [ascii_line] * 100_000) + b"\n"
    probe = EncodingProbe()
    probe._sample(data)
    assert probe._lines == [b"S\xf6ren J\xe4ger"]
