"""Golden records: one value per field per person, chosen by a per-field strategy, with provenance.

Strategies (config `dedupe.survivorship`): fill_blanks keeps what the golden record has and only fills gaps
(the v1 behaviour); most_recent takes the newest non-blank value; most_complete takes it from the fullest
row; source_priority from the most trusted source. Every chosen value remembers the raw row it came from.
A value already in a golden record counts as older than this run's rows and, for source_priority, as coming
from a source ranked just after the listed ones.

The postal address (leadpipe.core.schema.ADDRESS_FIELDS: street, line 2, house number, city, state, postcode)
survives as a unit: one row per person gives all of it, blanks included, so a golden record never holds the
street of one row and the postcode of another. That row is chosen by the strategy configured for `address`
(else for `street`, else the default) among the rows with the fullest kind of address: a row with a street
beats one with only a city or postcode, whatever the strategy; rows with no address field take no part.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from enrichment.dedupe.settings import SurvivorshipConfig
from leadpipe.core.schema import ADDRESS_FIELDS


def filled(frame: pd.DataFrame) -> pd.DataFrame:
    """True where a value is present (not None/NaN/blank)."""
    out = frame.notna()
    for c in frame.columns:
        if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c]):
            out[c] &= _not_blank(frame[c])
    return out


# Every character str.strip() removes (str.isspace), as ranges of code points; tests/test_dedupe_merge_speedups.py
# checks them against all of Unicode. A text of only these, or empty, is blank.
_SPACES = ((0x9, 0xD), (0x1C, 0x20), (0x85, 0x85), (0xA0, 0xA0), (0x1680, 0x1680), (0x2000, 0x200A),
           (0x2028, 0x2029), (0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000))
SPACE_CLASS = "".join(rf"\x{{{lo:x}}}" + (rf"-\x{{{hi:x}}}" if hi > lo else "") for lo, hi in _SPACES)  # RE2
_BLANK = f"^[{SPACE_CLASS}]*$"
_BLANK_STARTS = pa.array(["", *(chr(c) for lo, hi in _SPACES for c in range(lo, hi + 1))])  # what a blank starts with


def _not_blank(col: pd.Series) -> np.ndarray:
    """`col.astype(str).str.strip() != ""`, decided once per distinct value (a hash pass) and broadcast:
    the per-row string conversion cost more than the rest of survivorship. Missing values come out True
    (`str(None)` is "None"); the caller's notna() mask rules them out. Arrow-backed text is matched by Arrow
    against the same whitespace str.strip() removes, without hashing the column (1M rows x 25 fields)."""
    if isinstance(col.array, pd.arrays.ArrowStringArray):
        text = pa.array(col.array)
        # only an empty text or one starting with whitespace can be blank: the pattern runs on those alone
        maybe = pc.fill_null(pc.is_in(pc.utf8_slice_codeunits(text, 0, 1), value_set=_BLANK_STARTS), False)
        at = np.flatnonzero(maybe.to_numpy(zero_copy_only=False))
        blank = np.zeros(len(text), dtype=bool)
        if len(at):
            blank[at] = pc.match_substring_regex(text.take(pa.array(at)), _BLANK).to_numpy(zero_copy_only=False)
        return ~blank
    codes, uniques = pd.factorize(col, sort=False)
    uniques = np.asarray(uniques, dtype=object)  # Arrow-backed strings iterate 10x slower than an object array
    keep = np.fromiter((str(u).strip() != "" for u in uniques), bool, len(uniques))
    return np.where(codes >= 0, np.r_[keep, True][codes], True)


def choose(cand: pd.DataFrame, fields: list[str], cfg: SurvivorshipConfig,
           present: np.ndarray | None = None, index: np.ndarray | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per label, the surviving value and its provenance row for every field.

    `cand` has label, is_old, completeness, raw_row_id, order (lineage order; ties), recency, source, the fields, and prov_<field> (the raw
    row a value came from; without it, raw_row_id). `present`: `filled(cand[fields])` as a bool array, when the caller has it already.
    Returns (values, provenance), both indexed by label: the labels that have any value, sorted, or `index`
    when given (the same as `.reindex(index)` of that, without first aligning every field to their union:
    at 1M rows the union frame was ~0.7 GB and seconds of index work).
    """
    priority = {s: i for i, s in enumerate(cfg.source_priority)}
    cand = cand.assign(
        src_rank=cand["source"].map(priority).fillna(len(priority) + 1).where(~cand["is_old"], len(priority)),
        neg_complete=-cand["completeness"],
        old_first=~cand["is_old"],
        old_last=cand["is_old"],
        neg_recency=cand["recency"],
    )
    keys = {
        "fill_blanks": (["label", "old_first", "neg_complete", "order"], [True, True, True, True]),
        "most_complete": (["label", "neg_complete", "old_last", "order"], [True, True, True, True]),
        "most_recent": (["label", "old_last", "recency", "order"], [True, True, False, False]),
        "source_priority": (["label", "src_rank", "neg_complete", "order"], [True, True, True, True]),
    }
    present = filled(cand[fields]).to_numpy() if present is None else present
    values, prov = {}, {}
    by_strategy: dict[str, list[str]] = {}
    unit = [f for f in fields if f in ADDRESS_FIELDS]
    for f in fields:
        if f not in unit:
            by_strategy.setdefault(cfg.fields.get(f, cfg.default), []).append(f)
    cand = cand.reset_index(drop=True)  # positions below are row numbers
    label = cand["label"].to_numpy()
    target = None if index is None else pd.Index(index, name="label")

    def aligned(col: pd.Series) -> pd.Series:  # at once: never all fields both unaligned and aligned in memory
        return col if target is None else col.reindex(target)

    fast_align = target is not None and target.is_unique and target.is_monotonic_increasing

    if unit:
        _address_unit(cand, fields, unit, present, keys, cfg, values, prov)
        for f in unit:
            values[f], prov[f] = aligned(values[f]), aligned(prov[f])
    for strategy, group in by_strategy.items():
        cols, asc = keys[strategy]
        order = _order(cand, cols, asc)
        for f in group:
            # first row per label, in strategy order, among the rows that have the field
            idx = order[present[:, fields.index(f)][order]]
            rows = idx[_first_of_each(label[idx])]  # kept in strategy order, as drop_duplicates would keep them
            if fast_align:  # straight to the target's rows: no per-field hash reindex
                take = _target_rows(target, label[rows], rows)
                values[f], prov[f] = _taken(cand[f], take, target), _taken(_provenance(cand, f), take, target)
                continue
            lab = pd.Index(label[rows], name="label")
            values[f] = aligned(cand[f].take(rows).set_axis(lab))
            prov[f] = aligned(_provenance(cand, f).take(rows).set_axis(lab))
    order = [f for f in fields if f in values]
    if target is not None:
        return _aligned(values, order, target), _aligned(prov, order, target)
    return pd.DataFrame(values)[order] if values else pd.DataFrame(values), \
        pd.DataFrame(prov)[order] if prov else pd.DataFrame(prov)


