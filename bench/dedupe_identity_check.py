"""Old vs new: `leadpipe dedupe` must give byte-identical results after a speed change.

Usage: python bench/dedupe_identity_check.py [--rows 100000] [--old main] [--seed 11]

Builds the low-repetition lead file of bench/dedupe_e2e_bench.py (`--rows`), exports the `--old` git revision
to a temporary folder, and runs in each tree (the old one by PYTHONPATH, the same interpreter and packages):
1. the file as read and mapped (`read_lead_file(...).mapped()`), normalised on 2 worker processes
   (`NormalisePool(2).normalise_frame`), written to Parquet: the normalised columns;
2. `leadpipe dedupe FILE OUT.csv`: the output people file.
Then compares the normalised frames (values and dtypes, column by column) and the two output files byte for
byte. Exit code 0 when both are identical; the first differences are printed otherwise.
Not a timing: run it without the bench lock.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

NORMALISE = """
import sys
from pathlib import Path
from enrichment.normalise_parallel import NormalisePool
from leadpipe.pipeline.dedupe_file import read_lead_file
import enrichment.normalise as n
assert n.__file__.startswith(sys.argv[3]), (n.__file__, sys.argv[3])
mapped = read_lead_file(Path(sys.argv[1])).mapped()
with NormalisePool(2) as pool:
    pool.normalise_frame(mapped).to_parquet(sys.argv[2])
"""
DEDUPE = """
import sys
import leadpipe.pipeline.dedupe_file as d
assert d.__file__.startswith(sys.argv[3]), (d.__file__, sys.argv[3])
from leadpipe.cli import main
sys.argv = ["leadpipe", "dedupe", sys.argv[1], sys.argv[2]]
main()
"""


def export(rev: str, into: Path) -> Path:
    archive = into / "old.tar"
    with archive.open("wb") as fh:
        subprocess.run(["git", "-C", str(ROOT), "archive", rev], check=True, stdout=fh)
    tree = into / "old"
    with tarfile.open(archive) as tar:
        tar.extractall(tree, filter="data")
    return tree


def run_in(tree: Path, script: str, *args: str) -> None:
    env = {"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin", "HOME": str(Path.home())}
    subprocess.run([sys.executable, "-c", script, *args, str(tree)], check=True, cwd=tree, env=env,
                   stdout=subprocess.DEVNULL)


def frame_differences(old: pd.DataFrame, new: pd.DataFrame) -> list[str]:
    if list(old.columns) != list(new.columns):
        return [f"columns differ: {list(old.columns)} vs {list(new.columns)}"]
    found = []
    for column in old.columns:
        a, b = old[column], new[column]
        if a.dtype != b.dtype:
            found.append(f"{column}: dtype {a.dtype} vs {b.dtype}")
        elif not a.equals(b):
            differ = ~((a == b).fillna(False) | (a.isna() & b.isna()))
            rows = list(differ[differ].index[:3])
            found.append(f"{column}: {int(differ.sum())} rows differ, e.g. rows {rows}: "
                         f"{a[rows].tolist()} vs {b[rows].tolist()}")
    return found


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--old", default="main", help="git revision of the old code")
    a = ap.parse_args()
    from dedupe_e2e_bench import prepare

    path, _ = prepare(a.rows, a.seed)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        trees = {"old": export(a.old, tmp), "new": ROOT}
        for label, tree in trees.items():
            run_in(tree, NORMALISE, str(path), str(tmp / f"{label}.parquet"))
            run_in(tree, DEDUPE, str(path), str(tmp / f"{label}.csv"))
        problems = frame_differences(pd.read_parquet(tmp / "old.parquet"), pd.read_parquet(tmp / "new.parquet"))
        old_out, new_out = (tmp / "old.csv").read_bytes(), (tmp / "new.csv").read_bytes()
        if old_out != new_out:
            at = next((i for i, (x, y) in enumerate(zip(old_out, new_out)) if x != y), min(len(old_out),
                                                                                        len(new_out)))
            problems.append(f"output files differ from byte {at} ({len(old_out)} vs {len(new_out)} bytes)")
        rows = len(pd.read_parquet(tmp / "new.parquet", columns=["email"]))
    print(f"{path.name}: {rows} rows, old = {a.old}")
    if problems:
        print("DIFFERENT:\n  " + "\n  ".join(problems))
        return 1
    print(f"identical: normalised columns (all, values and dtypes) and the output file ({len(new_out)} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
