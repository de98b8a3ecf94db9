"""Deduplication, first version: exact email, then fuzzy name within the same company.

New rows are matched against this batch and against existing golden records, so a person keeps one id
across runs. Two rules only, chosen because they are precise: the same email is the same person; the
same company with near-identical names (rapidfuzz token_sort_ratio, which forgives swapped first/last
order) is the same person.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from leadpipe.schema import MAPPABLE_FIELDS

PERSON_NAMESPACE = uuid.UUID("6f1c3b5e-8a2d-4c4e-9b7a-2d1e5f3a9c10")
MAX_BLOCK = 500  # a block larger than this is a junk key ("n/a"), not a company: too costly and too risky
GOLDEN_FIELDS = tuple(f for f in MAPPABLE_FIELDS if f not in ("full_name",))


@dataclass
class Resolution:
    """What dedupe decided: row -> person, one golden record per person touched, and the primary rows."""

    membership: pd.DataFrame  # raw_row_id, person_id, rule, match_score
    golden: dict[str, dict] = field(default_factory=dict)  # person_id -> record
    provenance: dict[str, dict] = field(default_factory=dict)  # person_id -> field -> raw_row_id
    new_people: set[str] = field(default_factory=set)
    primary: dict[str, int] = field(default_factory=dict)  # person_id -> raw_row_id carrying its outcome


class _UnionFind:
    def __init__(self, n: int):
        self.parent = np.arange(n)

    def find(self, i: int) -> int:
        root = i
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[i] != root:
            self.parent[i], i = root, self.parent[i]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)  # lower index wins: existing people come first


def person_id_for(source: str, source_file: str, source_row: int) -> str:
    """Deterministic id from the first row that created the person: the same input gives the same ids."""
    return str(uuid.uuid5(PERSON_NAMESPACE, f"{source}|{source_file}|{source_row}"))


def resolve(batch: pd.DataFrame, existing: pd.DataFrame, name_threshold: float) -> Resolution:
    """Assign every row of `batch` to a person, existing or new.

    `existing` has person_id, email, first_name, last_name, company_key and the golden `record` dict.
    """
    existing = existing.reset_index(drop=True)
    batch = batch.reset_index(drop=True)
    n_old = len(existing)
    nodes = pd.concat(
        [existing[["email", "first_name", "last_name", "company_key"]], batch[["email", "first_name",
                                                                              "last_name", "company_key"]]],
        ignore_index=True,
    ).fillna("")
    uf = _UnionFind(len(nodes))
    rule = np.array(["new"] * len(nodes), dtype=object)
    score = np.full(len(nodes), np.nan)

    # Rule 1: identical email.
    emails = nodes["email"].str.lower()
    email_arr = emails.to_numpy()
    for _, idx in emails[emails != ""].groupby(emails).groups.items():
        idx = list(idx)
        for j in idx[1:]:
            uf.union(idx[0], j)
            rule[j], score[j] = "email", 100.0

    # Rule 2: same company key, near-identical full name.
    names = (nodes["first_name"] + " " + nodes["last_name"]).str.strip().str.lower()
    keys = nodes["company_key"]
    has_block = (keys != "") & (names != "")
    for _, idx in keys[has_block].groupby(keys[has_block]).groups.items():
        idx = np.asarray(idx)
        if len(idx) < 2 or len(idx) > MAX_BLOCK:
            continue
        sims = process.cdist(names[idx].tolist(), names[idx].tolist(), scorer=fuzz.token_sort_ratio,
                             score_cutoff=name_threshold, workers=1)
        for la, lb in zip(*np.nonzero(np.triu(sims, k=1)), strict=True):
            i, j, sim = int(idx[la]), int(idx[lb]), float(sims[la, lb])
            if _different_emails(email_arr[i], email_arr[j]) and sim < 100:
                continue  # two different emails and not the exact same name: colleagues, not one person
            if uf.find(i) != uf.find(j):
                uf.union(i, j)
                if rule[j] == "new":
                    rule[j], score[j] = "name+company", sim

    roots = np.array([uf.find(i) for i in range(len(nodes))])
    return _build(batch, existing, roots, rule, score, n_old)


def _different_emails(a: str, b: str) -> bool:
    return bool(a) and bool(b) and a != b


def _completeness(row: pd.Series) -> int:
    return int(sum(1 for f in GOLDEN_FIELDS if f in row and _filled(row[f])))


def _filled(value: object) -> bool:
    return value is not None and not (isinstance(value, float) and np.isnan(value)) and value is not pd.NA \
        and str(value).strip() != ""


def _build(batch: pd.DataFrame, existing: pd.DataFrame, roots: np.ndarray, rule: np.ndarray,
           score: np.ndarray, n_old: int) -> Resolution:
    res = Resolution(membership=pd.DataFrame())
    batch_roots = roots[n_old:]
    members = []
    for root in pd.unique(batch_roots):
        rows = batch.iloc[np.nonzero(batch_roots == root)[0]]
        old = [i for i in np.nonzero(roots == root)[0] if i < n_old]
        # most complete row first; ties go to the earliest-stored row, so the choice is stable
        order = sorted(rows.index, key=lambda i: (-_completeness(rows.loc[i]), int(rows.loc[i, "raw_row_id"])))
        primary = rows.loc[order[0]]
        if old:
            person_id = existing.loc[old[0], "person_id"]
            record = dict(existing.loc[old[0], "record"])
            prov = dict(existing.loc[old[0], "provenance"])
        else:
            person_id = person_id_for(primary["source"], primary["source_file"], int(primary["source_row"]))
            record, prov = {}, {}
            res.new_people.add(person_id)
        for i in order:  # survivorship v1: keep what we have, fill blanks from the most complete rows
            for f in GOLDEN_FIELDS:
                if f in rows.columns and not _filled(record.get(f)) and _filled(rows.loc[i, f]):
                    record[f] = _plain(rows.loc[i, f])
                    prov[f] = int(rows.loc[i, "raw_row_id"])
        res.golden[person_id] = record
        res.provenance[person_id] = prov
        res.primary[person_id] = int(primary["raw_row_id"])
        for i in order:
            node = n_old + i
            members.append({
                "raw_row_id": int(rows.loc[i, "raw_row_id"]),
                "person_id": person_id,
                "rule": "first seen" if rule[node] == "new" else rule[node],
                "match_score": None if np.isnan(score[node]) else float(score[node]),
            })
    res.membership = pd.DataFrame(members, columns=["raw_row_id", "person_id", "rule", "match_score"])
    return res


def _plain(value: object) -> object:
    """numpy scalars -> Python, so records serialise to JSON."""
    return value.item() if hasattr(value, "item") else value
