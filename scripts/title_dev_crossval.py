"""The honest development figure once a development half's unit groups are in the lookup and the model.

Usage: .venv/bin/python scripts/title_dev_crossval.py [--set esco|noc] [--folds 5] [--json PATH]
       [--thresholds 0.4 0.5 ...]
esco_dev_titles.csv and noc_dev_titles.csv are drawn from the same unit groups that enrichment/data/esco_titles.csv
and noc_titles.csv are built from, so measuring them with the shipped lookup and model would read titles the
classifier was trained on. Here the set's unit groups are split into folds (whole groups, seeded); for each fold the
lookup and the model are rebuilt (the shipped setting: C, weighting and threshold of title_model.npz) without that
fold's groups, and the classifier (rules, lookup, model) answers that fold's dev titles (--thresholds: also at other
thresholds, the same models). No frozen set is read.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from train_title_model import _weights, export, make_model

from enrichment import personas, title_model
from enrichment.title_text import normalise_title

EVAL = REPO / "tests" / "data" / "title_eval"
# the development set, its unit-group column, and the group names training_rows() gives those groups
SETS = {"esco": (EVAL / "esco_dev_titles.csv", "isco_code", "ISCO "),
        "noc": (EVAL / "noc_dev_titles.csv", "noc_code", "NOC ")}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", choices=sorted(SETS), default="esco")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--json")
    ap.add_argument("--thresholds", type=float, nargs="*", default=[])
    args = ap.parse_args()
    with np.load(title_model.MODEL_FILE, allow_pickle=False) as z:
        threshold = float(z["threshold"])
        c, weighting = float(z["c"]), str(z["class_weight"])
    weighting = None if weighting == "none" else weighting
    rows = title_model.training_rows()
    dev_file, column, prefix = SETS[args.set]
    with dev_file.open(encoding="utf-8", newline="") as fh:
        dev = list(csv.DictReader(fh))
    groups = sorted({r[column] for r in dev})
    random.Random(18).shuffle(groups)
    fold_of = {g: i % args.folds for i, g in enumerate(groups)}
    thresholds = [threshold, *[t for t in args.thresholds if t != threshold]]
    got: dict[float, dict[int, personas.TitleClass]] = {t: {} for t in thresholds}
    original_rows, original_model = title_model.training_rows, title_model.MODEL_FILE
    with tempfile.TemporaryDirectory() as tmp:
        for fold in range(args.folds):
            out = {f"{prefix}{g}" for g, f in fold_of.items() if f == fold}
            train = [r for r in rows if r["group"] not in out]
            texts = [normalise_title(r["title"]) for r in train]
            depts = [r["department"] for r in train]
            model = make_model(c, _weights(weighting, depts)).fit(texts, depts)
            title_model.training_rows = lambda train=train: train
            for t in thresholds:
                path = Path(tmp) / f"fold{fold}-{t}.npz"
                export(model, t, path, c, weighting)
                title_model.MODEL_FILE = path
                for cached in (title_model._lookup_table, title_model._model, title_model._word_features,
                               personas.classify_title):
                    cached.cache_clear()
                for i, r in enumerate(dev):
                    if fold_of[r[column]] == fold:
                        got[t][i] = personas.classify_title(r["title"])
            print(f"fold {fold}: {len(out)} unit groups held out, {len(train)} training titles", file=sys.stderr)
    title_model.training_rows, title_model.MODEL_FILE = original_rows, original_model
    results = [_summary(dev, got[t], args.folds, c, weighting, t, show=t == threshold) for t in thresholds]
    for extra in results[1:]:
        print(f"  at threshold {extra['threshold']}: department {extra['department_accuracy']:.1%}, business-function "
              f"{extra['business_function_department_accuracy']:.1%}, lowest recall "
              f"{min(v['recall'] for d, v in extra['recall'].items() if d != 'other'):.1%}")
    if args.json:
        Path(args.json).write_text(json.dumps(results[0] if len(results) == 1 else results, indent=2) + "\n",
                                   encoding="utf-8")


def _summary(dev: list[dict], got: dict[int, personas.TitleClass], folds: int, c: float, weighting: str | None,
             threshold: float, show: bool = False) -> dict:
    result = {"titles": len(dev), "folds": folds, "c": c, "class_weight": weighting, "threshold": threshold}
    for field in ("seniority", "department"):
        result[f"{field}_accuracy"] = sum(getattr(got[i], field) == r[field] for i, r in enumerate(dev)) / len(dev)
    business = [i for i, r in enumerate(dev) if r["business_function"] == "yes"]
    result["business_function_department_accuracy"] = sum(got[i].department == dev[i]["department"]
                                                          for i in business) / len(business)
    recall = {}
    for dept, n in sorted(Counter(r["department"] for r in dev).items()):
        hits = sum(got[i].department == dept for i, r in enumerate(dev) if r["department"] == dept)
        recall[dept] = {"titles": n, "recall": hits / n}
    result["recall"] = recall
    result["department_by"] = dict(Counter(g.department_by for g in got.values()))
    if not show:
        return result
    print(f"{len(dev)} dev titles, {folds}-fold by unit group: seniority {result['seniority_accuracy']:.1%}, "
          f"department {result['department_accuracy']:.1%}, business-function "
          f"{result['business_function_department_accuracy']:.1%}")
    for dept, v in recall.items():
        print(f"  {dept:<12} {v['titles']:>5} {v['recall']:.1%}")
    print(f"department by: {result['department_by']}")
    return result


if __name__ == "__main__":
    main()