def _first_of_each(labels: np.ndarray) -> np.ndarray:
    """Positions of the first row of each label in `labels`, which every strategy's order sorts by label first:
    where the label changes, one pass (np.unique's return_index sorted the million labels again per field)."""
    if not len(labels):
        return np.zeros(0, dtype=np.intp)
    return np.flatnonzero(np.r_[True, labels[1:] != labels[:-1]])


def _target_rows(target: pd.Index, labels: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """For each label of `target` (sorted, unique), the candidate row chosen for it, -1 where none was: the
    indexer `Series(rows, index=labels).reindex(target)` would use, found by binary search on the sorted
    labels instead of a hash table built per field (25 fields x 1M rows: seconds)."""
    keys = target.to_numpy()
    at = np.searchsorted(keys, labels)
    found = at < len(keys)
    found[found] = keys[at[found]] == labels[found]  # a label not in target: dropped, as reindex drops it
    take = np.full(len(keys), -1, dtype=np.intp)
    take[at[found]] = rows[found]
    return take


def _taken(col: pd.Series, take: np.ndarray, target: pd.Index) -> pd.Series:
    """`col` at the positions `take` (-1: missing), indexed by `target`: what reindexing does, the same dtype
    (widened only where a value is missing: int -> float, bool -> object) and the same missing values."""
    arr = col.to_numpy() if isinstance(col.dtype, np.dtype) else col.array
    return pd.Series(pd.api.extensions.take(arr, take, allow_fill=True), index=target, name=col.name)


def _aligned(columns: dict[str, pd.Series], order: list[str], index: pd.Index) -> pd.DataFrame:
    """`pd.DataFrame(columns)[order].reindex(index)`, from columns each already reindexed to `index` on its own.
    The same values and dtypes: a column missing labels of the union got NaN there (its dtype widened) before,
    and gets NaN at the same labels now, as `index` holds every label of the union.

    Put in one column at a time, each keeping its own array: built at once, pandas copied the columns of a
    dtype into one 2-D block while the columns themselves were still held (at 1M rows the provenance's float
    columns, ~0.14 GB, twice over at the end of survivorship: the stage's peak)."""
    if not order:
        return pd.DataFrame({}, index=index, columns=order)
    out = pd.DataFrame(index=index)
    for f in order:
        out[f] = columns.pop(f)
    return out


def _provenance(cand: pd.DataFrame, f: str) -> pd.Series:
    """The raw row each candidate's value of `f` came from: its prov_<f> column, or when the candidates have
    none (all rows of this batch, each value from its own row) their raw_row_id."""
    return cand[f"prov_{f}"] if f"prov_{f}" in cand.columns else cand["raw_row_id"]


def _order(cand: pd.DataFrame, cols: list[str], asc: list[bool]) -> np.ndarray:
    """Row positions of `cand` sorted (stably) by `cols`: only those columns are sorted, not the whole frame
    (at 1M candidate rows, a sorted copy of every field and provenance column was gigabytes)."""
    return cand[list(dict.fromkeys(cols))].sort_values(cols, ascending=asc, kind="stable").index.to_numpy()


def _address_unit(cand: pd.DataFrame, fields: list[str], unit: list[str], present: np.ndarray,
                  keys: dict[str, tuple[list[str], list[bool]]], cfg: SurvivorshipConfig,
                  values: dict[str, pd.Series], prov: dict[str, pd.Series]) -> None:
    """The address fields of one row per label, whole (see the module docstring)."""
    cols = [fields.index(f) for f in unit]
    has_any = present[:, cols].any(axis=1)
    has_street = present[:, fields.index("street")] if "street" in unit else np.zeros(len(cand), bool)
    strategy = cfg.fields.get("address", cfg.fields.get("street", cfg.default))
    sort_cols, asc = keys[strategy]
    ranked = cand[list(dict.fromkeys(sort_cols))].assign(no_street=~has_street)
    order = _order(ranked, [sort_cols[0], "no_street", *sort_cols[1:]], [asc[0], True, *asc[1:]])
    idx = order[has_any[order]]
    label = cand["label"].to_numpy()
    rows = idx[_first_of_each(label[idx])]
    lab = pd.Index(label[rows], name="label")
    for f in unit:
        filled_here = present[rows, fields.index(f)]
        values[f] = cand[f].take(rows).where(filled_here).set_axis(lab)  # the row's blank stays blank
        prov[f] = _provenance(cand, f).take(rows).where(filled_here).set_axis(lab)


def completeness(frame: pd.DataFrame, fields: list[str]) -> np.ndarray:
    cols = [f for f in fields if f in frame.columns]
    return filled(frame[cols]).sum(axis=1).to_numpy() if cols else np.zeros(len(frame), int)
