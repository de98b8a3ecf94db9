"""Annual revenue as a number, from the ways vendors write it, so markets can use revenue bands.

Apollo's "Annual Revenue" is a plain number ("45000000"), ZoomInfo's "Revenue Range (in USD)" a range
("$25 mil. - $50 mil."), other exports "$12.5M", "1,2 Mrd. €" or "Over $5 bil.". A range keeps its lower
bound, as head-count ranges do ("11-50" -> 11): a band rule then never counts a company as bigger than the
vendor says it is. Anything unreadable is None, and an unknown revenue never fits a band (see segment.py).
The normalise stage passes the column through as text; the qualify stage reads it with `parse_revenue`.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

# scale words after a number: k, m / mm / mil / mio / million, b / bn / bil / mrd / billion
_SCALES = {"k": 1e3, "thousand": 1e3, "tsd": 1e3, "m": 1e6, "mm": 1e6, "mil": 1e6, "mio": 1e6, "million": 1e6,
           "millions": 1e6, "b": 1e9, "bn": 1e9, "bil": 1e9, "mrd": 1e9, "billion": 1e9, "billions": 1e9}
_NUMBER = re.compile(r"(\d[\d.,' ]*\d|\d)\s*([a-z]+)?")
_GROUPED = re.compile(r"\d{1,3}(?:[.,' ]\d{3})+")
_MAX = 1e13  # more than any company's revenue: a parsing accident, not a fact


def _number(raw: str) -> float | None:
    raw = raw.strip(" .,'")
    if raw.isdigit():
        return float(raw)
    if _GROUPED.fullmatch(raw):  # 12,500,000 / 12.500.000 / 12 500 000
        return float(re.sub(r"\D", "", raw))
    m = re.fullmatch(r"(\d+)[.,](\d+)", raw)  # 12.5 / 12,5 (a decimal, not a thousands group)
    if m:
        return float(f"{m.group(1)}.{m.group(2)}")
    return None


@lru_cache(maxsize=65_536)
def _parse_text(text: str) -> float | None:
    text = text.casefold()
    m = _NUMBER.search(text)
    if not m:
        return None
    if text.lstrip(" $€£").startswith(("under", "less than", "below", "up to", "<")):
        return 0.0  # "Under $1 mil.": the range starts at nothing
    value = _number(m.group(1))
    if value is None:
        return None
    word = (m.group(2) or "").rstrip(".")
    if word:
        scale = _SCALES.get(word)
        if scale is None and not word.startswith(("usd", "eur", "gbp", "chf")):
            return None  # "12 employees", "5 years": not a revenue
        value *= scale or 1.0
    return value if 0 <= value <= _MAX else None


def parse_revenue(value: object) -> float | None:
    """Annual revenue as a float from a number or vendor text; None when missing or unreadable."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return None if math.isnan(value) or not 0 <= value <= _MAX else float(value)  # NaN != NaN
    text = str(value).strip()
    return _parse_text(text) if text else None
