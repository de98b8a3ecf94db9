"""Which text encoding a purchased file is in, decided from all of its bytes during fingerprinting.

A BOM decides at once; a file whose every byte is valid UTF-8 is UTF-8. Anything else was written by some
code page, and which one matters: Excel's "CSV (Comma delimited)" writes Windows-1252, its "CSV (MS-DOS)"
writes the OEM code page (cp850 in Western Europe), and read the wrong way `Sören Jäger` becomes
`S”ren J„ger` or `S\\x94ren J\\x84ger`. The candidates come from charset-normalizer (a kept library) run on a
sample of the file: its first lines plus the lines holding non-ASCII bytes, from anywhere in the file. A
candidate is a wrong guess when its text holds C1 control characters (U+0080-U+009F: no exporter writes
them, they are what a byte of another code page looks like through Latin-1), when it cannot decode a byte
the file holds, or when its text is messier than the library's own threshold (random bytes). Of the rest, the least messy
text wins: fewest symbols glued between two letters ("S”ren", "M³ller"), then charset-normalizer's mess
ratio; on a tie the Windows code pages Excel writes in the West
(cp1252, then cp850) come first, then the library's own order. No candidate left: the file is not text
in any encoding we can tell, and reading it fails with that reason instead of storing mojibake.
"""

from __future__ import annotations

import codecs
import re

SAMPLE_BYTES = 64 * 1024  # non-ASCII lines kept for detection; the first lines come on top
HEAD_BYTES = 4 * 1024  # the first lines (the header) give the detector context
_MAX_LINE = 64 * 1024  # a "line" without a newline this long is cut: the sample stays bounded
_ASCII = bytes(range(128))
_HIGH_BYTE = re.compile(rb"[\x80-\xff]")
_C1 = re.compile("[\x80-\x9f]")
# Excel's Western defaults, preferred on a tie: "CSV (Comma delimited)" (ANSI) and "CSV (MS-DOS)" (OEM).
PREFERRED = ("cp1252", "cp850")
_APOSTROPHES = frozenset("'’‘ʼ")
_INSIDE_WORD = re.compile(r"(?<=[^\W\d_])[^\x00-\x7f](?=[^\W\d_])")  # non-ASCII between letters
MAX_MESS = 0.2  # charset-normalizer's own default threshold: messier text is not text in that encoding
_MESS_STEP = 10  # mess ratios compare in steps of 0.1: finer differences are noise on a short sample


class EncodingProbe:
    """Fed a file's bytes once, in order (while fingerprinting), it says which encoding reads them all."""

    def __init__(self) -> None:
        self._utf8 = codecs.getincrementaldecoder("utf-8")()
        self._utf8_ok = True
        self._head = b""
        self._carry = b""  # the unfinished last line of the previous block
        self._lines: list[bytes] = []
        self._sampled = 0
        self._high: set[int] = set()  # every non-ASCII byte value the file holds

    def feed(self, block: bytes) -> None:
        if len(self._head) < HEAD_BYTES:
            self._head += block[:HEAD_BYTES - len(self._head)]
        if self._utf8_ok:
            try:
                self._utf8.decode(block)
            except UnicodeDecodeError:
                self._utf8_ok = False
        if block.isascii():
            return
        self._high.update(block.translate(None, _ASCII))
        data = self._carry + block
        cut = data.rfind(b"\n") + 1
        if cut == 0 and len(data) > _MAX_LINE:
            cut = len(data)
        self._carry = data[cut:]
        self._sample(data[:cut])

    def _sample(self, data: bytes) -> None:
        if self._sampled >= SAMPLE_BYTES or data.isascii():
            return
        # each line holding a non-ASCII byte, found from that byte (a pattern for "a line with such a byte" retries
        # from every position of every ASCII line before it: quadratic in the line length, 0.5 s per MB)
        at = 0
        while self._sampled < SAMPLE_BYTES:
            hit = _HIGH_BYTE.search(data, at)
            if hit is None:
                return
            start = data.rfind(b"\n", 0, hit.start()) + 1
            end = data.find(b"\n", hit.start())
            end = len(data) if end < 0 else end
            self._lines.append(data[start:min(end, start + _MAX_LINE)])
            self._sampled += end - start
            at = end + 1

    def encoding(self) -> str | None:
        """The codec name to read the file with; None when no encoding reads it as text."""
        if self._head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if self._head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        if self._utf8_ok:
            try:
                self._utf8.decode(b"", final=True)
                return "utf-8"
            except UnicodeDecodeError:
                pass
        self._sample(self._carry)
        self._carry = b""
        head = self._head[:self._head.rfind(b"\n") + 1] or self._head
        return detect(head + b"\n".join(self._lines), frozenset(self._high))


def detect(sample: bytes, high_bytes: frozenset[int] = frozenset()) -> str | None:
    """The encoding that reads `sample` (and every byte value in `high_bytes`) as the least messy text."""
    from charset_normalizer import from_bytes  # ~50 ms to import; only files that are not UTF-8 need it
    from charset_normalizer.md import mess_ratio

    names = list(PREFERRED)
    for match in from_bytes(sample):
        name = codecs.lookup(match.encoding).name
        if name not in names and not name.startswith(("utf-16", "utf-32")):  # NUL-free text: never UTF-16/32
            names.append(name)
    ranked = []
    for rank, name in enumerate(names):
        try:
            text = sample.decode(name)
        except UnicodeDecodeError:
            continue
        if _C1.search(text) or not _reads_bytes(name, high_bytes):
            continue
        mess = mess_ratio(text, 1.0)
        if mess <= MAX_MESS:
            ranked.append(((_glued_symbols(text), round(mess * _MESS_STEP), rank), name))
    return min(ranked)[1] if ranked else None


def _reads_bytes(name: str, high_bytes: frozenset[int]) -> bool:
    """For a one-byte code page: every byte value the file holds is a defined character, not a C1 control."""
    if not _single_byte(name):
        return True  # multi-byte codecs are checked on the sample and, strictly, while reading
    for b in high_bytes:
        try:
            if _C1.match(bytes([b]).decode(name)):
                return False
        except UnicodeDecodeError:
            return False
    return True


def _single_byte(name: str) -> bool:
    try:
        return len(bytes(range(128, 256)).decode(name, errors="replace")) == 128
    except LookupError:
        return False


def _glued_symbols(text: str) -> int:
    """How often a non-ASCII symbol sits between two letters ("S”ren", "M³ller"): a byte read by the wrong
    code page. Apostrophes are left alone ("O’Brien")."""
    return sum(1 for c in _INSIDE_WORD.findall(text) if not c.isalpha() and c not in _APOSTROPHES)
