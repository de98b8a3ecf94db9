"""End-to-end pipeline benchmark: N raw leads from three sources, ingest -> push to the local sink.

Each stage runs in its own Python process, the way Airflow runs each task, so the peak RSS of a stage is
that stage's alone (read from the kernel's rusage of the child) and not what earlier stages left behind.
The per-source stages run once per source, one after another, like the in-process `run_pipeline`.

    .venv/bin/python bench/pipeline_bench.py --leads 100000 --leads 1000000

Writes bench/results/pipeline-<date>.json and prints it next to the previous results file, so a stage
that got slower or fatter shows up as a ratio. Demo inputs are generated once per size and kept in
--data-dir (generation time is reported, not counted).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
ROWS_PER_PERSON = 1.387  # demo_data: 300k people -> ~416k rows over the three files
TARGETS = {100_000: {"wall_seconds": 60}, 1_000_000: {"wall_seconds": 600, "peak_rss_mib": 6144}}
REGRESSION = 1.2
CHUNK_PEOPLE = 250_000  # a stage 20% slower or fatter than last time is flagged


# ---------------------------------------------------------------- child: one stage


def run_stage(stage: str, run_id: str, source: str | None, path: str | None) -> None:
    """Run one stage function and print its return value as the last stdout line (JSON)."""
    from leadpipe import stages
    from leadpipe.config import load_config

    cfg = load_config()
    fn = {
        "start": lambda: stages.start(cfg, run_id),
        "ingest": lambda: stages.ingest_source(cfg, run_id, source),
        "normalise": lambda: stages.normalise_batch(cfg, run_id, path, source),
        "validate": lambda: stages.validate_batch(cfg, run_id, path, source),
        "dedupe": lambda: stages.dedupe(cfg, run_id),
        "qualify": lambda: stages.qualify(cfg, run_id, path),
        "push": lambda: stages.push(cfg, run_id, path),
        "summarise": lambda: stages.summarise(cfg, run_id),
    }[stage]
    try:
        result = fn()
    except stages.BatchRejected as exc:
        result = {"rejected": str(exc)}
    print(json.dumps(result, default=str))


# ---------------------------------------------------------------- parent: orchestration


class StageFailed(RuntimeError):
    """A stage crashed or ran past --stage-timeout; the results file still records how far the run got."""


def _child(env: dict[str, str], stage: str, run_id: str, source: str = "", path: str | None = None,
           timeout: float = 1800) -> dict:
    """Run a stage in a fresh interpreter; return its result, wall seconds and peak RSS (MiB)."""
    args = [sys.executable, __file__, "--stage", stage, "--run-id", run_id, "--source", source,
            "--path", path or ""]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=err, text=True, start_new_session=True)
        while True:  # wait4 gives this child's own rusage (peak RSS), not all children's
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - start > timeout:
                os.killpg(proc.pid, signal.SIGKILL)
                _, status, usage = os.wait4(proc.pid, 0)
                proc.returncode = -9
                raise StageFailed(f"stage {stage} {source} still running after {timeout:.0f} s; stopped")
            time.sleep(0.1)
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if code != 0:  # the exception's own line first: a long SQL statement can push it out of the tail
        cause = [ln for ln in stderr.splitlines() if re.match(r"^[\w.]+(Error|Exception)\b", ln)]
        raise StageFailed(f"stage {stage} {source} failed ({code}): {(cause or ['?'])[-1][:500]}\n{stderr[-2000:]}")
    return {"result": json.loads(stdout.strip().splitlines()[-1]), "wall": wall, "rss_mib": usage.ru_maxrss / 1024,
            "cpu": usage.ru_utime + usage.ru_stime}


def prepare_inputs(data_dir: Path, leads: int) -> tuple[Path, float]:
    """Generate in a child process: the kernel counts a child's peak RSS from its parent's (the fork and exec
    inherit the high-water mark), so the parent that forks the stage processes must stay small."""
    start = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--generate", str(data_dir), "--leads", str(leads)], check=True,
                   env={**os.environ, "PYTHONPATH": str(REPO)})
    folder = data_dir / f"people-{round(leads / ROWS_PER_PERSON)}"
    return folder, time.perf_counter() - start


def generate_inputs(data_dir: Path, leads: int) -> tuple[Path, float]:
    """Demo inputs for about `leads` raw rows, generated once and reused.

    Large sizes are generated in chunks of at most CHUNK_PEOPLE people with different seeds, written as
    extra files per source (vendor_apollo_2.csv, ...; the sources' globs pick them up): one big
    demo_data.generate() call stalls (at ~720k people it loops in _unique_domain once a company label's
    domain variants run out).
    """
    from leadpipe.cli import write_demo_do_not_contact
    from leadpipe.demo_data import generate

    people = round(leads / ROWS_PER_PERSON)
    folder = data_dir / f"people-{people}"
    done = folder / ".complete"
    if done.exists():
        return folder, 0.0
    start = time.perf_counter()
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    chunks = -(-people // CHUNK_PEOPLE)
    for i in range(chunks):
        n = people // chunks + (1 if i < people % chunks else 0)
        part = folder / f"part-{i + 1}"
        files = generate(part, people=n, seed=7 + i)
        for src in (files.apollo, files.zoominfo, files.web_forms):
            src = Path(src)
            name = src.name if i == 0 else f"{src.stem}_{i + 1}{src.suffix}"
            src.rename(folder / name)
        if i == 0:
            write_demo_do_not_contact(Path(folder / Path(files.zoominfo).name), folder / "do_not_contact.csv")
        shutil.rmtree(part)
    done.touch()
    return folder, time.perf_counter() - start


def bench_size(leads: int, data_dir: Path, warehouse_url: str | None, stage_timeout: float,
               progress=lambda run: None) -> dict:
    inputs, gen_seconds = prepare_inputs(data_dir, leads)
    home = Path(tempfile.mkdtemp(prefix=f"leadpipe-bench-{leads}-"))
    try:
        (home / "inputs").mkdir()
        (home / "inputs" / "demo").symlink_to(inputs, target_is_directory=True)
        env = {**os.environ, "LEADPIPE_HOME": str(home), "PYTHONPATH": str(REPO)}
        env.pop("LEADPIPE_CONFIG", None)
        env.pop("LEADPIPE_WAREHOUSE_URL", None)
        if warehouse_url:
            env["LEADPIPE_WAREHOUSE_URL"] = warehouse_url
        run_id = "bench_" + datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        stages: dict[str, dict] = {}

        def add(name: str, r: dict) -> None:
            s = stages.setdefault(name, {"wall_seconds": 0.0, "cpu_seconds": 0.0, "peak_rss_mib": 0.0,
                                         "processes": 0})
            s["wall_seconds"] = round(s["wall_seconds"] + r["wall"], 2)
            s["cpu_seconds"] = round(s["cpu_seconds"] + r["cpu"], 2)
            s["peak_rss_mib"] = round(max(s["peak_rss_mib"], r["rss_mib"]), 1)
            s["processes"] += 1
            progress({"leads_target": leads, "incomplete": f"running; finished so far: {', '.join(stages)}",
                      "generate_seconds": round(gen_seconds, 1), "stages": stages,
                      "wall_seconds_so_far": round(time.perf_counter() - t0, 2), "targets": TARGETS.get(leads, {}),
                      "meets_targets": False})

        t0 = time.perf_counter()
        try:
            r = _child(env, "start", run_id, timeout=stage_timeout)
            add("start", r)
            for source in r["result"]:
                path = None
                for stage in ("ingest", "normalise", "validate"):
                    r = _child(env, stage, run_id, source, path, timeout=stage_timeout)
                    add(stage, r)
                    path = r["result"] if isinstance(r["result"], str) else None
            path = None
            for stage in ("dedupe", "qualify", "push", "summarise"):
                r = _child(env, stage, run_id, path=path, timeout=stage_timeout)
                add(stage, r)
                path = r["result"] if isinstance(r["result"], str) else None
        except StageFailed as exc:
            return {"leads_target": leads, "failed": str(exc)[:2000], "generate_seconds": round(gen_seconds, 1),
                    "wall_seconds_until_failure": round(time.perf_counter() - t0, 2), "stages": stages,
                    "targets": TARGETS.get(leads, {}), "meets_targets": False}
        wall = time.perf_counter() - t0
        summary = r["result"]
        for name, secs in summary.get("stage_seconds", {}).items():
            stages.setdefault(name, {})["in_stage_seconds"] = secs
        peak = max(s["peak_rss_mib"] for s in stages.values())
        target = TARGETS.get(leads, {})
        return {
            "leads_target": leads,
            "raw_rows": summary["raw_rows"],
            "rows_per_source": summary["funnel"]["rows_in"],
            "funnel": summary["funnel"],
            "outcomes": summary["outcomes"],
            "warehouse": "postgresql" if warehouse_url else "sqlite",
            "generate_seconds": round(gen_seconds, 1),
            "wall_seconds": round(wall, 2),
            "cpu_seconds": round(sum(s["cpu_seconds"] for s in stages.values()), 2),
            "load_avg_after": [round(x, 2) for x in os.getloadavg()],
            "peak_rss_mib": peak,
            "stages": stages,
            "targets": target,
            "meets_targets": all([wall <= target.get("wall_seconds", float("inf")),
                                  peak <= target.get("peak_rss_mib", float("inf"))]),
        }
    finally:
        shutil.rmtree(home, ignore_errors=True)


def machine() -> dict:
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor())
    mem_kib = int(next(ln.split()[1] for ln in Path("/proc/meminfo").read_text().splitlines()
                       if ln.startswith("MemTotal")))
    return {"cpus": os.cpu_count(), "cpu_model": cpu, "memory_gib": round(mem_kib / 2**20, 1),
            "python": platform.python_version(), "platform": platform.platform(),
            "load_avg_at_start": [round(x, 2) for x in os.getloadavg()]}


def previous_results(exclude: Path) -> tuple[Path | None, dict | None]:
    files = sorted(p for p in RESULTS.glob("pipeline-*.json") if p != exclude)
    if not files:
        return None, None
    return files[-1], json.loads(files[-1].read_text())


def compare(current: dict, previous: dict | None) -> list[str]:
    """One line per size and stage: seconds and RSS now, and as a ratio of the previous results."""
    lines = []
    before = {r["leads_target"]: r for r in (previous or {}).get("runs", [])}
    for run in current["runs"]:
        old = before.get(run["leads_target"])
        if "failed" in run or "incomplete" in run:
            lines.append(f"{run['leads_target']:>9,} leads: DID NOT FINISH: "
                         f"{(run.get('failed') or run.get('incomplete')).splitlines()[0]}")
            continue
        if old and ("failed" in old or "incomplete" in old):
            old = None
        ok = "meets" if run["meets_targets"] else "MISSES"
        lines.append(f"{run['leads_target']:>9,} leads ({run['raw_rows']:,} rows, {run['warehouse']}): "
                     f"{run['wall_seconds']:.1f} s wall, {run.get('cpu_seconds', float('nan')):.0f} s CPU, peak {run['peak_rss_mib']:.0f} MiB; {ok} targets "
                     f"{run['targets']}" + (f"; x{run['wall_seconds'] / old['wall_seconds']:.2f} time vs previous"
                                            if old else ""))
        for name, s in run["stages"].items():
            o = (old or {}).get("stages", {}).get(name)
            ratio = ""
            if o and o.get("wall_seconds") and o.get("peak_rss_mib"):
                # CPU time when both runs have it: wall time swings with whatever else the machine runs
                kind = "cpu" if o.get("cpu_seconds") and s.get("cpu_seconds") else "wall"
                t = s[f"{kind}_seconds"] / o[f"{kind}_seconds"]
                m = s["peak_rss_mib"] / o["peak_rss_mib"]
                flag = "  <-- REGRESSION" if t > REGRESSION or m > REGRESSION else ""
                ratio = f"  (x{t:.2f} {kind}, x{m:.2f} rss){flag}"
            inner = f"{s['in_stage_seconds']:>7.2f} s" if "in_stage_seconds" in s else "      -  "
            lines.append(f"    {name:<10} {s['wall_seconds']:>8.2f} s wall  {s.get('cpu_seconds', 0):>7.2f} s CPU"
                         f"  (in stage {inner})  {s['peak_rss_mib']:>7.0f} MiB{ratio}")
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--leads", type=int, action="append", help="raw leads per run (repeatable)")
    ap.add_argument("--data-dir", type=Path, default=REPO / ".leadpipe" / "bench-data")
    ap.add_argument("--warehouse-url", default=None, help="default: SQLite in a fresh temporary home")
    ap.add_argument("--out", type=Path, default=None, help="results file (default bench/results/pipeline-<date>.json)")
    ap.add_argument("--stage-timeout", type=float, default=1800, help="stop a stage after this many seconds")
    ap.add_argument("--generate", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--stage", help=argparse.SUPPRESS)
    ap.add_argument("--run-id", help=argparse.SUPPRESS)
    ap.add_argument("--source", help=argparse.SUPPRESS)
    ap.add_argument("--path", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.generate:
        generate_inputs(a.generate, a.leads[0])
        return 0
    if a.stage:
        run_stage(a.stage, a.run_id, a.source or None, a.path or None)
        return 0
    sys.path.insert(0, str(REPO))
    out = a.out or RESULTS / f"pipeline-{datetime.now(UTC):%Y-%m-%d}.json"
    prev_path, prev = previous_results(out)
    today = json.loads(out.read_text()) if out.exists() else None
    sizes = a.leads or [100_000, 1_000_000]
    # Runs of other sizes from earlier today stay in the file; a size run again replaces its entry.
    kept = [r for r in (today or {}).get("runs", []) if r["leads_target"] not in sizes]
    current = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(),
               "command": " ".join([Path(sys.executable).name, *sys.argv]), "runs": kept}

    def write(partial: dict | None = None) -> None:
        doc = {**current, "runs": current["runs"] + ([partial] if partial else [])}
        doc["runs"] = sorted(doc["runs"], key=lambda r: r["leads_target"])
        RESULTS.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(doc, indent=2) + "\n")
        tmp.replace(out)

    for leads in sizes:
        current["runs"].append(bench_size(leads, a.data_dir, a.warehouse_url, a.stage_timeout, progress=write))
        write()
    current["runs"] = sorted(current["runs"], key=lambda r: r["leads_target"])
    print(f"results: {out}" + (f"  (compared with {prev_path.name})" if prev_path else "  (no previous results)"))
    print("\n".join(compare(current, prev)))
    return 0 if all(r["meets_targets"] for r in current["runs"] if r["leads_target"] in sizes) else 1


if __name__ == "__main__":
    sys.exit(main())
