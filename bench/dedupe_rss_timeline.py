"""Where `leadpipe dedupe` holds its memory: the RSS of its process tree (main process and normalising workers)
sampled every 20 ms with psutil, with a mark at the start and end of each step.

Usage: python bench/dedupe_rss_timeline.py IN.csv [OUT.csv] [--json timeline.json]

The command runs in a child process whose steps (read, mapped, normalise per part, pool start/stop, features,
match, write) are wrapped to write a time-stamped mark. Printed: the tree's peak (when, in which step, main vs
workers), the tree at every mark and the highest tree per step. Memory, not timing: the sampler and the marks
cost a little time. Run it under /work/tools/bench.lock all the same, so other jobs do not move the peak.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

CHILD = r'''
import functools, json, sys, time
marks = open(sys.argv[3], "w")
def mark(name):
    marks.write(json.dumps([time.time(), name]) + "\n")
    marks.flush()
mark("start")
import enrichment.dedupe.matching as matching
import enrichment.normalise_parallel as normalise_parallel
import leadpipe.pipeline.dedupe_file as dedupe_file
from enrichment.dedupe import features
mark("imported")
def wrap(owner, attr, label):
    inner = getattr(owner, attr)
    @functools.wraps(inner)
    def marked(*a, **k):
        mark(label + ">")
        try:
            return inner(*a, **k)
        finally:
            mark(label + "<")
    setattr(owner, attr, marked)
wrap(dedupe_file, "read_lead_file", "read")
wrap(dedupe_file.LeadFile, "mapped", "mapped")
wrap(normalise_parallel.NormalisePool, "normalise_frame", "normalise")
wrap(normalise_parallel.NormalisePool, "__enter__", "pool_start")
wrap(normalise_parallel.NormalisePool, "stop", "pool_stop")
wrap(features, "build", "features")
wrap(matching, "match", "match")
wrap(dedupe_file, "_write", "write")
from leadpipe.cli import main
sys.argv = ["leadpipe", "dedupe", sys.argv[1], sys.argv[2]]
try:
    main()
finally:
    mark("end")
'''


def sample(cmd: list[str]) -> tuple[int, list[tuple[float, dict[int, int]]], str]:
    """Run `cmd`: (its pid, [(time, {pid: rss})] every 20 ms over the tree, its output)."""
    proc = psutil.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    samples = []
    while proc.poll() is None:
        row = {}
        try:
            for p in [proc, *proc.children(recursive=True)]:
                try:
                    row[p.pid] = p.memory_info().rss
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    pass
        except psutil.NoSuchProcess:
            break
        samples.append((time.time(), row))
        time.sleep(0.02)
    return proc.pid, samples, proc.stdout.read().decode(errors="replace")


def report(main_pid: int, t0: float, samples: list, marks: list) -> None:
    mb = 2 ** 20

    def step(t: float) -> str:
        return next((name for at, name in reversed(marks) if at <= t), "-")

    tree = [(t, sum(r.values()), r.get(main_pid, 0), len(r)) for t, r in samples]
    t, total, main, procs = max(tree, key=lambda x: x[1])
    print(f"peak tree {total / mb:.0f} MB at {t - t0:.1f} s in {step(t)}: main {main / mb:.0f} MB, "
          f"{procs - 1} workers {(total - main) / mb:.0f} MB")
    for at, name in marks:
        near = min(tree, key=lambda x: abs(x[0] - at))
        print(f"  {at - t0:7.2f} s {name:12s} tree {near[1] / mb:6.0f} MB  main {near[2] / mb:6.0f} MB")
    highest: dict[str, tuple] = {}
    for t, total, main, procs in tree:
        if total > highest.get(step(t), (0,))[0]:
            highest[step(t)] = (total, main, t)
    print("highest tree per step:")
    for name, (total, main, t) in highest.items():
        print(f"  {name:12s} tree {total / mb:6.0f} MB  main {main / mb:6.0f} MB at {t - t0:.1f} s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("input")
    ap.add_argument("output", nargs="?")
    ap.add_argument("--json", help="write the samples and marks here")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = a.output or str(Path(tmp) / "out.csv")
        marks_path = Path(tmp) / "marks.jsonl"
        t0 = time.time()
        pid, samples, output = sample([sys.executable, "-c", CHILD, a.input, out, str(marks_path)])
        marks = [tuple(json.loads(line)) for line in marks_path.read_text().splitlines()]
    print(output[-600:])
    report(pid, t0, samples, marks)
    if a.json:
        Path(a.json).write_text(json.dumps({"t0": t0, "main": pid, "samples": samples, "marks": marks}))


if __name__ == "__main__":
    main()
