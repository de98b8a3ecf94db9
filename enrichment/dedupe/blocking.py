"""Candidate pairs: records that share at least one blocking key, with a cap on block size.

Several passes (email, phone, name + company, name + domain, swapped names, email local part...) are
unioned, so a typo in one field does not hide a duplicate. A block bigger than the cap is a junk key or a
switchboard number shared by a whole company: it is skipped, so one key cannot explode the pair count.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from enrichment.dedupe.features import Features
from enrichment.dedupe.parallel import thread_map

_INT64_ROOM = 2**62


def _cat(*parts: np.ndarray) -> np.ndarray:
    """Join integer key parts into one key code; blank (-1) when any part is blank (a key needs all its parts)."""
    out = parts[0].astype(np.int64)
    blank = out < 0
    for p in parts[1:]:
        blank |= p < 0
        width = int(p.max(initial=0)) + 2
        if int(out.max(initial=0)) + 1 > _INT64_ROOM // width:
            out = pd.factorize(out)[0].astype(np.int64)  # renumber densely only when the product would overflow
        out = out * width + (p + 1)
    return np.where(blank, -1, out)


def _sorted_names(f: Features) -> np.ndarray:
    """Both names as an unordered pair: 'Schneider Katharina' meets 'Katharina Schneider'."""
    jf, jl = f.joint_codes("fn", "ln")
    return _cat(np.minimum(jf, jl), np.maximum(jf, jl))


def _company_either_name(f: Features) -> np.ndarray:
    """Two keys per record: company + first name and company + last name, over one vocabulary for both names,
    so a name typed in the other column still meets ('Benson Bobby' / 'Bibby Benson')."""
    jf, jl = f.joint_codes("fn", "ln")
    company = f.codes("company")
    return _cat(np.r_[company, company], np.r_[jf, jl]).reshape(2, -1).T  # one key space for both columns


def _personal_email(f: Features) -> np.ndarray:
    return np.where(f.email_role, -1, f.codes("email"))


# fields paired up into the address keys below (feature names)
ADDRESS_KEY_FIELDS = {"first_name": "fn_canon", "last_name": "ln", "street": "street", "house_number": "house",
                      "address_line2": "line2", "city": "city", "postcode": "postcode"}

# name -> key function; every pass is a conjunction of exact values (integer key codes, -1 = no key)
PASSES: dict[str, Callable[[Features], np.ndarray]] = {
    "email": _personal_email,
    "phone": lambda f: f.codes("phone"),
    "company+last_name": lambda f: _cat(f.codes("company"), f.codes("ln")),
    "company+first_name": lambda f: _cat(f.codes("company"), f.codes("fn_canon")),
    "domain+last_name": lambda f: _cat(f.codes("domain"), f.codes("ln")),
    "domain+first_name": lambda f: _cat(f.codes("domain"), f.codes("fn_canon")),
    "names_sorted": _sorted_names,
    # swapped names with a typo in one ('Nelson Holl' / 'Holly Nelson' at one company): the untyped name meets
    # the other record's, whichever column each is in (two keys per record)
    "company+either_name": _company_either_name,
    "name_prefixes+company_prefix": lambda f: _cat(f.prefix("fn_canon", 2), f.prefix("ln", 3),
                                                   f.prefix("company", 3)),
    "last_name+postcode": lambda f: _cat(f.codes("ln"), f.codes("postcode")),
    # a typo in the surname ("Schmidt"/"Schmitd") at one address: name prefixes with the postcode
    "name_prefixes+postcode": lambda f: _cat(f.prefix("fn_canon", 2), f.prefix("ln", 3), f.codes("postcode")),
    # Address lists (no email, no company): every field of a pair may carry a typo, so the name and address
    # fields are paired up into keys (a pair is found while any two of its fields are typed alike), names also
    # meet by their sound (metaphone), and street and line 2 by their first five letters.
    "names_phonetic": lambda f: _cat(f.phonetic("fn"), f.phonetic("ln")),
    "last_name_phonetic+postcode": lambda f: _cat(f.phonetic("ln"), f.codes("postcode")),
    **{f"{a}+{b}": (lambda f, a=a, b=b: _cat(f.codes(ADDRESS_KEY_FIELDS[a]), f.codes(ADDRESS_KEY_FIELDS[b])))
       for i, a in enumerate(ADDRESS_KEY_FIELDS) for b in list(ADDRESS_KEY_FIELDS)[i + 1:]
       if (a, b) not in (("first_name", "last_name"), ("last_name", "postcode"),  # those two are above
                         ("first_name", "city"), ("last_name", "city"))},
    # A name with a whole town (first or last name + city) is left out: on B2B rows it quadrupled the pairs
    # for a few more found, and on a consumer list of 1M rows it made 20M pairs (names by sound and city +
    # postcode are kept for pairs where a record names no company: NO_COMPANY_PASSES).
    "street[:5]+postcode": lambda f: _cat(f.prefix("street", 5), f.codes("postcode")),
    "street[:5]+house_number": lambda f: _cat(f.prefix("street", 5), f.codes("house")),
    "last_name+street[:5]": lambda f: _cat(f.codes("ln"), f.prefix("street", 5)),
    "street[:5]+city": lambda f: _cat(f.prefix("street", 5), f.codes("city")),
    "address_line2[:5]+city": lambda f: _cat(f.prefix("line2", 5), f.codes("city")),
}


# Passes whose pairs are kept only when a record of the pair names no company: on B2B rows the company and
# domain keys find the same people in a fraction of the pairs (at 100k generated leads, names by sound alone
# gave 84k pairs for 92 more true ones, city + postcode 99k), on rows without a company they are all there is.
NO_COMPANY_PASSES = frozenset({"names_phonetic", "city+postcode"})
BROAD_BLOCK = 20  # block cap of those passes: one sound or one town holds many people, not one
# A full name held by more than RARE_NAME_BLOCK records is a key only for pairs where a record names no company
# (a web form, a private list): two records that both name a company meet by company or domain and a name
# already. At 1M generated leads the 1.2M same-name pairs at two companies held 7 true pairs while doubling the
# pairs every later step compares and scores; a rare name at two companies stays a pair (a job change is
# listed for review).
NAME_ONLY_PASSES = frozenset({"names_sorted"})
RARE_NAME_BLOCK = 10
SN_WINDOW = 4  # sorted neighbourhood: each record meets the next SN_WINDOW - 1 in sort order


def _rank(f: Features, name: str) -> np.ndarray:
    """Per record, the alphabetical rank of its value of a field (blank last)."""
    codes, uniques = f.arrow[name] if name in f.arrow else f.derived[name]
    order = pc.sort_indices(uniques).to_numpy()
    rank = np.empty(len(uniques) + 1, np.int64)
    rank[order] = np.arange(len(order))
    rank[-1] = len(order)  # code -1 (blank) picks the last slot
    return rank[codes]


def sorted_neighbourhood(f: Features, fields: tuple[str, ...], window: int = SN_WINDOW
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of records that sit within `window` of each other when sorted by `fields` (records that name no
    company only, and have the first field): 'Muehlberg' meets 'Muehlbserg', whatever their other fields hold.
    """
    rows = np.nonzero((f.codes("company") < 0) & (f.codes(fields[0]) >= 0))[0]
    if len(rows) < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    keys = [_rank(f, name)[rows] for name in reversed(fields)]
    order = rows[np.lexsort(keys)]
    left, right = [], []
    for step in range(1, window):
        left.append(order[:-step])
        right.append(order[step:])
    a, b = np.concatenate(left), np.concatenate(right)
    return np.minimum(a, b).astype(np.int64), np.maximum(a, b).astype(np.int64)


