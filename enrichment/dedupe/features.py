"""Matching features: the lower-cased, accent-folded values every blocking key and comparator reads.

Built once per run with pandas string methods over distinct values, so a million rows cost seconds.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

NICKNAMES_FILE = Path(__file__).with_name("nicknames.csv")
ROLE_LOCAL_PARTS = frozenset({
    "info", "kontakt", "contact", "sales", "vertrieb", "office", "hello", "hallo", "admin", "support", "team",
    "marketing", "hr", "jobs", "mail", "service", "empfang", "reception", "enquiries", "inquiries", "bonjour",
})
# placeholder values typed into forms and test rows: they identify nobody, so they count as blank
JUNK = frozenset({"test", "testing", "asdf", "qwerty", "xxx", "x", "n/a", "na", "none", "unknown", "dummy",
                  "example", "sample", "foo", "bar", "mustermann", "musterfrau", "noreply", "no-reply", "nobody"})
COLUMNS = ("first_name", "last_name", "email", "phone", "company_key", "domain", "job_title", "city", "postcode")


@dataclass(frozen=True)
class Nicknames:
    """name -> canonical formal name, and name -> bit mask of the nickname groups it belongs to."""

    canonical: dict[str, str]
    groups: dict[str, int]


@lru_cache(maxsize=1)
def nicknames() -> Nicknames:
    canonical: dict[str, str] = {}
    groups: dict[str, int] = {}
    lines = [ln for ln in NICKNAMES_FILE.read_text(encoding="utf-8").splitlines() if ln and not ln.startswith("#")]
    for gid, line in enumerate(lines):
        names = [fold(n) for n in line.split(",") if n.strip()]
        for name in names:
            canonical.setdefault(name, names[0])
            groups[name] = groups.get(name, 0) | (1 << gid)
    return Nicknames(canonical, groups)


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(c for c in text if not unicodedata.combining(c))


def _fold_uniques(u: np.ndarray) -> np.ndarray:
    """strip, casefold, drop accents (same result as `fold`), in Arrow's C kernels rather than per string."""
    a = pc.utf8_lower(pc.utf8_trim_whitespace(pa.array(u, type=pa.large_string())))
    a = pc.replace_substring(a, "ß", "ss")  # the one casefold rule lower() lacks for our alphabets
    a = pc.replace_substring_regex(pc.utf8_normalize(a, "NFKD"), r"[\x{0300}-\x{036f}]", "")
    return np.asarray(a.to_numpy(zero_copy_only=False), dtype=object)


def _isin(values: np.ndarray, words: frozenset[str]) -> np.ndarray:
    """Hash lookup (np.isin sorts object arrays, which is slow)."""
    return pd.Series(values, dtype=object).isin(list(words)).to_numpy()


def _arrow(a: pa.Array) -> np.ndarray:
    return np.asarray(a.to_numpy(zero_copy_only=False), dtype=object)


