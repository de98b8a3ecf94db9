"""Per-field comparators: each pair of records gets one agreement level per field (0 = a value is missing).

All scores come from rapidfuzz `process.cpdist` over whole pair arrays (workers=-1), never a Python loop
over pairs. Levels are what the Fellegi-Sunter model weighs; the raw similarity is kept for explanations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler
from rapidfuzz.fuzz import token_set_ratio

from enrichment.dedupe.features import Features


@dataclass(frozen=True)
class Comparator:
    name: str
    levels: tuple[str, ...]  # names of levels 1..L (level 0 is "missing")


COMPARATORS: tuple[Comparator, ...] = (
    Comparator("first_name", ("exact", "nickname", "jaro_winkler>=0.92", "jaro_winkler>=0.80 or initial", "different")),
    Comparator("last_name", ("exact", "jaro_winkler>=0.92", "jaro_winkler>=0.80", "different")),
    Comparator("email", ("exact", "same local part", "same domain", "different")),
    Comparator("phone", ("exact", "different")),
    Comparator("company", ("exact", "jaro_winkler>=0.90", "different")),
    Comparator("domain", ("exact", "different")),
    Comparator("job_title", ("exact", "token_set>=80", "different")),
    Comparator("city", ("exact", "different")),
    Comparator("postcode", ("exact", "different")),
)
NAMES = tuple(c.name for c in COMPARATORS)
FIRST, LAST, EMAIL, PHONE, COMPANY = 0, 1, 2, 3, 4


@dataclass
class Comparison:
    gamma: np.ndarray  # (pairs, comparators) int8 level, 0 = missing
    score: np.ndarray  # (pairs, comparators) float32 similarity 0..1 (nan when missing)
    swapped: np.ndarray  # bool: first/last names matched crosswise
    emails_differ: np.ndarray  # bool: both have an email and they differ


def _sim(a: np.ndarray, b: np.ndarray, scorer=JaroWinkler.normalized_similarity, scale: float = 1.0) -> np.ndarray:
    """Similarity per pair, scored once per distinct (a, b) value pair and only where the values differ."""
    out = np.where((a == b) & (a != ""), np.float32(1.0), np.float32(0.0))
    todo = np.nonzero((a != b) & (a != "") & (b != ""))[0]
    if len(todo) == 0:
        return out
    ca, ua = pd.factorize(pd.Series(a[todo], dtype=object))
    cb, ub = pd.factorize(pd.Series(b[todo], dtype=object))
    key = ca.astype(np.int64) * (len(ub) + 1) + cb
    uniq, inverse = np.unique(key, return_inverse=True)
    ia, ib = uniq // (len(ub) + 1), uniq % (len(ub) + 1)
    sims = process.cpdist(list(np.asarray(ua, dtype=object)[ia]), list(np.asarray(ub, dtype=object)[ib]),
                          scorer=scorer, workers=-1, dtype=np.float32)
    out[todo] = sims[inverse] / scale
    return out


def _jw(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return _sim(a, b)


def _exact(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    missing = (a == "") | (b == "")
    gamma = np.where(missing, 0, np.where(a == b, 1, 2)).astype(np.int8)
    return gamma, np.where(missing, np.nan, (a == b).astype(np.float32))


def compare(f: Features, left: np.ndarray, right: np.ndarray) -> Comparison:
    p = len(left)
    gamma = np.zeros((p, len(COMPARATORS)), np.int8)
    score = np.full((p, len(COMPARATORS)), np.nan, np.float32)
    fa, fb, la, lb = f.fn[left], f.fn[right], f.ln[left], f.ln[right]

    # names, straight and crosswise (Schneider Katharina == Katharina Schneider)
    fn_s, ln_s = _jw(fa, fb), _jw(la, lb)
    x1, x2 = _jw(fa, lb), _jw(la, fb)
    swapped = (x1 + x2 > fn_s + ln_s + 0.2) & (x1 >= 0.92) & (x2 >= 0.92)
    fn_sim = np.where(swapped, x2, fn_s)
    ln_sim = np.where(swapped, x1, ln_s)
    nick = ((f.fn_lo[left] & f.fn_lo[right]) | (f.fn_hi[left] & f.fn_hi[right])) != 0
    nick |= f.fn_canon[left] == f.fn_canon[right]
    fn_series = pd.Series(f.fn, dtype=object)
    one_letter, head = (fn_series.str.len() == 1).to_numpy(), fn_series.str.slice(0, 1).to_numpy(dtype=object)
    initial = (one_letter[left] | one_letter[right]) & (head[left] == head[right])
    fn_exact = (fa == fb) | (swapped & (fa == lb))
    g = np.select([fn_exact, nick & ~swapped, fn_sim >= 0.92, (fn_sim >= 0.80) | initial], [1, 2, 3, 4], 5)
    missing = (fa == "") | (fb == "")
    gamma[:, FIRST] = np.where(missing, 0, g)
    score[:, FIRST] = np.where(missing, np.nan, np.where(nick, np.maximum(fn_sim, 0.95), fn_sim))
    ln_exact = (la == lb) | (swapped & (la == fb))
    g = np.select([ln_exact, ln_sim >= 0.92, ln_sim >= 0.80], [1, 2, 3], 4)
    missing = (la == "") | (lb == "")
    gamma[:, LAST] = np.where(missing, 0, g)
    score[:, LAST] = np.where(missing, np.nan, ln_sim)

    ea, eb = f.email[left], f.email[right]
    missing = (ea == "") | (eb == "") | f.email_role[left] | f.email_role[right]  # info@ is shared, not a person
    same_local = f.email_local[left] == f.email_local[right]
    same_dom = f.email_domain[left] == f.email_domain[right]
    # jane.doe@gmail.com vs jane.doe@acme.com is telling; m.brown@ at two companies is two namesakes
    personal = (f.domain[left] != f.email_domain[left]) | (f.domain[right] != f.email_domain[right])
    g = np.select([ea == eb, same_local & personal, same_dom], [1, 2, 3], 4)
    gamma[:, EMAIL] = np.where(missing, 0, g)
    score[:, EMAIL] = np.where(missing, np.nan, (ea == eb).astype(np.float32))
    emails_differ = ~missing & (ea != eb)

    gamma[:, 3], score[:, 3] = _exact(f.phone[left], f.phone[right])
    ca, cb = f.company[left], f.company[right]
    c_sim = _jw(ca, cb)
    missing = (ca == "") | (cb == "")
    gamma[:, 4] = np.where(missing, 0, np.select([ca == cb, c_sim >= 0.90], [1, 2], 3))
    score[:, 4] = np.where(missing, np.nan, c_sim)
    gamma[:, 5], score[:, 5] = _exact(f.domain[left], f.domain[right])
    ta, tb = f.title[left], f.title[right]
    t_sim = _sim(ta, tb, token_set_ratio, 100.0)
    missing = (ta == "") | (tb == "")
    gamma[:, 6] = np.where(missing, 0, np.select([ta == tb, t_sim >= 0.80], [1, 2], 3))
    score[:, 6] = np.where(missing, np.nan, t_sim)
    gamma[:, 7], score[:, 7] = _exact(f.city[left], f.city[right])
    gamma[:, 8], score[:, 8] = _exact(f.postcode[left], f.postcode[right])
    return Comparison(gamma, score, swapped, emails_differ)

