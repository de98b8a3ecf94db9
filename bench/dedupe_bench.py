"""Dedupe benchmark: leadpipe's matcher vs Splink 5 (DuckDB) on the same generated leads with ground truth.

Usage: python bench/dedupe_bench.py [--sizes 10000 100000 1000000] [--febrl febrl1 febrl2] [--no-email 100000]
       [--skip-splink] [--seed 11]

Data: leadpipe.demo.generator (two vendor lists + web forms: nicknames, typos, swapped names, missing fields,
shared company domains and switchboard phones, colleagues with one surname, namesakes), mapped with the
vendor presets and normalised once; both tools get the same normalised table. Each tool runs in its own
subprocess so wall time and peak RSS (ru_maxrss) are its own. Reported: pairwise precision/recall/F1,
cluster F1 (exact cluster match), blocking recall (ours), wall time, peak RSS. Splink is timed at match
probability 0.95 and then given its best threshold: its clusters at each threshold of a sweep over the same
predictions, the best pairwise F1 reported (`best_threshold`, `sweep` in the results JSON).

Outside truth and the no-email variant: bench/dedupe_quality.py (FEBRL1/FEBRL2 reduced to lead fields, Splink
configured as its documentation's FEBRL examples).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from dedupe_quality import (
    FEBRL_SETS,
    SPLINK_GENERATOR_PREDICT,
    SPLINK_GENERATOR_THRESHOLDS,
    pair_counts,
    prepare_febrl,
    prepare_no_email,
    splink_generator_settings,
    train_splink_generator,
)
from dedupe_quality import NO_EMAIL_SHARE as NO_EMAIL

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "results"
ROWS_PER_PERSON = 1.39  # demo_data: ~416k rows per 300k people
COLUMNS = ["first_name", "last_name", "email", "phone", "company", "company_key", "domain", "job_title", "city",
           "postcode", "state", "country"]


def prepare(rows: int, seed: int) -> Path:
    """Normalised leads + truth for about `rows` rows (cached)."""
    out = DATA / f"leads_{rows}_{seed}.parquet"
    if out.exists():
        return out
    sys.path.insert(0, str(ROOT))
    from connectors.sources.mapping import map_headers
    from enrichment.normalise import normalise_frame
    from leadpipe.demo.generator import generate

    raw_dir = DATA / f"raw_{rows}_{seed}"
    files = generate(raw_dir, people=max(10, int(rows / ROWS_PER_PERSON)), seed=seed)
    truth = pd.read_csv(files.ground_truth, dtype=str)
    frames = []
    for path, preset in ((files.apollo, "apollo"), (files.zoominfo, "zoominfo"), (files.web_forms, "web_form")):
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        # the pipeline's own header mapping (preset, optional address columns, aliases): ZoomInfo's "Zip Code"
        # is the person's postcode only through the aliases since the address fields came in
        fields = map_headers(list(raw.columns), preset).fields
        mapped = pd.DataFrame({f: raw[h] for f, h in fields.items()})
        mapped["file"], mapped["row"] = path.name, np.arange(1, len(raw) + 1).astype(str)
        frames.append(mapped)
    leads = pd.concat(frames, ignore_index=True)
    t = time.perf_counter()
    norm = normalise_frame(leads)
    print(f"  normalised {len(norm)} rows in {time.perf_counter() - t:.1f}s (not timed below)", flush=True)
    norm = norm.merge(truth, on=["file", "row"], how="left")
    norm = norm.reindex(columns=[*COLUMNS, "person"]).fillna("")
    norm.insert(0, "unique_id", np.arange(len(norm)))
    DATA.mkdir(parents=True, exist_ok=True)
    norm.to_parquet(out, index=False)
    return out


def run_ours(path: str) -> dict:
    sys.path.insert(0, str(ROOT))
    from enrichment.dedupe import DedupeConfig, features, match
    from enrichment.dedupe.blocking import candidate_pairs

    df = pd.read_parquet(path)
    t, c = time.perf_counter(), time.process_time()
    result = match(features.build(df), DedupeConfig())
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    # blocking recall: share of true duplicate pairs that any blocking pass proposed (not timed)
    f = features.build(df)
    left, right, _ = candidate_pairs(f, DedupeConfig().max_block_size)
    truth = df["person"].to_numpy()
    n = len(df)
    proposed = set((left * n + right).tolist())
    tl, tr = _true_pairs(truth)
    hit = np.isin(tl * n + tr, np.fromiter(proposed, np.int64)) if len(tl) else np.zeros(0, bool)
    return {"labels": result.labels.tolist(), "wall_s": wall, "cpu_s": cpu, "blocking_recall": float(hit.mean()) if len(hit) else 1.0,
            "candidate_pairs": len(left)}


def run_splink(path: str) -> dict:
    from splink import DuckDBAPI, Linker

    sys.path.insert(0, str(ROOT))
    from enrichment.dedupe.features import JUNK

    df = pd.read_parquet(path).drop(columns=["person"])
    # same placeholder clean-up our matcher does ("Test Test", test@test.com), so Splink is not judged on junk
    junk_name = df["first_name"].str.casefold().isin(JUNK) | df["last_name"].str.casefold().isin(JUNK)
    df.loc[junk_name, ["first_name", "last_name"]] = ""
    parts = df["email"].str.rpartition("@")
    df.loc[parts[0].isin(JUNK) | parts[2].str.split(".").str[0].isin(JUNK), "email"] = ""
    df = df.replace("", None)
    t, c = time.perf_counter(), time.process_time()
    db = DuckDBAPI()
    sdf = db.register(df)
    linker = Linker(sdf, splink_generator_settings(), log_level=None)
    train_splink_generator(linker)
    pred = linker.inference.predict(threshold_match_probability=SPLINK_GENERATOR_PREDICT)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pred, threshold_match_probability=0.95)
    cdf = clusters.as_pandas_dataframe()[["unique_id", "cluster_id"]]
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    # the peer's best threshold (not timed): clusters at each threshold from the same predictions
    from dedupe_quality import sweep

    p = pred.as_pandas_dataframe()[["unique_id_l", "unique_id_r", "match_probability"]]
    truth = pd.factorize(pd.read_parquet(path, columns=["person"])["person"])[0]
    best, labels, table = sweep(len(df), p["unique_id_l"].to_numpy(), p["unique_id_r"].to_numpy(),
                                p["match_probability"].to_numpy(), truth,
                                thresholds=SPLINK_GENERATOR_THRESHOLDS)
    assert len(cdf) == len(df)
    return {"labels": labels.tolist(), "wall_s": wall, "cpu_s": cpu, "best_threshold": best, "sweep": table}


def _true_pairs(groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    codes = pd.factorize(pd.Series(groups))[0]
    order = np.argsort(codes, kind="stable")
    c = codes[order]
    starts = np.flatnonzero(np.r_[True, c[1:] != c[:-1]])
    sizes = np.diff(np.r_[starts, len(order)])
    ls, rs = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for s in np.unique(sizes[sizes >= 2]):
        rows = order[starts[sizes == s][:, None] + np.arange(s)]
        iu, ju = np.triu_indices(s, 1)
        a, b = rows[:, iu].ravel(), rows[:, ju].ravel()
        ls.append(np.minimum(a, b))
        rs.append(np.maximum(a, b))
    return np.concatenate(ls), np.concatenate(rs)


def quality(pred: np.ndarray, truth: np.ndarray) -> dict:
    n = len(truth)
    tp, n_pred, n_true = pair_counts(pred, truth)  # from the contingency table: no pair lists
    precision = tp / n_pred if n_pred else 1.0
    recall = tp / n_true if n_true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    # cluster F1: a predicted cluster counts when it equals a true cluster exactly
    key = lambda labels: set(pd.Series(np.arange(n)).groupby(labels).apply(lambda s: tuple(s)).tolist())
    pc, tc = key(pred), key(truth)
    exact = len(pc & tc)
    cp, cr = exact / len(pc), exact / len(tc)
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "cluster_f1": round(2 * cp * cr / (cp + cr) if cp + cr else 0.0, 4)}


def run_incremental(path: str, new_rows: int = 10_000) -> dict:
    """10k new rows into the history of everything else: the increment's cost against a full run.

    Both timed runs are the same function the dedupe stage calls, `resolve` (pairs, clusters, golden records,
    provenance, survivorship, merge evidence), so the ratio compares like with like:
    - full run: `resolve(all rows, no existing people)`, fitting its model as a first run does;
    - increment: looking the batch's keys up in per-key indexes of the history's people (incremental.KEYS,
      standing in for the warehouse's indexed people columns) and `resolve(batch, people found)` with the
      history's saved model (no EM re-fit).
    The history (all rows but `new_rows` random ones) is matched first, untimed, into one record per person
    (about 730k people for the 1M-row data set: history_people reports it), and indexed untimed too.
    """
    sys.path.insert(0, str(ROOT))
    from enrichment.dedupe import DedupeConfig, features, match, resolve
    from leadpipe.pipeline.dedupe_candidates import COLUMNS, KEYS, _key_values

    cfg = DedupeConfig()
    df = pd.read_parquet(path)
    df["raw_row_id"] = np.arange(1, len(df) + 1)
    df["source"], df["source_file"], df["source_row"] = "bench", "leads", df["raw_row_id"]
    order = np.random.default_rng(5).permutation(len(df))
    hist, new = df.iloc[np.sort(order[new_rows:])], df.iloc[np.sort(order[:new_rows])]
    t = time.perf_counter()
    c = time.process_time()
    full = resolve(df, pd.DataFrame(columns=COLUMNS), cfg)
    full_s, full_cpu = time.perf_counter() - t, time.process_time() - c
    full_people = len(full.golden_frame)
    del full
    h = match(features.build(hist), cfg)
    golden = hist.assign(label=h.labels).drop_duplicates("label")  # one row per person stands in for its record
    golden = golden.assign(person_id=golden["label"].astype(str)).reset_index(drop=True)
    fields = ["first_name", "last_name", "email", "phone", "company", "company_key", "domain", "job_title", "city",
              "postcode", "country"]
    golden["record"] = golden[fields].to_dict("records")
    golden["provenance"] = [{}] * len(golden)
    index = {}  # the warehouse's indexes: key value -> people positions
    for people_cols, _ in KEYS:
        if people_cols not in index:
            keys = golden[list(people_cols)].fillna("").astype(str)
            keys = keys[(keys != "").all(axis=1)]
            groups = keys.groupby(list(people_cols) if len(people_cols) > 1 else people_cols[0]).indices
            rows = keys.index.to_numpy()  # .indices are positions in the filtered frame, not in `golden`
            index[people_cols] = {k: rows[v] for k, v in groups.items()}
    t = time.perf_counter()
    c = time.process_time()
    hit: set[int] = set()
    for people_cols, batch_cols in KEYS:
        idx = index[people_cols]
        for key in _key_values(new, batch_cols):
            pos = idx.get(key if len(key) > 1 else key[0])
            if pos is not None:
                hit.update(pos.tolist())
    cand = golden.iloc[sorted(hit)]
    res = resolve(new, cand[COLUMNS], cfg, h.model)
    inc_s, inc_cpu = time.perf_counter() - t, time.process_time() - c
    labels = pd.Series(h.labels.astype(str), index=hist["raw_row_id"].to_numpy())
    got = res.membership.set_index("raw_row_id")["person_id"]
    combined = pd.concat([labels, got]).sort_index()
    return {"labels": pd.factorize(combined)[0].tolist(), "full_s": full_s, "full_cpu_s": full_cpu,
            "increment_s": inc_s, "increment_cpu_s": inc_cpu, "candidates_loaded": len(cand),
            "history_rows": len(hist), "history_people": len(golden), "full_run_people": full_people,
            "new_rows": new_rows, "full_run": "resolve(all rows, no people)",
            "increment": "key lookup + resolve(new rows, people found, saved model)"}


def _peak_rss_mb() -> float:
    """This process's peak RSS. Linux's ru_maxrss survives exec, so a child started by a parent that had
    just generated 1M rows reported the parent's 2 GB; VmHWM belongs to the child's own memory."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(tool: str, path: str, out: str) -> None:
    from dedupe_quality import run_splink_febrl

    runners = {"leadpipe": run_ours, "splink": run_splink, "incremental": run_incremental,
               "splink_febrl": lambda p: run_splink_febrl(p, all_fields=False),
               "splink_febrl_all_fields": lambda p: run_splink_febrl(p, all_fields=True)}
    res = runners[tool](path)
    res["peak_rss_mb"] = _peak_rss_mb()
    Path(out).write_text(json.dumps(res))


def measure(tool: str, path: Path, truth: np.ndarray) -> dict:
    out = RESULTS / f".{tool}_{os.getpid()}.json"
    t = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--child", tool, str(path), str(out)], check=True)
    res = json.loads(out.read_text())
    out.unlink()
    labels = np.array(res.pop("labels"))
    if tool == "incremental":
        return {"tool": tool, **quality(labels, truth), **{k: round(v, 2) if isinstance(v, float) else v
                                                          for k, v in res.items()},
                "increment_share": round(res["increment_s"] / res["full_s"], 4),
                "increment_cpu_share": round(res["increment_cpu_s"] / res["full_cpu_s"], 4)}
    return {"tool": tool, **quality(labels, truth), "wall_s": round(res.pop("wall_s"), 2),
            "cpu_s": round(res.pop("cpu_s"), 2),
            "process_s": round(time.perf_counter() - t, 2), "peak_rss_mb": round(res.pop("peak_rss_mb")), **res}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", nargs="*", type=int, default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--skip-splink", action="store_true")
    ap.add_argument("--child", nargs=3)
    ap.add_argument("--incremental", type=int, default=0,
                    help="also time adding 10k rows to the resolved rest of a dataset of this many rows, "
                         "against a full resolve of all of it")
    ap.add_argument("--febrl", nargs="*", default=[], choices=FEBRL_SETS,
                    help="also FEBRL1/FEBRL2 reduced to lead fields (bench/dedupe_quality.py)")
    ap.add_argument("--no-email", nargs="*", type=int, default=[],
                    help="also the generator at these sizes with email, phone and company blanked in half the rows")
    a = ap.parse_args()
    if a.child:
        _child(*a.child)
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    rows = []
    peers = () if a.skip_splink else ("splink",)
    febrl_peers = () if a.skip_splink else ("splink_febrl", "splink_febrl_all_fields")
    datasets = [*((f"generator {size}", prepare(size, a.seed), peers) for size in a.sizes),
                *((f"{name} (lead fields)", prepare_febrl(name), febrl_peers) for name in a.febrl),
                *((f"generator {size} no-email {round(100 * NO_EMAIL)}%", prepare_no_email(prepare(size, a.seed)), peers)
                  for size in a.no_email)]
    for dataset, path, tools in datasets:
        truth = pd.factorize(pd.read_parquet(path, columns=["person"])["person"])[0]
        print(f"== {dataset}: {len(truth)} rows ({truth.max() + 1} true people)", flush=True)
        for tool in ("leadpipe", *tools):
            r = {"dataset": dataset, "rows": len(truth), **measure(tool, path, truth)}
            rows.append(r)
            print("  " + json.dumps(r), flush=True)
    if a.incremental:
        path = prepare(a.incremental, a.seed)
        truth = pd.factorize(pd.read_parquet(path, columns=["person"])["person"])[0]
        r = {"rows": len(truth), **measure("incremental", path, truth)}
        rows.append(r)
        print("  " + json.dumps(r), flush=True)
        print(f"  incremental: full run resolve({r['rows']} rows, no people) {r['full_cpu_s']} s CPU / "
              f"{r['full_s']} s wall -> {r['full_run_people']} people; increment {r['new_rows']} new rows "
              f"against a history of {r['history_rows']} rows = {r['history_people']} people "
              f"({r['candidates_loaded']} loaded as candidates): {r['increment_cpu_s']} s CPU / "
              f"{r['increment_s']} s wall = {r['increment_cpu_share']:.1%} of the full run's CPU "
              f"({r['increment_share']:.1%} wall)", flush=True)
    table = pd.DataFrame(rows).drop(columns=["sweep"], errors="ignore")  # the sweeps stay in the JSON
    print(table.to_string(index=False))
    stamp = time.strftime("%Y%m%dT%H%M%S")
    (RESULTS / f"dedupe_{stamp}.json").write_text(json.dumps(rows, indent=1))
    (RESULTS / "dedupe_latest.md").write_text(table.to_markdown(index=False) if _has_tabulate() else table.to_string())


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
        return True
    except ImportError:
        return False


if __name__ == "__main__":
    main()