def _split_email(emails: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(local part, domain) at the last '@', as str.rpartition: no '@' -> ('', whole value)."""
    a = pa.array(emails, type=pa.large_string())
    parts = pc.extract_regex(a, r"^(?P<local>.*)@(?P<dom>[^@]*)$")
    local = pc.fill_null(pc.struct_field(parts, "local"), "")
    dom = pc.coalesce(pc.struct_field(parts, "dom"), a)
    return _arrow(local), _arrow(dom)


def _first_label(domains: np.ndarray) -> np.ndarray:
    a = pa.array(domains, type=pa.large_string())
    return _arrow(pc.fill_null(pc.struct_field(pc.extract_regex(a, r"^(?P<l>[^.]*)"), "l"), ""))


def _folded(series: pd.Series) -> np.ndarray:
    """Fold distinct values once and broadcast back."""
    codes, uniques = _folded_codes(series)
    return _values(codes, uniques)


def _folded_codes(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct folded values): the string work runs once per distinct value, not per row."""
    codes, uniques = pd.factorize(series, sort=False)  # NaN/None -> -1
    if not len(uniques):
        return codes.astype(np.int64), np.zeros(0, dtype=object)
    u = pd.Series(uniques).astype(str).to_numpy(dtype=object)
    return codes.astype(np.int64), _fold_uniques(u)


def intern(codes: np.ndarray, uniques: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Re-number after a transform of the distinct values: equal strings one code, blank -> -1."""
    if not len(uniques):
        return np.full(len(codes), -1, np.int64), np.zeros(0, dtype=object)
    c2, u2 = pd.factorize(pd.Series(uniques, dtype=object), sort=False)
    u2 = np.asarray(u2, dtype=object)
    blank = np.nonzero(u2 == "")[0]
    if len(blank):
        c2 = np.where(c2 == blank[0], -1, np.where(c2 > blank[0], c2 - 1, c2))
        u2 = np.delete(u2, blank[0])
    out = np.where(codes >= 0, c2[np.clip(codes, 0, None)], -1) if len(codes) else codes.astype(np.int64)
    return out.astype(np.int64), u2


def _values(codes: np.ndarray, uniques: np.ndarray) -> np.ndarray:
    if not len(uniques):
        return np.full(len(codes), "", dtype=object)
    return np.where(codes >= 0, uniques[np.clip(codes, 0, None)], "").astype(object)


@dataclass
class Features:
    fn: np.ndarray
    fn_canon: np.ndarray
    fn_lo: np.ndarray  # nickname group bits 0..63
    fn_hi: np.ndarray  # nickname group bits 64..127
    ln: np.ndarray
    email: np.ndarray
    email_local: np.ndarray
    email_domain: np.ndarray
    email_role: np.ndarray
    phone: np.ndarray
    company: np.ndarray
    domain: np.ndarray
    title: np.ndarray
    city: np.ndarray
    postcode: np.ndarray
    # name -> (codes, distinct values): integer ids for equality, blocking and once-per-value scoring
    interned: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.fn)

    def code(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(codes, distinct values) of a string feature; -1 = blank. Comparing ints beats comparing strings."""
        if name not in self.interned:
            codes, uniques = pd.factorize(pd.Series(getattr(self, name), dtype=object), sort=False)
            self.interned[name] = intern(codes.astype(np.int64), np.asarray(uniques, dtype=object))
        return self.interned[name]

    def prefix(self, name: str, n: int) -> tuple[np.ndarray, np.ndarray]:
        """(codes, distinct values) of the first n characters of a feature, computed once per distinct value."""
        key = f"{name}[:{n}]"
        if key not in self.interned:
            codes, uniques = self.code(name)
            heads = pc.utf8_slice_codeunits(pa.array(uniques, type=pa.large_string()), 0, n)
            self.interned[key] = intern(codes, _arrow(heads))
        return self.interned[key]

    def personal_mail(self) -> np.ndarray:
        """Per record: the email's domain is not the company domain (private or other-company address)."""
        if "personal_mail" not in self.interned:
            self.interned["personal_mail"] = (self.domain != self.email_domain, np.zeros(0, dtype=object))
        return self.interned["personal_mail"][0]

    def take(self, idx: np.ndarray) -> Features:
        out = Features(**{k: v[idx] for k, v in self.__dict__.items() if k != "interned"})
        out.interned = {k: (c[idx], u) for k, (c, u) in self.interned.items()}
        return out

    @classmethod
    def concat(cls, parts: list[Features]) -> Features:
        return cls(**{k: np.concatenate([getattr(p, k) for p in parts]) for k in parts[0].__dict__
                      if k != "interned"})


def build(frame: pd.DataFrame) -> Features:
    """Features of a frame with (some of) the canonical columns; missing columns count as blank.

    Every string transform runs on the distinct values of a column and is broadcast back by integer code,
    so a million rows with a hundred thousand distinct names cost the names, not the rows.
    """
    n = len(frame)
    interned: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def raw(name: str) -> tuple[np.ndarray, np.ndarray]:
        if name not in frame.columns:
            return np.full(n, -1, np.int64), np.zeros(0, dtype=object)
        return _folded_codes(frame[name])

    def keep(name: str, codes: np.ndarray, uniques: np.ndarray) -> np.ndarray:
        interned[name] = intern(codes, uniques)
        return _values(*interned[name])

    fc, fu = raw("first_name")
    fu = np.array([s.rstrip(".") for s in fu], dtype=object)
    lc, lu = raw("last_name")
    fc, fu = intern(fc, fu)
    lc, lu = intern(lc, lu)
    junk_name = np.zeros(n, bool)
    for c, u in ((fc, fu), (lc, lu)):
        bad = _isin(u, JUNK)
        junk_name |= (c >= 0) & bad[np.clip(c, 0, None)] if len(u) else False
    fc, lc = np.where(junk_name, -1, fc), np.where(junk_name, -1, lc)
    fn, ln = keep("fn", fc, fu), keep("ln", lc, lu)

    ec, eu = raw("email")
    ec, eu = intern(ec, eu)
    loc_u, dom_u = _split_email(eu)
    junk_u = _isin(loc_u, JUNK) | _isin(_first_label(dom_u), JUNK)
    ec = np.where((ec >= 0) & (junk_u[np.clip(ec, 0, None)] if len(eu) else False), -1, ec)
    email = keep("email", ec, eu)
    local = keep("email_local", ec, loc_u)
    edomain = keep("email_domain", ec, dom_u)
    if "email_role" in frame.columns:
        role = frame["email_role"].fillna(False).astype(bool).to_numpy()
    else:
        lc2, lu2 = interned["email_local"]
        role_u = _isin(lu2, ROLE_LOCAL_PARTS)
        role = (lc2 >= 0) & (role_u[np.clip(lc2, 0, None)] if len(lu2) else False)

    nick = nicknames()
    fcode, funiq = interned["fn"]
    canon_u = np.array([nick.canonical.get(u, u) for u in funiq], dtype=object)
    masks = [nick.groups.get(u, 0) for u in funiq]
    lo_u = np.r_[np.array([m & ((1 << 64) - 1) for m in masks], dtype=np.uint64), np.uint64(0)]
    hi_u = np.r_[np.array([m >> 64 for m in masks], dtype=np.uint64), np.uint64(0)]
    fn_canon = keep("fn_canon", fcode, canon_u)

    phc, pu = raw("phone")
    pu = _arrow(pc.replace_substring_regex(pa.array(pu, type=pa.large_string()), r"[^0-9+]", ""))
    phone = keep("phone", phc, pu)
    if "company_key" not in frame.columns and "company" in frame.columns:
        from enrichment.normalise import company_key

        cc, cu = raw("company")
        cu = _fold_uniques(np.array([company_key(v) for v in cu], dtype=object)) if len(cu) else cu
    else:
        cc, cu = raw("company_key")
    company = keep("company", cc, cu)
    cols = {name: keep(name, *raw(col)) for name, col in
            (("domain", "domain"), ("title", "job_title"), ("city", "city"), ("postcode", "postcode"))}
    return Features(
        fn=fn, fn_canon=fn_canon, fn_lo=lo_u[fcode], fn_hi=hi_u[fcode], ln=ln, email=email, email_local=local,
        email_domain=edomain, email_role=role, phone=phone, company=company, interned=interned, **cols,
    )
