"""Per-field comparators: each pair of records gets one agreement level per field (0 = a value is missing).

All scores come from rapidfuzz `process.cpdist` over whole pair arrays (workers=-1), never a Python loop
over pairs. Levels are what the Fellegi-Sunter model weighs; the raw similarity is kept for explanations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler
from rapidfuzz.fuzz import token_set_ratio

from enrichment.dedupe.features import Features
from enrichment.dedupe.parallel import on_slices


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
    Comparator("city", ("exact", "jaro_winkler>=0.90", "different")),
    Comparator("postcode", ("exact", "one edit", "different")),
    # the postal address (a file without it leaves these at level 0: neutral, never 'different')
    Comparator("street", ("exact", "jaro_winkler>=0.90", "jaro_winkler>=0.80", "different")),
    Comparator("house_number", ("exact", "different")),
    Comparator("address_line2", ("exact", "jaro_winkler>=0.90", "different")),
    Comparator("state", ("exact", "different")),
)
NAMES = tuple(c.name for c in COMPARATORS)
SWAP_CLOSE = 0.85  # crosswise, the other name at least this close (Jaro-Winkler): a typo in a swapped name
FIRST, LAST, EMAIL, PHONE, COMPANY, DOMAIN, TITLE, CITY, POSTCODE = range(9)
STREET, HOUSE, LINE2, STATE = 9, 10, 11, 12


@dataclass
class Comparison:
    gamma: np.ndarray  # (pairs, comparators) int8 level, 0 = missing
    score: np.ndarray  # (pairs, comparators) float32 similarity 0..1 (nan when missing)
    swapped: np.ndarray  # bool: first/last names matched crosswise
    emails_differ: np.ndarray  # bool: both have an email and they differ

    def take(self, idx: np.ndarray | slice) -> Comparison:
        return Comparison(self.gamma[idx], self.score[idx], self.swapped[idx], self.emails_differ[idx])


def _sim(ca: np.ndarray, cb: np.ndarray, ua: np.ndarray, ub: np.ndarray,
         scorer=JaroWinkler.normalized_similarity, scale: float = 1.0, same_vocab: bool = True) -> np.ndarray:
    """Similarity per pair from value codes, scored once per distinct (a, b) value pair.

    `ua`/`ub` are the distinct values the codes index (-1 = blank). With one vocabulary equal codes are equal
    strings and score 1 without calling rapidfuzz; across two vocabularies (first vs last name) every
    non-blank pair is scored.
    """
    both = (ca >= 0) & (cb >= 0)
    if same_vocab:
        out = np.where(both & (ca == cb), np.float32(1.0), np.float32(0.0))
        todo = np.nonzero(both & (ca != cb))[0]
    else:
        out = np.zeros(len(ca), np.float32)
        todo = np.nonzero(both)[0]
    if len(todo) == 0:
        return out
    key = ca[todo].astype(np.int64) * (len(ub) + 1) + cb[todo]
    inverse, uniq = pd.factorize(key, sort=False)
    ia, ib = uniq // (len(ub) + 1), uniq % (len(ub) + 1)
    sims = process.cpdist(ua[ia].tolist(), ub[ib].tolist(), scorer=scorer, workers=-1, dtype=np.float32)
    out[todo] = sims[inverse] / scale
    return out


def _exact(f: Features, name: str, left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    codes = f.codes(name)
    a, b = codes[left], codes[right]
    missing = (a < 0) | (b < 0)
    gamma = np.where(missing, 0, np.where(a == b, 1, 2)).astype(np.int8)
    return gamma, np.where(missing, np.nan, (a == b).astype(np.float32))


def compare(f: Features, left: np.ndarray, right: np.ndarray) -> Comparison:
    """Levels and similarities of every pair; big pair lists are split into slices scored on threads."""
    return on_slices(len(left), lambda s: _compare(f, left[s], right[s]))


def _compare(f: Features, left: np.ndarray, right: np.ndarray) -> Comparison:
    p = len(left)
    gamma = np.zeros((p, len(COMPARATORS)), np.int8)
    score = np.full((p, len(COMPARATORS)), np.nan, np.float32)
    fc, fu = f.code("fn")
    lc, lu = f.code("ln")
    fa, fb, la, lb = fc[left], fc[right], lc[left], lc[right]

    # names, straight and crosswise (Schneider Katharina == Katharina Schneider)
    fn_s, ln_s = _sim(fa, fb, fu, fu), _sim(la, lb, lu, lu)
    # crosswise only where a swap is possible: with fn_s + ln_s > 1.8 the test below fails whatever x1, x2 are
    x1, x2 = np.zeros(p, np.float32), np.zeros(p, np.float32)
    maybe = np.nonzero((fa >= 0) & (fb >= 0) & (la >= 0) & (lb >= 0) & (fn_s + ln_s <= 1.8))[0]
    x1[maybe] = _sim(fa[maybe], lb[maybe], fu, lu, same_vocab=False)
    x2[maybe] = _sim(la[maybe], fb[maybe], lu, fu, same_vocab=False)
    # swapped with a typo in one of them at most ('Benson Bobby' / 'Bibby Benson', 'Gunpf Siegward' / 'Siegward
    # Gunof'): one name the same crosswise, the other close
    swapped = (x1 + x2 > fn_s + ln_s + 0.2) & (np.minimum(x1, x2) >= SWAP_CLOSE) & (np.maximum(x1, x2) >= 0.92)
    fn_sim = np.where(swapped, x1, fn_s)  # a's first name against b's last (its first, typed in the other field)
    ln_sim = np.where(swapped, x2, ln_s)
    nick = ((f.fn_lo[left] & f.fn_lo[right]) | (f.fn_hi[left] & f.fn_hi[right])) != 0
    canon = f.codes("fn_canon")
    nick |= canon[left] == canon[right]
    hc = f.prefix("fn", 1)
    one_letter = np.r_[pd.Series(fu, dtype=object).str.len().to_numpy() == 1, False][fc]
    initial = (one_letter[left] | one_letter[right]) & (hc[left] == hc[right])
    fn_exact = (fa == fb) | (swapped & (x1 == 1.0))  # JW is 1 only for equal strings
    g = np.select([fn_exact, nick & ~swapped, fn_sim >= 0.92, (fn_sim >= 0.80) | initial], [1, 2, 3, 4], 5)
    missing = (fa < 0) | (fb < 0)
    gamma[:, FIRST] = np.where(missing, 0, g)
    score[:, FIRST] = np.where(missing, np.nan, np.where(nick, np.maximum(fn_sim, 0.95), fn_sim))
    ln_exact = (la == lb) | (swapped & (x2 == 1.0))
    g = np.select([ln_exact, ln_sim >= 0.92, ln_sim >= 0.80], [1, 2, 3], 4)
    missing = (la < 0) | (lb < 0)
    gamma[:, LAST] = np.where(missing, 0, g)
    score[:, LAST] = np.where(missing, np.nan, ln_sim)

    ec, lcl, dcl = f.codes("email"), f.codes("email_local"), f.codes("email_domain")
    ea, eb = ec[left], ec[right]
    missing = (ea < 0) | (eb < 0) | f.email_role[left] | f.email_role[right]  # info@ is shared, not a person
    same_local = lcl[left] == lcl[right]
    same_dom = dcl[left] == dcl[right]
    # jane.doe@gmail.com vs jane.doe@acme.com is telling; m.brown@ at two companies is two namesakes
    personal_rec = f.personal_mail
    personal = personal_rec[left] | personal_rec[right]
    g = np.select([ea == eb, same_local & personal, same_dom], [1, 2, 3], 4)
    gamma[:, EMAIL] = np.where(missing, 0, g)
    score[:, EMAIL] = np.where(missing, np.nan, (ea == eb).astype(np.float32))
    emails_differ = ~missing & (ea != eb)

    gamma[:, PHONE], score[:, PHONE] = _exact(f, "phone", left, right)
    cc, cu = f.code("company")
    ca, cb = cc[left], cc[right]
    c_sim = _sim(ca, cb, cu, cu)
    missing = (ca < 0) | (cb < 0)
    gamma[:, COMPANY] = np.where(missing, 0, np.select([ca == cb, c_sim >= 0.90], [1, 2], 3))
    score[:, COMPANY] = np.where(missing, np.nan, c_sim)
    gamma[:, DOMAIN], score[:, DOMAIN] = _exact(f, "domain", left, right)
    tc, tu = f.code("title")
    ta, tb = tc[left], tc[right]
    t_sim = _sim(ta, tb, tu, tu, token_set_ratio, 100.0)
    missing = (ta < 0) | (tb < 0)
    gamma[:, TITLE] = np.where(missing, 0, np.select([ta == tb, t_sim >= 0.80], [1, 2], 3))
    score[:, TITLE] = np.where(missing, np.nan, t_sim)
    gamma[:, CITY], score[:, CITY] = _graded(f, "city", left, right, (0.90,))
    _street_lines(f, left, right, gamma, score)
    # postcodes: one typed digit wrong or two swapped (Damerau-Levenshtein 1) is a level of its own
    pc_, pu = f.code("postcode")
    a, b = pc_[left], pc_[right]
    dist = _sim(a, b, pu, pu, DamerauLevenshtein.distance)
    missing = (a < 0) | (b < 0)
    gamma[:, POSTCODE] = np.where(missing, 0, np.select([a == b, dist <= 1], [1, 2], 3))
    score[:, POSTCODE] = np.where(missing, np.nan, (a == b).astype(np.float32))
    gamma[:, HOUSE], score[:, HOUSE] = _exact(f, "house", left, right)
    gamma[:, STATE], score[:, STATE] = _exact(f, "state", left, right)
    return Comparison(gamma, score, swapped, emails_differ)


def _graded(f: Features, name: str, left: np.ndarray, right: np.ndarray,
            cuts: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Levels exact, then Jaro-Winkler at or above each cut (highest first), then different; 0 = missing."""
    codes, uniques = f.code(name)
    a, b = codes[left], codes[right]
    return _levels(a, b, _sim(a, b, uniques, uniques), cuts)


