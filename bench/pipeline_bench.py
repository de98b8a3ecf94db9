"""End-to-end pipeline benchmark: N raw leads from three sources, ingest -> push to the local sink.

Each task runs in its own process, the way Airflow runs each task, so the peak RSS of a task is that
task's alone (read from the kernel's rusage of the child) and not what earlier tasks left behind. By default
a task is a fork of a worker that imported leadpipe.airflow_app.worker_preload first, as Airflow 3 runs a task on the
Celery workers of docker-compose.yml (a fork of the pool process, which preloads that module); `--spawn`
starts a fresh interpreter per task instead (a worker without the preload, or `execute_tasks_new_python_interpreter`).
Tasks run in the leads_nightly DAG's order and shape: start; ingest per source; plan_batches; normalise per
batch (airflow.batch_rows); validate per source; dedupe; qualify; validate_prospects; push; summarise.
`--parallel N` (default 2, like two Celery workers or a LocalExecutor with parallelism 2 on this 2-core
machine) runs up to N tasks of a mapped stage at once; the DAG's stages wait for each other, so the bench
does too. `enrich` is left out: it is a no-op unless web enrichment is configured.

    .venv/bin/python bench/pipeline_bench.py --leads 100000 --leads 1000000 --parallel 2

The dedupe stage alone, as this bench times it (same forked tasks, same inputs), without minutes of ingest and
normalisation per try: the first run with `--upstream-snapshot DIR` keeps the home as it is after validate,
later runs start from a copy of it at dedupe; `--stop-after cluster_people` ends after the dedupe stage:

    .venv/bin/python bench/pipeline_bench.py --leads 1000000 --upstream-snapshot /tmp/snap --stop-after cluster_people

Writes bench/results/pipeline-<date>T<time>.json and prints it next to the latest earlier results file that
has the same size, so a stage that got slower or fatter shows up as a ratio. Demo inputs are generated once
per size and kept in --data-dir (generation time is reported, not counted).
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
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
ROWS_PER_PERSON = 1.387  # demo_data: 300k people -> ~416k rows over the three files
TARGETS = {100_000: {"wall_seconds": 60}, 1_000_000: {"wall_seconds": 600, "peak_rss_mib": 6144}}
REGRESSION = 1.2
TASK_START = {"fork": "fork of a worker that preloaded leadpipe.airflow_app.worker_preload (Celery in docker-compose.yml)",
              "spawn": "fresh Python interpreter per task"}
CHUNK_PEOPLE = 250_000  # a stage 20% slower or fatter than last time is flagged


# ---------------------------------------------------------------- child: one stage


def run_stage(stage: str, run_id: str, source: str | None, arg: str | None) -> None:
    """Run one stage function and print its return value as the last stdout line (JSON).

    `arg` is the task's input as Airflow would pass it through XCom: a path, or JSON (the ingested paths
    for plan, one batch spec for normalise, a source's normalised parts for validate).
    """
    from leadpipe.pipeline import stages
    from leadpipe.pipeline.settings import load_config

    cfg = load_config()
    fn = {
        "start": lambda: stages.start(stages.RunContext(cfg, run_id)),
        "ingest": lambda: stages.ingest_source(stages.RunContext(cfg, run_id), source),
        "plan": lambda: stages.plan_batches(stages.RunContext(cfg, run_id), json.loads(arg)),
        "normalise": lambda: stages.normalise_part(stages.RunContext(cfg, run_id), json.loads(arg)),
        "validate": lambda: stages.validate_batch(stages.RunContext(cfg, run_id), json.loads(arg), source),
        "dedupe": lambda: stages.dedupe_plan(stages.RunContext(cfg, run_id)),
        "score_pairs": lambda: stages.dedupe_score(stages.RunContext(cfg, run_id), int(arg)),
        "cluster_people": lambda: stages.dedupe_merge(stages.RunContext(cfg, run_id), json.loads(arg)),
        "qualify": lambda: stages.qualify(stages.RunContext(cfg, run_id), arg),
        "validate_prospects": lambda: stages.validate_prospects(stages.RunContext(cfg, run_id), arg),
        "push": lambda: stages.push(stages.RunContext(cfg, run_id), arg),
        "summarise": lambda: stages.summarise(stages.RunContext(cfg, run_id)),
    }[stage]
    try:
        result = fn()
    except stages.BatchRejected as exc:
        result = {"rejected": str(exc)}
    print(json.dumps(result, default=str))


# ---------------------------------------------------------------- parent: orchestration


class StageFailed(RuntimeError):
    """A stage crashed or ran past --stage-timeout; the results file still records how far the run got."""


@dataclass
class Job:
    """One task instance: a stage, its source (mapped stages) and its input (see run_stage)."""

    stage: str
    source: str = ""
    arg: str | None = None


@dataclass
class _Running:
    job: Job
    pid: int
    start: float
    out: IO[str]
    err: IO[str]
    tree_pss_mib: float = 0.0  # the task and the processes it started (a writer, normalising workers), PSS


class Pool:
    """Runs jobs as child processes, at most `parallel` at once, and samples their summed RSS.

    Per task: wall time, CPU (user+sys) and peak RSS from the kernel's rusage of that child (wait4).
    Total peak RSS: the sum of the resident sizes of all running children, read from /proc every
    SAMPLE_SECONDS. A spike shorter than that can be missed, so it is a lower bound; the sum of the
    per-task peaks of the tasks that overlapped is the upper bound (also recorded).
    """

    SAMPLE_SECONDS = 0.05
    # The process trees' PSS (smaps_rollup walks every page: ~25 ms of CPU for a 2.6 GB process) at most this share
    # of one core. Walked every SAMPLE_SECONDS, it took ~30% of a core from the 1M dedupe merge it measured, on a
    # two-core machine (py-spy, 2026-12-06), and slowed the stage it timed; the RSS sum stays every SAMPLE_SECONDS.
    PSS_SHARE = 0.02

    def __init__(self, env: dict[str, str], run_id: str, parallel: int, timeout: float, fork: bool = True) -> None:
        self.env, self.run_id, self.parallel, self.timeout, self.fork = env, run_id, parallel, timeout, fork
        self.peak_sum_mib = 0.0
        self.peak_sum_upper_mib = 0.0
        self._page_mib = os.sysconf("SC_PAGE_SIZE") / 2**20
        self._next_pss = 0.0

    def run(self, jobs: list[Job]) -> list[dict]:
        """Run the jobs (a stage's mapped copies), return their results in job order."""
        todo, running, results = list(enumerate(jobs)), {}, {}
        try:
            while todo or running:
                while todo and len(running) < self.parallel:
                    i, job = todo.pop(0)
                    running[i] = self._launch(job)
                self._sample(running.values())
                for i, r in list(running.items()):
                    pid, status, usage = os.wait4(r.pid, os.WNOHANG)
                    if pid:
                        del running[i]
                        results[i] = self._finish(r, status, usage)
                    elif time.perf_counter() - r.start > self.timeout:
                        raise StageFailed(f"stage {r.job.stage} {r.job.source} still running after "
                                          f"{self.timeout:.0f} s; stopped")
                if running:
                    time.sleep(self.SAMPLE_SECONDS)
        finally:
            for r in running.values():  # only on failure: stop our own children, by process group
                os.killpg(r.pid, signal.SIGKILL)
                os.wait4(r.pid, 0)
        self.peak_sum_upper_mib = max(self.peak_sum_upper_mib, self._overlap_bound(results))
        return [results[i] for i in range(len(jobs))]

    def _overlap_bound(self, results: dict[int, dict]) -> float:
        """Largest sum of per-task peaks over tasks whose run times overlapped (at most `parallel`)."""
        best = 0.0
        spans = [(r["t0"], r["t1"], r["rss_mib"]) for r in results.values()]
        for t0, _, _ in spans:
            best = max(best, sum(rss for a, b, rss in spans if a <= t0 < b))
        return best

    def _launch(self, job: Job) -> _Running:
        out, err = tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed in _finish
        start = time.perf_counter()
        if not self.fork:
            args = [sys.executable, __file__, "--stage", job.stage, "--run-id", self.run_id, "--source", job.source,
                    "--path", job.arg or ""]
            proc = subprocess.Popen(args, env=self.env, stdout=out, stderr=err, text=True, start_new_session=True)
            return _Running(job, proc.pid, start, out, err)
        pid = os.fork()
        if pid == 0:  # the task: like Airflow's supervisor, a fork of the (preloaded) worker
            code = 1
            try:
                os.setsid()
                os.dup2(out.fileno(), 1)
                os.dup2(err.fileno(), 2)
                os.environ.clear()
                os.environ.update(self.env)
                run_stage(job.stage, self.run_id, job.source or None, job.arg or None)
                code = 0
            except BaseException:  # noqa: BLE001 - reported through stderr and the exit code
                import traceback

                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        return _Running(job, pid, start, out, err)

    def _sample(self, running) -> None:
        start = time.perf_counter()
        if start >= self._next_pss:
            for r in running:
                r.tree_pss_mib = max(r.tree_pss_mib, _tree_pss_mib(r.pid))
            self._next_pss = start + max(self.SAMPLE_SECONDS, (time.perf_counter() - start) / self.PSS_SHARE)
        total = 0.0
        for r in running:
            try:
                total += int(Path(f"/proc/{r.pid}/statm").read_text().split()[1]) * self._page_mib
            except (OSError, IndexError, ValueError):
                pass  # exited between wait4 and here
        self.peak_sum_mib = max(self.peak_sum_mib, total)

    def _finish(self, r: _Running, status: int, usage) -> dict:
        code = os.waitstatus_to_exitcode(status)
        t1 = time.perf_counter()
        r.out.seek(0)
        r.err.seek(0)
        stdout, stderr = r.out.read(), r.err.read()
        r.out.close()
        r.err.close()
        if code != 0:  # the exception's own line first: a long SQL statement can push it out of the tail
            cause = [ln for ln in stderr.splitlines() if re.match(r"^[\w.]+(Error|Exception)\b", ln)]
            raise StageFailed(f"stage {r.job.stage} {r.job.source} failed ({code}): {(cause or ['?'])[-1][:500]}"
                              f"\n{stderr[-2000:]}")
        rss = usage.ru_maxrss / 1024
        self.peak_sum_mib = max(self.peak_sum_mib, rss)  # a lone task's own peak counts too
        return {"result": json.loads(stdout.strip().splitlines()[-1]), "wall": t1 - r.start, "t0": r.start,
                "t1": t1, "rss_mib": rss, "tree_pss_mib": r.tree_pss_mib, "cpu": usage.ru_utime + usage.ru_stime}


def _tree_pss_mib(pid: int) -> float:
    """PSS of a task and its descendants: a task that starts processes (the dedupe merge's writer, forked from
    it) is measured whole, shared pages counted once. The kernel's rusage gives only the largest of them."""
    import psutil

    try:
        procs = [psutil.Process(pid)]
        procs += procs[0].children(recursive=True)
    except psutil.Error:
        return 0.0
    total = 0.0
    for p in procs:
        try:
            with open(f"/proc/{p.pid}/smaps_rollup", encoding="ascii") as f:
                total += next(int(ln.split()[1]) for ln in f if ln.startswith("Pss:")) / 1024
        except (OSError, StopIteration, ValueError):
            pass  # exited meanwhile
    return total


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
    from leadpipe.demo.do_not_contact import write_demo_do_not_contact
    from leadpipe.demo.generator import generate

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


UPSTREAM = ("start", "ingest", "plan", "normalise", "validate")
DEDUPE_STAGE = ("dedupe", "score_pairs", "cluster_people")  # the DAG's dedupe stage: plan, score, merge
STAGES = (*UPSTREAM, "dedupe", "score_pairs", "cluster_people", "qualify", "validate_prospects", "push", "summarise")


def bench_size(leads: int, inputs: Path, gen_seconds: float, warehouse_url: str | None, stage_timeout: float,
               parallel: int = 2, progress=lambda run: None, fork: bool = True, upstream: Path | None = None,
               stop_after: str | None = None) -> dict:
    """One run of `leads` leads from the generated `inputs` folder.

    `upstream` (SQLite only): a folder keeping the home as it is after `validate` (warehouse file and run
    folder). Empty: the run goes through validate as usual and saves the home there; already saved: the run
    starts from a copy of it at `dedupe`, so the stages after validate are measured exactly as in a whole run
    (same processes, same inputs) without paying minutes of ingest and normalisation each time.
    `stop_after`: the last stage to run (e.g. cluster_people: the dedupe stage only).
    """
    home = Path(tempfile.mkdtemp(prefix=f"leadpipe-bench-{leads}-"))
    saved = upstream is not None and (upstream / ".complete").exists()
    try:
        if saved:
            shutil.rmtree(home)
            shutil.copytree(upstream / "home", home, symlinks=True)
        else:
            (home / "inputs").mkdir()
            (home / "inputs" / "demo").symlink_to(inputs, target_is_directory=True)
        env = {**os.environ, "LEADPIPE_HOME": str(home), "PYTHONPATH": str(REPO)}
        env.pop("LEADPIPE_CONFIG", None)
        env.pop("LEADPIPE_WAREHOUSE_URL", None)
        if warehouse_url:
            env["LEADPIPE_WAREHOUSE_URL"] = warehouse_url
        run_id = (json.loads((upstream / "run.json").read_text())["run_id"] if saved
                  else "bench_" + datetime.now(UTC).strftime("%Y%m%dT%H%M%S"))
        pool = Pool(env, run_id, parallel, stage_timeout, fork)
        task_start = TASK_START["fork" if fork else "spawn"]
        stages: dict[str, dict] = {}

        class Stopped(Exception):
            """--stop-after: the last stage asked for has run."""

        def run(name: str, jobs: list[Job]) -> list[dict]:
            """One DAG stage: its mapped copies share the pool; the next stage waits for all of them."""
            if not jobs or (saved and name in UPSTREAM):
                return []
            t = time.perf_counter()
            done = pool.run(jobs)
            stages[name] = {
                "wall_seconds": round(time.perf_counter() - t, 2),  # first task's start to last task's end
                "process_seconds": round(sum(r["wall"] for r in done), 2),
                "cpu_seconds": round(sum(r["cpu"] for r in done), 2),
                "peak_rss_mib": round(max(r["rss_mib"] for r in done), 1),
                "peak_tree_pss_mib": round(max(r["tree_pss_mib"] for r in done), 1),  # sampled: a lower bound
                "processes": len(done),
            }
            progress({"leads_target": leads, "incomplete": f"running; finished so far: {', '.join(stages)}",
                      "task_start": task_start,
                      "generate_seconds": round(gen_seconds, 1), "parallel": parallel, "stages": stages,
                      "wall_seconds_so_far": round(time.perf_counter() - t0, 2), "targets": TARGETS.get(leads, {}),
                      "meets_targets": False})
            if name == "validate" and upstream is not None and not warehouse_url:
                save_upstream(home, upstream, run_id, specs)
            if name == stop_after:
                raise Stopped
            return done

        def value(r: dict) -> str | None:
            return r["result"] if isinstance(r["result"], str) else None

        t0 = time.perf_counter()
        try:
            if saved:
                specs = json.loads((upstream / "run.json").read_text())["batches"]
                # untimed, as every run's first task: the snapshot's warehouse migrated to this code's schema
                pool.run([Job("start")])
            else:
                [started] = run("start", [Job("start")])
                sources = started["result"]
                ingested = [value(r) for r in run("ingest", [Job("ingest", s) for s in sources])]
                [plan] = run("plan", [Job("plan", arg=json.dumps(ingested))])
                specs = plan["result"]
                parts = [r["result"] for r in run("normalise", [Job("normalise", b["source"], json.dumps(b))
                                                                 for b in specs])]
                by_source = {s: [p for b, p in zip(specs, parts, strict=True) if b["source"] == s] for s in sources}
                run("validate", [Job("validate", s, json.dumps(by_source[s])) for s in sources if by_source[s]])
            # dedupe as the DAG maps it: plan once, score each partition (in parallel), cluster once
            [planned] = run("dedupe", [Job("dedupe")])
            pairs = [value(r) for r in run("score_pairs", [Job("score_pairs", arg=str(p))
                                                              for p in planned["result"]])]
            [r] = run("cluster_people", [Job("cluster_people", arg=json.dumps(pairs))])
            path = value(r)
            for stage in ("qualify", "validate_prospects", "push", "summarise"):
                [r] = run(stage, [Job(stage, arg=path)])
                path = value(r)
        except Stopped:
            return {"leads_target": leads, "incomplete": f"stopped after {stop_after} (--stop-after)",
                    "from_upstream_snapshot": saved, "task_start": task_start, "parallel": parallel,
                    "stages": stages, "load_avg_after": [round(x, 2) for x in os.getloadavg()],
                    "targets": TARGETS.get(leads, {}), "meets_targets": False}
        except StageFailed as exc:
            return {"leads_target": leads, "failed": str(exc)[:2000], "generate_seconds": round(gen_seconds, 1),
                    "task_start": task_start,
                    "parallel": parallel, "wall_seconds_until_failure": round(time.perf_counter() - t0, 2),
                    "stages": stages, "targets": TARGETS.get(leads, {}), "meets_targets": False}
        wall = time.perf_counter() - t0
        summary = r["result"]
        for name, secs in summary.get("stage_seconds", {}).items():
            stages.setdefault(name, {})["in_stage_seconds"] = secs
        peak_task = max(s.get("peak_rss_mib", 0) for s in stages.values())
        peak = max(pool.peak_sum_mib, peak_task)
        target = TARGETS.get(leads, {})
        return {
            "leads_target": leads,
            "raw_rows": summary["raw_rows"],
            "rows_per_source": summary["funnel"]["rows_in"],
            "funnel": summary["funnel"],
            "outcomes": summary["outcomes"],
            "warehouse": "postgresql" if warehouse_url else "sqlite",
            "parallel": parallel,
            "task_start": task_start,
            "batches": len(specs),
            "generate_seconds": round(gen_seconds, 1),
            "wall_seconds": round(wall, 2),
            "cpu_seconds": round(sum(s.get("cpu_seconds", 0) for s in stages.values()), 2),
            "load_avg_after": [round(x, 2) for x in os.getloadavg()],
            # peak_rss_mib: summed RSS of the tasks running at once, sampled (see Pool); a lower bound.
            # peak_rss_upper_mib: sum of the per-task peaks of tasks that overlapped; an upper bound.
            "peak_rss_mib": round(peak, 1),
            "peak_rss_upper_mib": round(max(pool.peak_sum_upper_mib, peak_task), 1),
            "peak_task_rss_mib": peak_task,
            "stages": stages,
            "targets": target,
            "meets_targets": all([wall <= target.get("wall_seconds", float("inf")),
                                  peak <= target.get("peak_rss_mib", float("inf"))]),
        }
    finally:
        shutil.rmtree(home, ignore_errors=True)


def save_upstream(home: Path, upstream: Path, run_id: str, specs: list) -> None:
    """The home after validate, for later runs started with the same --upstream-snapshot (see bench_size)."""
    shutil.rmtree(upstream, ignore_errors=True)
    upstream.mkdir(parents=True)
    shutil.copytree(home, upstream / "home", symlinks=True)
    (upstream / "run.json").write_text(json.dumps({"run_id": run_id, "batches": specs}))
    (upstream / ".complete").touch()


def machine() -> dict:
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor())
    mem_kib = int(next(ln.split()[1] for ln in Path("/proc/meminfo").read_text().splitlines()
                       if ln.startswith("MemTotal")))
    return {"cpus": os.cpu_count(), "cpu_model": cpu, "memory_gib": round(mem_kib / 2**20, 1),
            "python": platform.python_version(), "platform": platform.platform(),
            "load_avg_at_start": [round(x, 2) for x in os.getloadavg()]}