# Sorted-neighbourhood passes: a typo late in a name or street keeps the records next to each other.
NEIGHBOURHOODS: dict[str, tuple[str, ...]] = {
    "sorted last name, first name (no company)": ("ln", "fn"),
    "sorted street, house number (no company)": ("street", "house"),
}


def pairs_for_key(key: np.ndarray, max_block: int, need: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """All (i, j), i < j, of rows sharing a key (integer codes, -1 = none), skipping blocks above max_block.

    `need` (bool per row): only pairs with at least one such row, and only blocks holding one are expanded.
    A 2-D key (rows, k) gives each row k keys: rows meet when any of their keys agree.
    """
    if key.ndim == 2:
        n, k = key.shape
        a, b = pairs_for_key(key.T.ravel(), max_block, None if need is None else np.tile(need, k))
        a, b = a % n, b % n
        distinct = a != b
        return np.minimum(a, b)[distinct], np.maximum(a, b)[distinct]
    if key.dtype == object:  # a string key (tools and tests): blank means none
        codes = pd.factorize(pd.Series(key, dtype=object))[0]
        key = np.where(key == "", -1, codes)
    keep = np.nonzero(key >= 0)[0]
    if len(keep) < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    order = keep[np.argsort(key[keep])]  # order inside a block is irrelevant: pairs come out as (min, max)
    sorted_codes = key[order]
    starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
    sizes = np.diff(np.r_[starts, len(order)])
    wanted = np.ones(len(starts), bool) if need is None else np.add.reduceat(need[order].astype(np.int64), starts) > 0
    left, right = [], []
    for s in np.unique(sizes[(sizes >= 2) & (sizes <= max_block) & wanted]):
        g = starts[(sizes == s) & wanted]
        rows = order[g[:, None] + np.arange(s)]  # (groups, s)
        iu, ju = np.triu_indices(s, k=1)
        left.append(rows[:, iu].ravel())
        right.append(rows[:, ju].ravel())
    if not left:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    a, b = np.concatenate(left), np.concatenate(right)
    if need is not None:
        a, b = a[need[a] | need[b]], b[need[a] | need[b]]
    return np.minimum(a, b).astype(np.int64), np.maximum(a, b).astype(np.int64)


def candidate_pairs(f: Features, max_block: int, only_touching: np.ndarray | None = None,
                    passes: dict[str, Callable[[Features], np.ndarray]] | None = None
                    ) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Union of all passes as (left, right) index arrays, plus how many pairs each pass produced.

    `only_touching` (bool per record) keeps only pairs with at least one such record: in an incremental run
    two already-resolved golden records are never compared again.
    """
    n = len(f)
    default = passes is None
    passes = passes or PASSES

    no_company = f.codes("company") < 0

    def one(name: str) -> np.ndarray:
        if name in NO_COMPANY_PASSES:  # broad keys: smaller blocks only
            a, b = pairs_for_key(passes[name](f), min(max_block, BROAD_BLOCK), no_company)
        elif name in NAME_ONLY_PASSES:  # all pairs of a rare name, only those touching no company of a common one
            key = passes[name](f)
            a1, b1 = pairs_for_key(key, min(max_block, RARE_NAME_BLOCK))
            a2, b2 = pairs_for_key(key, max_block, no_company)
            a, b = np.r_[a1, a2], np.r_[b1, b2]  # the union below drops the repeats
        else:
            a, b = pairs_for_key(passes[name](f), max_block)
        if only_touching is not None:
            keep = only_touching[a] | only_touching[b]
            a, b = a[keep], b[keep]
        return a * n + b

    def sorted_pass(name: str) -> np.ndarray:
        a, b = sorted_neighbourhood(f, NEIGHBOURHOODS[name])
        if only_touching is not None:
            keep = only_touching[a] | only_touching[b]
            a, b = a[keep], b[keep]
        return a * n + b

    jobs = [(one, name) for name in passes] + ([(sorted_pass, name) for name in NEIGHBOURHOODS] if default else [])
    codes_all = thread_map(lambda job: job[0](job[1]), jobs)  # independent; their union is sorted below
    counts = {name: len(c) for (_, name), c in zip(jobs, codes_all, strict=True)}
    code = np.sort(np.concatenate(codes_all)) if codes_all else np.zeros(0, np.int64)
    code = code[np.r_[True, code[1:] != code[:-1]]] if len(code) else code  # sort-based unique: fast on int64
    return code // max(n, 1), code % max(n, 1), counts
