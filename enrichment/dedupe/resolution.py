"""Resolve a batch into people: match, cluster, build golden records (the API of enrichment.dedupe).

Runs are incremental: `resolve(batch, existing)` matches new rows against the golden records passed in
(the caller loads only people sharing a blocking key with the batch), so a person keeps one id across runs.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import msgspec
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from enrichment.dedupe import features
from enrichment.dedupe.comparators import COMPARATORS
from enrichment.dedupe.consent import CONSENT_ROW_COLUMNS, evidence_from_consent_rows
from enrichment.dedupe.fellegi_sunter import Model
from enrichment.dedupe.matching import (
    EVIDENCE_DECIMALS,
    MISSING_LEVEL,
    SWAPPED_NOTE,
    MatchResult,
    candidates,
    fit,
    match,
)
from enrichment.dedupe.partition import merge_partitions
from enrichment.dedupe.settings import DedupeConfig
from enrichment.dedupe.survivorship import choose, filled
from leadpipe.core.memory import release_freed_memory
from leadpipe.core.schema import MAPPABLE_FIELDS

PERSON_NAMESPACE = uuid.UUID("6f1c3b5e-8a2d-4c4e-9b7a-2d1e5f3a9c10")
GOLDEN_FIELDS = tuple(f for f in MAPPABLE_FIELDS if f not in ("full_name",))

__all__ = ["DedupeConfig", "Model", "Prepared", "Resolution", "fit_model", "match", "person_id_for", "prepare",
           "resolve", "resolve_from_partitions"]


@dataclass
class Resolution:
    """What dedupe decided: row -> person, one golden record per person touched, and the primary rows.

    Golden records and provenance are frames (one row per person) because the stage stores them in bulk;
    `golden` and `provenance` give the same as dicts for tools and tests that look at a few people.
    """

    membership: pd.DataFrame  # raw_row_id, person_id, rule, match_score (match weight in bits)
    golden_frame: pd.DataFrame = field(default_factory=pd.DataFrame)  # index person_id; None = no value
    provenance_frame: pd.DataFrame = field(default_factory=pd.DataFrame)  # index person_id; field -> raw_row_id
    new_people: set[str] = field(default_factory=set)
    primary: dict[str, int] = field(default_factory=dict)  # person_id -> raw_row_id carrying its outcome
    evidence: Mapping[int, dict] = field(default_factory=dict)  # raw_row_id -> the link that merged it (LinkEvidence)
    review: pd.DataFrame = field(default_factory=pd.DataFrame)  # possible matches: raw_row_id/person_id pairs
    stats: dict = field(default_factory=dict)

    @cached_property
    def golden(self) -> dict[str, dict]:
        """person_id -> record (fields without a value left out)."""
        return {pid: {k: _plain(v) for k, v in rec.items() if v is not None}
                for pid, rec in zip(self.golden_frame.index, self.golden_frame.to_dict("records"), strict=True)}

    @cached_property
    def provenance(self) -> dict[str, dict]:
        """person_id -> field -> raw_row_id the value came from."""
        return {pid: {k: int(v) for k, v in pr.items() if v is not None and pd.notna(v)}
                for pid, pr in zip(self.provenance_frame.index, self.provenance_frame.to_dict("records"),
                                   strict=True)}


def person_id_for(source: str, source_file: str, source_row: int) -> str:
    """Deterministic id from the first row that created the person: the same input gives the same ids."""
    return str(uuid.uuid5(PERSON_NAMESPACE, f"{source}|{source_file}|{source_row}"))


def _person_ids(src: np.ndarray, fil: np.ndarray, srow: np.ndarray) -> list[str]:
    """`person_id_for` for many rows: the same uuid5 (RFC 4122: SHA-1 of namespace + name, version and
    variant bits set). Only the hashing is per row; the bits and the hex text are set for all ids at once
    (through uuid.UUID objects an id cost 4x more, and per-row bit twiddling and formatting as much again)."""
    n = len(src)
    if n == 0:
        return []
    ns, sha1 = PERSON_NAMESPACE.bytes, hashlib.sha1
    digests = b"".join(sha1(ns + f"{a}|{b}|{int(c)}".encode()).digest()[:16]
                       for a, b, c in zip(src.tolist(), fil.tolist(), srow.tolist(), strict=True))
    d = np.frombuffer(digests, np.uint8).reshape(n, 16).copy()
    d[:, 6] = (d[:, 6] & 0x0F) | 0x50  # version 5
    d[:, 8] = (d[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
    hexes = np.frombuffer(b"0123456789abcdef", np.uint8)
    digits = np.empty((n, 32), np.uint8)
    digits[:, 0::2], digits[:, 1::2] = hexes[d >> 4], hexes[d & 0x0F]
    text = np.full((n, 36), ord("-"), np.uint8)  # 8-4-4-4-12
    for lo, hi, at in ((0, 8, 0), (8, 12, 9), (12, 16, 14), (16, 20, 19), (20, 32, 24)):
        text[:, at : at + hi - lo] = digits[:, lo:hi]
    return text.view("S36").ravel().astype(str).tolist()


def _legacy_config(cfg: DedupeConfig | float | None) -> DedupeConfig:
    if isinstance(cfg, DedupeConfig):
        return cfg
    return DedupeConfig() if cfg is None else DedupeConfig(name_company_threshold=float(cfg))


def _existing_frame(existing: pd.DataFrame) -> pd.DataFrame:
    """Golden records as matchable rows: record fields, with the indexed columns winning."""
    if existing.empty:
        return pd.DataFrame(columns=list(GOLDEN_FIELDS))
    rec = pd.DataFrame([dict(r or {}) for r in existing["record"]], index=existing.index)
    for c in ("email", "first_name", "last_name", "company_key"):
        if c in existing.columns:
            rec[c] = existing[c].where(existing[c].notna(), rec.get(c))
    return rec


@dataclass
class Prepared:
    """A batch and its candidate golden records as one matchable set: existing people first, then new rows."""

    batch: pd.DataFrame  # in lineage order
    existing: pd.DataFrame
    old_rows: pd.DataFrame
    features: features.Features
    is_old: np.ndarray


LINEAGE_ORDER = ("source", "source_file", "source_row", "raw_row_id")


def prepare(batch: pd.DataFrame, existing: pd.DataFrame, built: features.Features | None = None,
            ordered: bool = False) -> Prepared:
    """`built`: the features of an earlier `prepare` of the same batch and existing people (saved by the
    caller, e.g. once per partitioned run), used instead of building them again. `ordered`: the batch is
    already in lineage order (an earlier `prepare`'s `batch`, saved), so it is not sorted again."""
    # Lineage order, not raw_row_id: ids depend on which source's task stored its rows first (parallel
    # mapped ingest), and every tie below must break the same way on one machine or on a Celery cluster.
    # raw_row_id last: rows of one lineage (a file read twice in a batch) keep the order they were stored in.
    existing = existing.reset_index(drop=True)
    if not ordered:
        keys = [c for c in LINEAGE_ORDER if c in batch.columns]
        batch = batch.sort_values(keys, kind="stable")
    batch = batch.reset_index(drop=True)
    n_old = len(existing)
    old_rows = _existing_frame(existing)
    if built is not None:
        if len(built) != n_old + len(batch):
            raise ValueError(f"the saved features have {len(built)} records, the batch and its candidate people "
                             f"{n_old + len(batch)}: they belong to another plan")
        f = built
    else:
        f = features.Features.concat([features.build(old_rows), features.build(batch)]) if n_old \
            else features.build(batch)
    is_old = np.r_[np.ones(n_old, bool), np.zeros(len(batch), bool)]
    return Prepared(batch, existing, old_rows, f, is_old)


def resolve(batch: pd.DataFrame, existing: pd.DataFrame, cfg: DedupeConfig | float | None = None,
            model: Model | None = None) -> Resolution:
    """Assign every row of `batch` to a person, existing or new.

    `existing` has person_id, email, first_name, last_name, company_key, record and provenance: the golden
    records that share a blocking key with the batch (not all of history). `model`: m/u learned on an earlier
    (bigger) run; a small incremental batch plus its candidates is a biased sample to learn from.
    """
    cfg = _legacy_config(cfg)
    p = prepare(batch, existing)
    return _build(p.batch, p.existing, p.old_rows, match(p.features, cfg, p.is_old, model), cfg)


def fit_model(p: Prepared, cfg: DedupeConfig | None = None, model: Model | None = None,
              pairs: tuple[np.ndarray, np.ndarray] | None = None) -> Model:
    """The model a run uses: the saved one when given, else fitted on this batch (as `resolve` would).
    `pairs`: the batch's candidate pairs (`candidates`), when the caller has them already."""
    if model is not None:
        return model
    cfg = _legacy_config(cfg)
    left, right = pairs if pairs is not None else candidates(p.features, cfg, p.is_old)[:2]
    return fit(p.features, cfg, left, right)


MembershipReady = Callable[["Resolution", int], None]


def resolve_from_partitions(p: Prepared, cfg: DedupeConfig, model: Model, paths: list,
                            on_membership: MembershipReady | None = None,
                            keep: Sequence[str] | None = None) -> Resolution:
    """`resolve`, from pairs scored partition by partition (partition.score_partition) on other workers.

    Consumes `p.features`: once the pairs are clustered the matching features are dropped (`p.features` is
    None afterwards), so the golden records are built without them in memory (at 1M rows, ~0.7 GB).
    `on_membership(res, people)`: called once membership, evidence, primary rows and new people are decided,
    before survivorship builds the golden records (`res.golden_frame` still empty; `people`: how many there
    will be), so a caller can start storing membership while they are built.
    `keep`: the batch columns the caller still reads afterwards (e.g. the rows' lineage). When given, `p.batch`
    holds only those on return, and the batch's other columns are freed as soon as survivorship has read them:
    at 1M rows ~0.35 GB of field columns that were otherwise held while the golden records were built."""
    result = merge_partitions(p.features, cfg, model, p.is_old, paths)
    p.features = None
    release_freed_memory()  # the pairs and features just dropped: freed, but kept by the allocators until now
    return _build(_hand_batch(p, keep), p.existing, p.old_rows, result, cfg, on_membership)


def _hand_batch(p: Prepared, keep: Sequence[str] | None) -> pd.DataFrame:
    """p.batch for _build, narrowed in `p` to the `keep` columns (when given): passed as a call's value rather
    than through a variable, _build then holds the only reference to the whole batch and can let it go."""
    batch = p.batch
    if keep is not None:
        p.batch = batch[[c for c in keep if c in batch.columns]]
    return batch


def _build(batch: pd.DataFrame, existing: pd.DataFrame, old_rows: pd.DataFrame, result: MatchResult,
           cfg: DedupeConfig, on_membership: MembershipReady | None = None) -> Resolution:
    n_old = len(existing)
    labels = result.labels
    new_labels = labels[n_old:]
    fields = [f for f in GOLDEN_FIELDS if f in batch.columns or f in old_rows.columns]
    rows = batch.reindex(columns=list(dict.fromkeys([*fields, "raw_row_id", "source", "source_file",
                                                     "source_row", "submitted_at"])))
    rows["raw_row_id"] = rows["raw_row_id"].astype(np.int64)
    n_new = len(batch)
    del batch  # `rows` has the columns read below; the batch's others go now if the caller let go of them too
    # which fields each row fills: counted for completeness here, reused by survivorship (one pass, not two)
    present_new = filled(rows[fields]).to_numpy()
    comp = present_new.sum(axis=1)
    # primary row per cluster: the most complete, ties to the first row in lineage order
    prim = pd.DataFrame({"label": new_labels, "neg": -comp, "pos": np.arange(n_new)}) \
        .sort_values(["label", "neg", "pos"], kind="stable")
    prim = prim.drop_duplicates("label").set_index("label")["pos"]
    # person id: the existing golden record in the cluster, else derived from the primary row
    old_label_pid = pd.Series(existing["person_id"].to_numpy(), index=labels[:n_old]) if n_old else pd.Series()
    old_label_pid = old_label_pid[~old_label_pid.index.duplicated()]
    touched = prim.index.to_numpy()
    pid = pd.Series(index=touched, dtype=object)
    known = np.isin(touched, old_label_pid.index.to_numpy())
    pid[known] = old_label_pid.loc[touched[known]].to_numpy()
    p = prim.loc[touched[~known]].to_numpy()
    src, fil, srow = (rows["source"].to_numpy()[p], rows["source_file"].to_numpy()[p],
                      rows["source_row"].to_numpy()[p])
    pid[~known] = _person_ids(src, fil, srow)
    del src, fil, srow  # a str object per new person for source and file (~0.17 GB at 1M rows): not kept to the end

    res = Resolution(membership=pd.DataFrame(), stats={**result.stats, "model": result.model})
    rid = rows["raw_row_id"].to_numpy()
    person_ids = pid.loc[touched].to_numpy()
    res.primary = dict(zip(person_ids.tolist(), rid[prim.loc[touched].to_numpy()].tolist(), strict=True))
    res.new_people = set(pid[~known].tolist())
    # membership: why each row belongs where it does
    node = np.arange(n_old, n_old + n_new)
    partner = result.partner[node]
    linked = partner >= 0
    rule = np.full(n_new, "first seen", dtype=object)
    rule[linked] = _top_reasons(result, node[linked])
    res.membership = pd.DataFrame({"raw_row_id": rid, "person_id": pid.loc[new_labels].to_numpy(), "rule": rule,
                                   "match_score": np.where(linked, result.weight[node], np.nan).astype(float)})
    del rule  # membership holds the reasons as Arrow text: a str object per linked row, not kept to the end
    partner_ref = np.where(partner >= n_old, rid[np.clip(partner - n_old, 0, None)], -1)
    linked_idx = np.nonzero(linked)[0]
    old_pids = existing["person_id"].to_numpy() if n_old else np.zeros(0, object)
    res.evidence = LinkEvidence(result.evidence, rid[linked_idx], node[linked_idx], partner[linked_idx],
                                partner_ref[linked_idx], old_pids, n_old)
    res.review = _review_frame(result, rid, existing, n_old)
    if on_membership is not None:
        on_membership(res, len(touched))

    # survivorship over this batch's rows plus the golden records they joined
    joined = np.isin(labels[:n_old], touched) if n_old else np.zeros(0, bool)
    any_joined = bool(joined.any())
    cand_new = rows[fields].copy()
    if any_joined:  # else every value comes from its own row: survivorship reads raw_row_id (~0.2 GB at 1M rows)
        for f in fields:
            cand_new[f"prov_{f}"] = rows["raw_row_id"].to_numpy()
    cand_new = cand_new.assign(label=new_labels, is_old=False, completeness=comp,
                               raw_row_id=rows["raw_row_id"].to_numpy(), order=np.arange(n_new),
                               # as the str columns they are: through object arrays, a str object per row
                               # (1M of each) was made and dropped, and the column converted back to Arrow
                               recency=rows["submitted_at"].fillna("").astype(str), source=rows["source"])
    parts, present = [cand_new], [present_new]
    if any_joined:
        old = old_rows.loc[joined].reindex(columns=fields)
        provs = pd.DataFrame([dict(x or {}) for x in existing.loc[joined, "provenance"]], index=old.index)
        for f in fields:
            old[f"prov_{f}"] = provs[f] if f in provs.columns else np.nan
        present_old = filled(old[fields]).to_numpy()
        present.append(present_old)
        parts.append(old.assign(label=labels[:n_old][joined], is_old=True, completeness=present_old.sum(axis=1),
                                raw_row_id=-1, order=-1, recency="", source=""))
    cand = pd.concat(parts, ignore_index=True)
    values, prov = choose(cand, fields, cfg.survivorship, np.concatenate(present), index=touched)
    del cand, parts, present, cand_new, present_new  # survivorship is done: not kept through the writes
    # the consent evidence reads the rows' lineage only: the field columns (when the caller dropped the batch's,
    # see resolve_from_partitions' `keep`) are freed before the golden records' objects are built
    rows = rows[[c for c in CONSENT_ROW_COLUMNS if c in rows.columns]]
    release_freed_memory()  # the candidate rows' columns: back to the OS before the golden records' objects

    # The person ids as the object array they are (pandas would infer its Arrow-backed str dtype): the frames'
    # index then shares the id objects `pid` holds, where a str index builds a second copy of every id as
    # Python objects, plus a hash table, the first time it is looked up (consent evidence, the writes), and
    # keeps them as long as the frames live (~0.25 GB at 1M rows for the two frames).
    person_index = pd.Index(person_ids, name="person_id", dtype=object)
    res.golden_frame = _objects(values).set_axis(person_index)
    del values
    res.provenance_frame = prov.astype(float).set_axis(person_index)
    del prov
    evidence_from_consent_rows(res.golden_frame, res.provenance_frame, rows, _earlier_evidence(existing, old_rows))

    return res


def _objects(values: pd.DataFrame) -> pd.DataFrame:
    """`values` as Python objects with None for no value (`astype(object).where(notna, None)`), text columns
    through their distinct values: rows sharing a value share one str object (a country, a city, a first name
    appears in thousands of golden records; at 1M rows one str per cell was about a gigabyte). Empties
    `values` as it goes (its columns are dropped one by one once converted)."""
    out = {}
    for c in list(values.columns):
        col = values.pop(c)  # each source column freed once converted: never both whole frames at once
        if pd.api.types.is_string_dtype(col.dtype) and col.dtype != object:  # only str dtype: 1 == True in a hash
            codes, uniques = pd.factorize(col, sort=False)
            out[c] = np.append(np.asarray(uniques, dtype=object), None)[codes]  # code -1 (missing) -> None
        else:
            out[c] = col.astype(object).where(col.notna(), None).to_numpy()
    return pd.DataFrame(out, index=values.index, columns=list(out), dtype=object)


class LinkEvidence(Mapping):
    """raw_row_id -> the evidence of the link that merged the row (comparator levels, scores, bits, weight, and
    what it matched: an existing person or another row), for every row merged by a link.

    Built on demand: a million rows' evidence as dicts at once was gigabytes, and the stage only needs it a
    write chunk at a time (`many`). Equal to the dict it replaces, entry by entry.
    """

    def __init__(self, evidence, rids: np.ndarray, nodes: np.ndarray, partner: np.ndarray, partner_ref: np.ndarray,
                 old_pids: np.ndarray, n_old: int) -> None:
        self._ev, self._nodes, self._partner, self._ref = evidence, nodes, partner, partner_ref
        self._old_pids, self._n_old = old_pids, n_old
        self._rids = rids
        self._pos = pd.Index(rids)

    def many(self, raw_row_ids: Sequence[int] | np.ndarray) -> list[dict | None]:
        """The evidence of each row, None for rows that were not merged by a link; one bulk build."""
        pos = self._pos.get_indexer(np.asarray(raw_row_ids, dtype=np.int64))
        found = np.nonzero(pos >= 0)[0]
        p = pos[found]
        out: list[dict | None] = [None] * len(pos)
        built = self._ev.many(self._nodes[p]) if len(p) else []
        partner, ref = self._partner[p].tolist(), self._ref[p].tolist()
        for i, ev, part, r in zip(found.tolist(), built, partner, ref, strict=True):
            ev["matched_with"] = {"person_id": str(self._old_pids[part])} if part < self._n_old else {"raw_row_id": r}
            out[i] = ev
        return out

    def json_texts(self, raw_row_ids: Sequence[int] | np.ndarray) -> list[str | None]:
        """`many` as JSON texts, byte for byte what msgspec writes for each dict (None stays None), built a
        column at a time: every distinct number and level name is encoded once (by msgspec, so the number
        format is its own) and the texts are put together by Arrow. At 1M rows, building a dict per merged
        row and encoding it was the largest part of storing membership. Kept equal to `many` by
        tests/test_dedupe_store.py, which compares the stored texts with `many`'s dicts."""
        return self.json_text_array(raw_row_ids).to_pylist()

    def json_text_array(self, raw_row_ids: Sequence[int] | np.ndarray) -> pa.Array:
        """json_texts as an Arrow array (null: no evidence), as the stage sends it to its writer process."""
        pos = self._pos.get_indexer(np.asarray(raw_row_ids, dtype=np.int64))
        found = np.nonzero(pos >= 0)[0]
        if not len(found):
            return pa.nulls(len(pos), pa.large_string())
        p = pos[found]
        nodes = self._nodes[p]
        ev = self._ev
        e = ev.edge[nodes]
        ok = e >= 0
        ee = e[ok]
        decimals = EVIDENCE_DECIMALS
        score = np.round(ev.cmp.score[ee].astype(float), decimals["similarity"])
        bits = np.round(ev.s.bits[ee].astype(float), decimals["bits"])
        parts = [_const('{"weight":'), _numbers(np.round(ev.s.weight[ee].astype(float), decimals["weight"])),
                 _const(',"probability":'),
                 _numbers(np.round(ev.s.probability[ee].astype(float), decimals["probability"])),
                 _const(',"comparators":{')]
        swapped = ev.cmp.swapped[ee]
        for k, c in enumerate(COMPARATORS):
            levels = _JSON.encode_lines([MISSING_LEVEL, *c.levels]).decode().split("\n")[:-1]
            head = ("," if k else "") + _JSON.encode(c.name).decode() + ':{"level":'
            parts += [_const(head), _take(levels, ev.cmp.gamma[ee, k]), _const(',"similarity":'),
                      _numbers(score[:, k]), _const(',"bits":'), _numbers(bits[:, k])]
            if c.name == "first_name" and swapped.any():
                note_text = ',"note":' + _JSON.encode(SWAPPED_NOTE).decode() + "}"
                note = pa.array(np.where(swapped, note_text, "}").tolist(),
                                pa.large_string())
                parts.append(note)
            else:
                parts.append(_const("}"))
        partner, ref = self._partner[p][ok], self._ref[p][ok]
        old = partner < self._n_old
        with_person = np.empty(len(partner), dtype=object)
        if old.any():
            pids = _JSON.encode_lines([str(x) for x in self._old_pids[partner[old]]]).decode().split("\n")[:-1]
            with_person[old] = ['{"person_id":' + t + "}" for t in pids]
        with_person[~old] = ['{"raw_row_id":' + str(r) + "}" for r in ref[~old].tolist()]
        parts += [_const('},"matched_with":'), pa.array(with_person.tolist(), pa.large_string()), _const("}")]
        texts = pc.binary_join_element_wise(*parts, _const(""))
        where = np.full(len(pos), -1, dtype=np.int64)  # row -> its text, -1: none (a null)
        where[found[ok]] = np.arange(len(texts))
        return texts.take(pa.array(where, mask=where < 0))

    def __getitem__(self, raw_row_id: int) -> dict:
        ev = self.many([raw_row_id])[0]
        if ev is None:
            raise KeyError(raw_row_id)
        return ev

    def __iter__(self) -> Iterator[int]:
        return iter(self._rids.tolist())

    def __len__(self) -> int:
        return len(self._rids)


_JSON = msgspec.json.Encoder()


def _const(text: str) -> pa.Scalar:
    return pa.scalar(text, pa.large_string())


def _numbers(values: np.ndarray) -> pa.Array:
    """Floats as msgspec writes them (NaN as null), each distinct value encoded once."""
    uniq, inverse = np.unique(values, return_inverse=True)  # NaNs sort last (one entry per NaN; all null)
    texts = _JSON.encode_lines([None if np.isnan(u) else u for u in uniq.tolist()]).decode().split("\n")[:-1]
    return _take(texts, inverse)


def _take(texts: list[str], index: np.ndarray) -> pa.Array:
    return pa.array(texts, pa.large_string()).take(pa.array(np.asarray(index, dtype=np.int64)))


def _earlier_evidence(existing: pd.DataFrame, old_rows: pd.DataFrame) -> dict[str, tuple[object, float]]:
    """person id -> (consent_evidence, its provenance) of the golden records before this batch."""
    if existing.empty or "consent_evidence" not in old_rows.columns:
        return {}
    out = {}
    for pid, ev, prov in zip(existing["person_id"].tolist(), old_rows["consent_evidence"].tolist(),
                             existing["provenance"].tolist(), strict=True):
        if isinstance(ev, str) and ev:
            out[str(pid)] = (ev, float((prov or {}).get("consent_evidence", np.nan)))
    return out


def _top_reasons(result: MatchResult, nodes: np.ndarray) -> np.ndarray:
    """'fs: email+last_name': the two comparators that added the most weight to the row's link."""
    ev = result.evidence
    bits = ev.s.bits[ev.edge[nodes]]
    top = np.argsort(-bits, axis=1)[:, :2]
    names = np.array([c.name for c in COMPARATORS], dtype=object)
    return ("fs: " + names[top[:, 0]] + "+" + names[top[:, 1]]).astype(object)


def _review_frame(result: MatchResult, rid: np.ndarray, existing: pd.DataFrame, n_old: int) -> pd.DataFrame:
    r = result.review
    if r.empty:
        return pd.DataFrame(columns=["left", "right", "weight", "probability"])

    def ref(i: np.ndarray) -> np.ndarray:
        out = np.empty(len(i), dtype=object)
        old = i < n_old
        out[old] = ["person " + str(p) for p in existing["person_id"].to_numpy()[i[old]]]
        out[~old] = ["row " + str(x) for x in rid[i[~old] - n_old]]
        return out

    return pd.DataFrame({"left": ref(r["left"].to_numpy()), "right": ref(r["right"].to_numpy()),
                         "weight": r["weight"].to_numpy(), "probability": r["probability"].to_numpy()})


def _plain(value: object) -> object:
    """numpy scalars -> Python, so records serialise to JSON."""
    return value.item() if hasattr(value, "item") else value