def previous_results(exclude: Path, sizes: list[int], task_start: str) -> dict[int, tuple[Path, dict]]:
    """Per size: the latest earlier results file with a finished run of that size and task start, and that run."""
    found: dict[int, tuple[Path, dict]] = {}
    for path in sorted(p for p in RESULTS.glob("pipeline-*.json") if p != exclude):
        for run in json.loads(path.read_text()).get("runs", []):
            same_start = run.get("task_start", TASK_START["spawn"]) == task_start
            if run["leads_target"] in sizes and same_start and "failed" not in run and "incomplete" not in run:
                found[run["leads_target"]] = (path, run)
    return found


def compare(current: dict, previous: dict[int, tuple[Path, dict]]) -> list[str]:
    """One line per size and stage: seconds and RSS now, and as a ratio of the previous results."""
    lines = []
    for run in current["runs"]:
        path, old = previous.get(run["leads_target"], (None, None))
        stopped = "(--stop-after)" in run.get("incomplete", "")
        if "failed" in run or ("incomplete" in run and not stopped):
            lines.append(f"{run['leads_target']:>9,} leads: DID NOT FINISH: "
                         f"{(run.get('failed') or run.get('incomplete')).splitlines()[0]}")
            continue
        ok = "meets" if run["meets_targets"] else "MISSES"
        vs = ""
        if stopped:
            lines.append(f"{run['leads_target']:>9,} leads: {run['incomplete']}"
                         + (", from the upstream snapshot" if run.get("from_upstream_snapshot") else "")
                         + f"; load average after {run.get('load_avg_after')}")
        elif old:
            kind = "cpu" if old.get("cpu_seconds") else "wall"
            vs = (f"; vs {path.name}: x{run['wall_seconds'] / old['wall_seconds']:.2f} wall"
                  + (f", x{run['cpu_seconds'] / old['cpu_seconds']:.2f} CPU" if kind == "cpu" else ""))
        if not stopped:
            lines.append(f"{run['leads_target']:>9,} leads ({run['raw_rows']:,} rows, {run['warehouse']}, "
                         f"--parallel {run.get('parallel', 1)}, {run.get('batches', '?')} batches, "
                         f"{'forked tasks' if run.get('task_start', '').startswith('fork') else 'fresh interpreters'}): "
                         f"{run['wall_seconds']:.1f} s wall, {run.get('cpu_seconds', float('nan')):.0f} s CPU, "
                         f"peak {run['peak_rss_mib']:.0f} MiB summed over concurrent tasks "
                         f"(<= {run.get('peak_rss_upper_mib', run['peak_rss_mib']):.0f}); {ok} targets "
                         f"{run['targets']}{vs}")
        dedupe = [run["stages"][n] for n in DEDUPE_STAGE if n in run["stages"]]
        if len(dedupe) == len(DEDUPE_STAGE):
            lines.append(f"    dedupe stage ({' + '.join(DEDUPE_STAGE)}): "
                         f"{sum(d['wall_seconds'] for d in dedupe):.2f} s wall, "
                         f"peak {max(d['peak_rss_mib'] for d in dedupe):.0f} MiB (one process; with the "
                         f"processes a task starts, PSS: {max(d.get('peak_tree_pss_mib', 0) for d in dedupe):.0f} MiB)")
        for name, s in run["stages"].items():
            o = (old or {}).get("stages", {}).get(name)
            ratio = ""
            if o and o.get("wall_seconds") and o.get("peak_rss_mib") and s.get("wall_seconds"):
                # CPU time when both runs have it: wall time swings with whatever else the machine runs
                kind = "cpu" if o.get("cpu_seconds") and s.get("cpu_seconds") else "wall"
                t = s[f"{kind}_seconds"] / o[f"{kind}_seconds"]
                m = s["peak_rss_mib"] / o["peak_rss_mib"]
                flag = "  <-- REGRESSION" if t > REGRESSION or m > REGRESSION else ""
                ratio = f"  (x{t:.2f} {kind}, x{m:.2f} rss){flag}"
            inner = f"{s['in_stage_seconds']:>7.2f} s" if "in_stage_seconds" in s else "      -  "
            lines.append(f"    {name:<18} {s.get('wall_seconds', 0):>8.2f} s wall  {s.get('cpu_seconds', 0):>7.2f} s CPU"
                         f"  (in stage {inner})  {s.get('peak_rss_mib', 0):>7.0f} MiB  x{s.get('processes', 0)}{ratio}")
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--leads", type=int, action="append", help="raw leads per run (repeatable)")
    ap.add_argument("--parallel", type=int, default=2,
                    help="tasks of one stage run at once, like Airflow workers (default 2: this machine's cores)")
    ap.add_argument("--data-dir", type=Path, default=REPO / ".leadpipe" / "bench-data")
    ap.add_argument("--warehouse-url", default=None, help="default: SQLite in a fresh temporary home")
    ap.add_argument("--out", type=Path, default=None,
                    help="results file (default bench/results/pipeline-<date>T<time>.json)")
    ap.add_argument("--stage-timeout", type=float, default=1800, help="stop a task after this many seconds")
    ap.add_argument("--spawn", action="store_true",
                    help="a fresh interpreter per task (default: a fork of a worker that preloaded the pipeline)")
    ap.add_argument("--upstream-snapshot", type=Path, default=None,
                    help="SQLite only: keep the home after validate in this folder (one size per folder), or, once "
                         "kept, start there at dedupe (the stages after validate timed as in a whole run)")
    ap.add_argument("--stop-after", choices=STAGES, default=None,
                    help="last stage to run; cluster_people: the dedupe stage (dedupe, score_pairs, cluster_people)")
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
    warn_uncompiled()
    out = a.out or RESULTS / f"pipeline-{datetime.now(UTC):%Y-%m-%dT%H%M}.json"
    sizes = a.leads or [100_000, 1_000_000]
    prev = previous_results(out, sizes, TASK_START["spawn" if a.spawn else "fork"])
    current = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(),
               "command": " ".join([Path(sys.executable).name, *sys.argv]), "runs": []}

    def write(partial: dict | None = None) -> None:
        doc = {**current, "runs": current["runs"] + ([partial] if partial else [])}
        RESULTS.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(doc, indent=2) + "\n")
        tmp.replace(out)

    # inputs are generated by a child process, before this process grows
    prepared = {leads: prepare_inputs(a.data_dir, leads) for leads in sizes}
    if not a.spawn:
        import leadpipe.airflow_app.worker_preload  # noqa: F401 - the worker's preload, inherited by every forked task
    for leads in sizes:
        snapshot = a.upstream_snapshot / f"leads-{leads}" if a.upstream_snapshot else None
        current["runs"].append(bench_size(leads, *prepared[leads], a.warehouse_url, a.stage_timeout, a.parallel,
                                          progress=write, fork=not a.spawn, upstream=snapshot,
                                          stop_after=a.stop_after))
        write()
    print(f"results: {out}" + ("" if prev else "  (no earlier results of these sizes)"))
    print("\n".join(compare(current, prev)))
    return 0 if all(r["meets_targets"] for r in current["runs"]) else 1


def warn_uncompiled() -> None:
    """Every task is a fresh interpreter: without .pyc files (PYTHONDONTWRITEBYTECODE and a .venv installed
    without --compile-bytecode) each one recompiles pandas, SQLAlchemy and GX, seconds of CPU per task."""
    import importlib.util

    # find_spec does not import pandas: the parent must stay small (its peak RSS is inherited by children)
    cached = Path(importlib.util.find_spec("pandas").origin).parent / "__pycache__"
    if not cached.exists():
        print("warning: the .venv has no compiled bytecode; run `make install` (uv sync --compile-bytecode), "
              "or every task pays ~3-8 s of compiling", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
