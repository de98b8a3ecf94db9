"""Matching features: the lower-cased, accent-folded values every blocking key and comparator reads.

Built once per run with pandas string methods over distinct values, so a million rows cost seconds.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

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


def _folded(series: pd.Series) -> np.ndarray:
    """Fold distinct values once and broadcast back."""
    s = series.fillna("").astype(str)
    codes, uniques = pd.factorize(s, sort=False)
    if not len(uniques):
        return np.full(len(s), "", dtype=object)
    u = pd.Series(uniques, dtype=object).str.strip().str.casefold().str.normalize("NFKD")
    folded = u.str.replace(r"[\u0300-\u036f]", "", regex=True).to_numpy(dtype=object)
    return folded[codes]


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

    def __len__(self) -> int:
        return len(self.fn)

    def take(self, idx: np.ndarray) -> Features:
        return Features(**{k: v[idx] for k, v in self.__dict__.items()})

    @classmethod
    def concat(cls, parts: list[Features]) -> Features:
        return cls(**{k: np.concatenate([getattr(p, k) for p in parts]) for k in parts[0].__dict__})


def build(frame: pd.DataFrame) -> Features:
    """Features of a frame with (some of) the canonical columns; missing columns count as blank."""
    n = len(frame)

    def col(name: str) -> np.ndarray:
        if name not in frame.columns:
            return np.full(n, "", dtype=object)
        return _folded(frame[name])

    fn, ln = col("first_name"), col("last_name")
    fn = np.array([s.rstrip(".") for s in fn], dtype=object) if n else fn
    junk_name = np.isin(fn, list(JUNK)) | np.isin(ln, list(JUNK))
    fn, ln = np.where(junk_name, "", fn), np.where(junk_name, "", ln)
    email = col("email")
    parts = pd.Series(email, dtype=object).str.rpartition("@")
    junk_mail = (parts[0].isin(JUNK) | parts[2].str.split(".").str[0].isin(JUNK)).to_numpy()
    email = np.where(junk_mail, "", email)
    local = np.where(junk_mail, "", parts[0].to_numpy(dtype=object))
    edomain = np.where(junk_mail, "", parts[2].to_numpy(dtype=object))
    if "email_role" in frame.columns:
        role = frame["email_role"].fillna(False).astype(bool).to_numpy()
    else:
        role = pd.Series(local, dtype=object).isin(ROLE_LOCAL_PARTS).to_numpy()
    nick = nicknames()
    codes, uniques = pd.factorize(pd.Series(fn, dtype=object))
    canon_u = np.array([nick.canonical.get(u, u) for u in uniques], dtype=object)
    masks = [nick.groups.get(u, 0) for u in uniques]
    lo_u = np.array([m & ((1 << 64) - 1) for m in masks], dtype=np.uint64)
    hi_u = np.array([m >> 64 for m in masks], dtype=np.uint64)
    phone = col("phone")
    phone = pd.Series(phone, dtype=object).str.replace(r"[^0-9+]", "", regex=True).to_numpy(dtype=object)
    company = col("company_key")
    if "company_key" not in frame.columns and "company" in frame.columns:
        from enrichment.normalise import company_key

        company = _folded(frame["company"].map(lambda v: company_key(v) if isinstance(v, str) else ""))
    return Features(
        fn=fn, fn_canon=canon_u[codes] if n else fn, fn_lo=lo_u[codes] if n else np.zeros(0, np.uint64),
        fn_hi=hi_u[codes] if n else np.zeros(0, np.uint64), ln=ln, email=email, email_local=local,
        email_domain=edomain, email_role=role, phone=phone, company=company, domain=col("domain"),
        title=col("job_title"), city=col("city"), postcode=col("postcode"),
    )
