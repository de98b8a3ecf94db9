"""SQL source benchmark: stream a 1M-row table from PostgreSQL and MariaDB in bounded memory.

    .venv/bin/python bench/sql_source_bench.py --rows 1000000            # make bench-sql

For each server it builds a table of --rows synthetic leads, then measures in fresh child processes
(peak RSS from getrusage, minus the RSS after imports): the leadpipe SqlSource reading every row through a
server-side cursor in chunks, the same at --rows/10 (the bound must not grow with the table), and the
baseline a naive loader uses, pandas.read_sql of the whole table. With --ingest-rows N it also runs the
whole `ingest_source` stage (store in a PostgreSQL warehouse + export Parquet) on the first N rows.
Writes bench/results/sql_source_<stamp>.json and sql_source_latest.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
RESULTS = REPO / "bench" / "results"
SERVERS = {"postgresql": "postgresql+psycopg2://postgres@127.0.0.1:5432/",
           "mariadb": "mysql+pymysql://root@127.0.0.1:3306/"}
BOUND_MIB = 150  # stated bound for streaming any table size, chunk 10k


def _rss_mib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def create_table(kind: str, rows: int) -> str:
    from sqlalchemy import create_engine, text

    name = f"leadpipe_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(SERVERS[kind] + ("postgres" if kind == "postgresql" else ""), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    url = SERVERS[kind] + name + ("" if kind == "postgresql" else "?charset=utf8mb4")
    eng = create_engine(url)
    with eng.begin() as conn:
        conn.execute(text("CREATE TABLE contacts (id BIGINT PRIMARY KEY, email VARCHAR(200), first_name VARCHAR(80),"
                          " last_name VARCHAR(80), company VARCHAR(200), job_title VARCHAR(200), phone VARCHAR(40),"
                          " country VARCHAR(2), updated_at TIMESTAMP NULL)"))
        if kind == "postgresql":
            conn.execute(text(
                "INSERT INTO contacts SELECT g, 'person' || g || '@company' || (g % 50000) || '.example',"
                " 'First' || g, 'Last' || g, 'Company ' || (g % 50000) || ' GmbH', 'Head of Sales Operations',"
                " '+49 30 ' || (1000000 + g), 'DE', TIMESTAMP '2026-01-01' + g * INTERVAL '1 second'"
                " FROM generate_series(1, :n) g"), {"n": rows})
        else:
            conn.execute(text(
                f"INSERT INTO contacts SELECT seq, CONCAT('person', seq, '@company', seq % 50000, '.example'),"
                f" CONCAT('First', seq), CONCAT('Last', seq), CONCAT('Company ', seq % 50000, ' GmbH'),"
                f" 'Head of Sales Operations', CONCAT('+49 30 ', 1000000 + seq), 'DE',"
                f" TIMESTAMP '2026-01-01 00:00:00' + INTERVAL seq SECOND FROM seq_1_to_{rows}"))
    eng.dispose()
    return url


def drop(kind: str, url: str) -> None:
    from sqlalchemy import create_engine, text

    name = url.rsplit("/", 1)[1].split("?")[0]
    admin = create_engine(SERVERS[kind] + ("postgres" if kind == "postgresql" else ""), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}" + (" WITH (FORCE)" if kind == "postgresql" else "")))
    admin.dispose()


def child(mode: str, url: str, limit: int, chunk: int) -> dict:
    """Runs in its own process so peak RSS belongs to this measurement only."""
    import pandas as pd
    import sqlalchemy  # noqa: F401

    from connectors.sources.base import SourceState
    from connectors.sources.sql_source import SqlSource

    base = _rss_mib()
    started = time.perf_counter()
    n = 0
    if mode == "stream":
        query = f"SELECT * FROM contacts WHERE id <= {limit}"
        src = SqlSource("bench", url, query=query, watermark="updated_at", chunk_size=chunk)
        [unit] = src.discover(SourceState())
        for _ in src.read(unit):
            n += 1
    elif mode == "pandas":
        import pandas as pd
        from sqlalchemy import create_engine

        df = pd.read_sql(f"SELECT * FROM contacts WHERE id <= {limit}", create_engine(url))
        records = df.astype(str).to_dict("records")  # what a naive source hands on
        n = len(records)
    elif mode == "ingest":
        n = _ingest(url, limit, chunk)
    return {"mode": mode, "rows": n, "seconds": round(time.perf_counter() - started, 2),
            "rss_after_imports_mib": round(base, 1), "peak_rss_mib": round(_peak_mib(), 1),
            "peak_growth_mib": round(_peak_mib() - base, 1)}


def _ingest(url: str, limit: int, chunk: int) -> int:
    import tempfile

    import yaml
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from leadpipe.pipeline import stages
    from leadpipe.pipeline.settings import load_config

    home = Path(tempfile.mkdtemp(prefix="leadpipe-sqlbench-"))
    wh = f"leadpipe_bench_wh_{uuid.uuid4().hex[:8]}"
    admin = create_engine(SERVERS["postgresql"] + "postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {wh}"))
    try:
        os.environ["LEADPIPE_HOME"] = str(home)
        os.environ["LEADPIPE_WAREHOUSE_URL"] = SERVERS["postgresql"] + wh
        u = make_url(url)
        os.environ["AIRFLOW_CONN_BENCH_DB"] = json.dumps({"conn_type": "postgres" if "postgres" in u.drivername
                                                          else "mysql", "host": u.host, "port": u.port,
                                                          "login": u.username, "schema": u.database})
        (home / "leadpipe.yaml").write_text(yaml.safe_dump({"sources": [{
            "name": "bench", "type": "sql", "connection": "bench_db", "chunk_size": chunk, "watermark": "updated_at",
            "query": f"SELECT * FROM contacts WHERE id <= {limit}"}]}))
        cfg = load_config(home / "leadpipe.yaml")
        stages.start(stages.RunContext(cfg, "bench"))
        import pyarrow.parquet as pq

        return pq.ParquetFile(stages.ingest_source(stages.RunContext(cfg, "bench"), "bench")).metadata.num_rows
    finally:
        from leadpipe.store.warehouse import engine_for

        engine_for(SERVERS["postgresql"] + wh).dispose()
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {wh} WITH (FORCE)"))


def run_child(mode: str, url: str, limit: int, chunk: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", mode, "--url", url, "--rows", str(limit),
                          "--chunk-size", str(chunk)], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--chunk-size", type=int, default=10_000)
    p.add_argument("--servers", default="postgresql,mariadb")
    p.add_argument("--ingest-rows", type=int, default=0, help="also run ingest_source on this many rows")
    p.add_argument("--child")
    p.add_argument("--url")
    args = p.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.url, args.rows, args.chunk_size)))
        return

    results: dict = {"rows": args.rows, "chunk_size": args.chunk_size, "bound_mib": BOUND_MIB,
                     "started": datetime.now(UTC).isoformat(), "servers": {}}
    for kind in args.servers.split(","):
        t = time.perf_counter()
        url = create_table(kind, args.rows)
        load_s = round(time.perf_counter() - t, 1)
        try:
            r = {"table_load_seconds": load_s,
                 "stream": run_child("stream", url, args.rows, args.chunk_size),
                 "stream_tenth": run_child("stream", url, args.rows // 10, args.chunk_size),
                 "pandas_read_sql": run_child("pandas", url, args.rows, args.chunk_size)}
            if args.ingest_rows and kind == "postgresql":
                r["ingest_source"] = run_child("ingest", url, args.ingest_rows, args.chunk_size)
        finally:
            drop(kind, url)
        s, b = r["stream"], r["pandas_read_sql"]
        r["memory_ratio_stream_vs_pandas"] = round(s["peak_growth_mib"] / max(b["peak_growth_mib"], 0.1), 3)
        r["within_bound"] = s["peak_growth_mib"] <= BOUND_MIB
        results["servers"][kind] = r
        print(f"{kind}: stream {s['rows']} rows in {s['seconds']} s, peak +{s['peak_growth_mib']} MiB "
              f"(1/10 table: +{r['stream_tenth']['peak_growth_mib']} MiB); pandas.read_sql "
              f"+{b['peak_growth_mib']} MiB in {b['seconds']} s; ratio {r['memory_ratio_stream_vs_pandas']}"
              + (f"; ingest_source {r['ingest_source']['rows']} rows in {r['ingest_source']['seconds']} s, "
                 f"peak +{r['ingest_source']['peak_growth_mib']} MiB" if "ingest_source" in r else ""))
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    (RESULTS / f"sql_source_{stamp}.json").write_text(json.dumps(results, indent=2))
    lines = [f"# SQL source benchmark ({args.rows} rows, chunk {args.chunk_size})", "",
             "| server | mode | rows | seconds | peak RSS growth MiB |", "| --- | --- | --- | --- | --- |"]
    for kind, r in results["servers"].items():
        for mode in ("stream", "stream_tenth", "pandas_read_sql", "ingest_source"):
            if mode in r:
                m = r[mode]
                lines.append(f"| {kind} | {mode} | {m['rows']} | {m['seconds']} | {m['peak_growth_mib']} |")
    lines += ["", f"Stated bound for streaming: {BOUND_MIB} MiB over the process baseline, whatever the table size.",
              "Command: `.venv/bin/python bench/sql_source_bench.py " + " ".join(sys.argv[1:]) + "`"]
    (RESULTS / "sql_source_latest.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
