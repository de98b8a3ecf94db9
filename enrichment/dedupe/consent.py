"""Consent evidence from the row that carries the consent, never from the person's latest row.

Survivorship picks `email_consent` per field, so a person's consent can come from a web form while their
newest row (their `lead_source`) is a purchased list. The evidence pushed to the CRM must name the form
submission the consent was given in: its source, file, row and time. So after survivorship, for each person
who consented, `consent_evidence` is set from the row `email_consent` came from (the row's own evidence
column when the form supplied one, else "form <source> (<file> row <n>) at <submitted_at>") and its
provenance points to that row. When the consent came from a golden record of an earlier run (the consent
row is not in this batch), the evidence stored with it is kept as it was: a re-ingested list without consent
data changes neither the consent nor its evidence.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CONSENT_ROW_COLUMNS = ("raw_row_id", "source", "source_file", "source_row", "submitted_at", "consent_evidence")
"""The columns of the batch's rows that evidence_from_consent_rows reads."""


def _consented(value: object) -> bool:
    """As enrichment.suppress reads `email_consent`: True, or a yes-like text."""
    return value is True or (isinstance(value, np.bool_) and bool(value)) or \
        str(value).strip().lower() in {"true", "yes", "1", "y"}


def evidence_text(source: object, source_file: object, source_row: object, submitted_at: object) -> str:
    """How a consent row is named for audits: source, file and row in it, and when it was submitted."""
    when = submitted_at if submitted_at not in (None, "") and not pd.isna(submitted_at) else "unknown time"
    return f"form {source} ({source_file} row {int(source_row)}) at {when}"


def evidence_from_consent_rows(golden: pd.DataFrame, provenance: pd.DataFrame, rows: pd.DataFrame,
                               earlier: dict[str, tuple[object, float]]) -> None:
    """Set `consent_evidence` (value and provenance) of every consenting person from their consent row, in place.

    `golden` and `provenance` are indexed by person id; `rows` is the batch's lineage (CONSENT_ROW_COLUMNS:
    raw_row_id, source, source_file, source_row, submitted_at, and consent_evidence when mapped); `earlier`
    maps a known person id to the (evidence, evidence provenance) of their golden record before this batch.
    """
    if "email_consent" not in golden.columns or "email_consent" not in provenance.columns or golden.empty:
        return
    if "consent_evidence" not in golden.columns:
        golden["consent_evidence"] = None
    if "consent_evidence" not in provenance.columns:
        provenance["consent_evidence"] = np.nan
    consented = golden["email_consent"].map(_consented).to_numpy(dtype=bool)
    consent_row = provenance["email_consent"].to_numpy(dtype=float)
    lineage = rows.drop_duplicates("raw_row_id").set_index("raw_row_id")
    in_batch = consented & ~np.isnan(consent_row) & np.isin(consent_row, lineage.index.to_numpy(dtype=float))
    pids = golden.index.to_numpy()
    if in_batch.any():
        ids = consent_row[in_batch].astype(np.int64)
        src = lineage.reindex(ids)
        given = src["consent_evidence"].tolist() if "consent_evidence" in src.columns else [None] * len(ids)
        texts = [g if isinstance(g, str) and g.strip() else evidence_text(s, f, r, t)
                 for g, s, f, r, t in zip(given, src["source"].tolist(), src["source_file"].tolist(),
                                          src["source_row"].tolist(), src["submitted_at"].tolist(), strict=True)]
        # by position (`in_batch` is a mask over the rows): a label lookup of every consenting person in a
        # str index built a hash table of all the people's ids (seconds at 1M rows)
        evidence = golden["consent_evidence"].to_numpy(dtype=object, copy=True)
        evidence[np.flatnonzero(in_batch)] = np.array(texts, dtype=object)
        golden["consent_evidence"] = evidence
        rows_of = provenance["consent_evidence"].to_numpy(dtype=float, copy=True)
        rows_of[in_batch] = ids.astype(float)
        provenance["consent_evidence"] = rows_of
    kept = consented & ~in_batch
    for pid in pids[kept].tolist():
        if pid in earlier:  # consent from an earlier run's row: its evidence stays as it was stored
            golden.at[pid, "consent_evidence"], provenance.at[pid, "consent_evidence"] = earlier[pid]
