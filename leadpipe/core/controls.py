"""Control characters: removed from lead data, escaped in anything printed to a terminal.

A purchased file or a form post can carry an ESC sequence (`\\x1b[2J` clears the operator's screen, OSC 8
plants a link, OSC 52 writes the clipboard), BEL, NUL, the C1 controls (U+0080-U+009F, NEL U+0085 among
them) or the Unicode bidirectional controls that make text read differently from what it is (U+202E, as in
the "Trojan Source" attacks, CVE-2021-42574). None of them belongs in a name, a title or a company, so
`clean_text` takes them out when a field is normalised: a tab or line break inside a free-text field becomes
one space, every other control character is dropped.

Text that did not pass through normalisation (file names, headers, raw rows, identifiers typed by the user)
can still hold them, so `printable` escapes them (`\\x1b`, `\\u202e`) in everything the command line prints.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

__all__ = ["BIDI_CONTROLS", "clean_text", "printable", "printable_values"]

# The Unicode bidirectional formatting characters (UAX #9): embeddings, overrides, isolates and marks.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_LINE_BREAKS = "\t\n\v\f\r\x1c\x1d\x1e\x1f\x85\u2028\u2029"  # what str.splitlines() or a tab would act on
# A run of blanks holding at least one tab or line break becomes one space.
_BREAK_RUN = re.compile(f"[ {_LINE_BREAKS}]*[{_LINE_BREAKS}][ {_LINE_BREAKS}]*")
_DROP = "".join(chr(c) for c in (*range(0x20), *range(0x7f, 0xa0))) + "".join(BIDI_CONTROLS) + "\ufeff"
_DROP_TABLE = str.maketrans("", "", _DROP)


def clean_text(text: str) -> str:
    """`text` without control characters: tabs and line breaks (with the blanks around them) become one
    space, or nothing at either end; C0, DEL, C1, the bidi controls and a stray BOM (U+FEFF) are removed."""
    if text.isprintable():  # the common case: no control, format or separator character at all
        return text
    end = len(text)
    spaced = _BREAK_RUN.sub(lambda m: "" if m.start() == 0 or m.end() == end else " ", text)
    return spaced.translate(_DROP_TABLE)


def _unsafe(c: str, keep_newlines: bool) -> bool:
    if c == "\n":
        return not keep_newlines
    return unicodedata.category(c) in ("Cc", "Zl", "Zp") or c in BIDI_CONTROLS


def printable(text: str, keep_newlines: bool = False, json: bool = False) -> str:
    """`text` safe to write to a terminal: every control character, line or paragraph separator and bidi
    control shown as a Python escape (`\\x1b`, `\\x85`, `\\u202e`), or as a JSON one (`\\u001b`) with `json`
    for JSON text whose strings may hold them raw (json.dumps with ensure_ascii=False). `keep_newlines` keeps
    "\\n" for output whose lines we laid out ourselves; values are escaped with it off, so a value cannot start
    a new line."""
    if text.isprintable():  # no control, separator or format character: the common case
        return text
    return "".join(_escape(c, json) if _unsafe(c, keep_newlines) else c for c in text)


def _escape(c: str, json: bool) -> str:
    return f"\\u{ord(c):04x}" if json or ord(c) >= 0x100 else f"\\x{ord(c):02x}"


def printable_values(value: Any) -> Any:
    """A copy of a JSON-like value with `printable` applied to every string in it, keys included."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, Mapping):
        return {printable_values(k): printable_values(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [printable_values(v) for v in value]
    return value