def _levels(a: np.ndarray, b: np.ndarray, sim: np.ndarray, cuts: tuple[float, ...],
            exact: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    missing = (a < 0) | (b < 0)
    exact = (a == b) if exact is None else exact
    g = np.select([exact, *(sim >= c for c in cuts)], list(range(1, len(cuts) + 2)), len(cuts) + 2)
    return np.where(missing, 0, g).astype(np.int8), np.where(missing, np.nan, sim)


STREET_CUTS, LINE2_CUTS = (0.90, 0.80), (0.90,)


def _street_lines(f: Features, left: np.ndarray, right: np.ndarray, gamma: np.ndarray, score: np.ndarray) -> None:
    """Street and line 2, straight and crosswise: one list's line 1 is another's line 2 ('Bega Flats' /
    '60 Wilkins Street' vs '60 Wilkins Street' / 'Bega Flats'), as names come swapped."""
    sc, su = f.code("street")
    lc, lu = f.code("line2")
    sa, sb, la, lb = sc[left], sc[right], lc[left], lc[right]
    s_sim, l_sim = _sim(sa, sb, su, su), _sim(la, lb, lu, lu)
    x1, x2 = np.zeros(len(left), np.float32), np.zeros(len(left), np.float32)
    maybe = np.nonzero((sa >= 0) & (sb >= 0) & (la >= 0) & (lb >= 0) & (s_sim + l_sim < 1.8))[0]
    if len(maybe):
        x1[maybe] = _sim(sa[maybe], lb[maybe], su, lu, same_vocab=False)
        x2[maybe] = _sim(la[maybe], sb[maybe], lu, su, same_vocab=False)
    crossed = (x1 + x2 > s_sim + l_sim + 0.2) & (x1 >= 0.9) & (x2 >= 0.9)
    gamma[:, STREET], score[:, STREET] = _levels(sa, sb, np.where(crossed, x1, s_sim), STREET_CUTS,
                                                 (sa == sb) | (crossed & (x1 == 1.0)))
    gamma[:, LINE2], score[:, LINE2] = _levels(la, lb, np.where(crossed, x2, l_sim), LINE2_CUTS,
                                               (la == lb) | (crossed & (x2 == 1.0)))
