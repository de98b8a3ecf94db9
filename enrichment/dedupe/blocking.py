"""Candidate pairs: records that share at least one blocking key, with a cap on block size.

Several passes (email, phone, name + company, name + domain, swapped names, email local part...) are
unioned, so a typo in one field does not hide a duplicate. A block bigger than the cap is a junk key or a
switchboard number shared by a whole company: it is skipped, so one key cannot explode the pair count.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from enrichment.dedupe.features import Features


def _cat(*parts: np.ndarray) -> np.ndarray:
    """Join key parts with '|'; blank when any part is blank (a key needs all its parts)."""
    out = pd.Series(parts[0], dtype=object)
    blank = out == ""
    for p in parts[1:]:
        s = pd.Series(p, dtype=object)
        blank |= s == ""
        out = out + "|" + s
    out[blank] = ""
    return out.to_numpy(dtype=object)


def _prefix(values: np.ndarray, n: int) -> np.ndarray:
    return pd.Series(values, dtype=object).str.slice(0, n).to_numpy(dtype=object)


def _sorted_names(f: Features) -> np.ndarray:
    a = pd.Series(f.fn, dtype=object)
    b = pd.Series(f.ln, dtype=object)
    lo = a.where(a <= b, b)
    hi = b.where(a <= b, a)
    return _cat(lo.to_numpy(dtype=object), hi.to_numpy(dtype=object))


def _personal_email(f: Features) -> np.ndarray:
    return np.where(f.email_role, "", f.email)


def _long_local(f: Features) -> np.ndarray:
    """A local part like 'jane.doe' identifies across domains; 'j' or 'info' does not."""
    ok = (pd.Series(f.email_local, dtype=object).str.len() >= 6).to_numpy() & ~f.email_role
    return np.where(ok, f.email_local, "")


# name -> key function; every pass is a conjunction of exact values
PASSES: dict[str, Callable[[Features], np.ndarray]] = {
    "email": _personal_email,
    "email_local+last_name": lambda f: _cat(_long_local(f), _prefix(f.ln, 1)),
    "phone": lambda f: f.phone,
    "company+last_name": lambda f: _cat(f.company, f.ln),
    "company+first_name": lambda f: _cat(f.company, f.fn_canon),
    "domain+last_name": lambda f: _cat(f.domain, f.ln),
    "domain+first_name": lambda f: _cat(f.domain, f.fn_canon),
    "names_sorted": _sorted_names,
    "name_prefixes+company_prefix": lambda f: _cat(_prefix(f.fn_canon, 2), _prefix(f.ln, 3), _prefix(f.company, 3)),
    "last_name+postcode": lambda f: _cat(f.ln, f.postcode),
}


def pairs_for_key(key: np.ndarray, max_block: int) -> tuple[np.ndarray, np.ndarray]:
    """All (i, j), i < j, of rows sharing a non-blank key value, skipping blocks above max_block."""
    codes, _ = pd.factorize(pd.Series(key, dtype=object))
    codes = np.where(key == "", -1, codes)
    keep = np.nonzero(codes >= 0)[0]
    if len(keep) < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    order = keep[np.argsort(codes[keep], kind="stable")]
    sorted_codes = codes[order]
    starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
    sizes = np.diff(np.r_[starts, len(order)])
    left, right = [], []
    for s in np.unique(sizes[(sizes >= 2) & (sizes <= max_block)]):
        g = starts[sizes == s]
        rows = order[g[:, None] + np.arange(s)]  # (groups, s)
        iu, ju = np.triu_indices(s, k=1)
        left.append(rows[:, iu].ravel())
        right.append(rows[:, ju].ravel())
    if not left:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    a, b = np.concatenate(left), np.concatenate(right)
    return np.minimum(a, b).astype(np.int64), np.maximum(a, b).astype(np.int64)


def candidate_pairs(f: Features, max_block: int, only_touching: np.ndarray | None = None,
                    passes: dict[str, Callable[[Features], np.ndarray]] | None = None
                    ) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Union of all passes as (left, right) index arrays, plus how many pairs each pass produced.

    `only_touching` (bool per record) keeps only pairs with at least one such record: in an incremental run
    two already-resolved golden records are never compared again.
    """
    n = len(f)
    codes_all: list[np.ndarray] = []
    counts: dict[str, int] = {}
    for name, fn in (passes or PASSES).items():
        a, b = pairs_for_key(fn(f), max_block)
        if only_touching is not None:
            keep = only_touching[a] | only_touching[b]
            a, b = a[keep], b[keep]
        counts[name] = len(a)
        codes_all.append(a * n + b)
    code = np.unique(np.concatenate(codes_all)) if codes_all else np.zeros(0, np.int64)
    return code // max(n, 1), code % max(n, 1), counts
