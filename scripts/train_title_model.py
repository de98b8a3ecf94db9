"""Train the title -> department model from the committed titles and export it for enrichment.title_model.

Usage: .venv/bin/python scripts/train_title_model.py        (or: make title-model)
Reads enrichment/data/onet_titles.csv (built by scripts/build_title_data.py; no held-out code, no title of an
O*NET evaluation set), enrichment/data/esco_titles.csv (scripts/build_esco_title_data.py: ESCO v1.1.1 labels) and
enrichment/data/noc_titles.csv (scripts/build_noc_title_data.py: NOC 2021 example titles of the development unit
groups only, no frozen group, no frozen title) and writes enrichment/data/title_model.npz.
Deterministic: same data, same file.

A scikit-learn multinomial logistic regression over two TF-IDF parts (sublinear tf, each l2-normalised): character
2-4-grams inside words (spelling variants, word stems) and word uni- and bigrams (which words stand together).
The regularisation C, the class weighting (none, balanced, or the square root of balanced: `other` is most of
the titles) and the confidence threshold are chosen on a validation split of whole groups (20%, seed 18): O*NET-SOC
codes, ISCO-08 unit groups and NOC unit groups (as the evaluation halves are split), never on an evaluation set.
The classifier is simulated as it runs (rules first, then the exact-title lookup built from the training part, then
the model), and the setting with the best mean of six department accuracies wins: all and business-function validation
titles (the targets judge both), of O*NET, ESCO and NOC alike, among the settings that keep the German, French and
Spanish titles of tests/data/job_titles_holdout.csv at the previous round's department accuracy (HOLDOUT_FLOORS; a
lower threshold sends more `other` titles of those languages to a business guess). The final model is then fitted
on all titles with that setting, and must keep those floors as well: where it does not, the next best setting is
fitted (the fifth round's best, balanced weights, kept them on validation and fell below them as shipped: de 67 of
70, fr 63 of 71 right).
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupShuffleSplit
from sklearn.pipeline import make_pipeline, make_union

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from enrichment.personas import _by_rules, _repair_typos, generic_title, trade_words
from enrichment.title_model import MODEL_FILE, training_rows
from enrichment.title_text import normalise_title

NGRAMS = (2, 4)
WORD_NGRAMS = (1, 2)
SEED = 18
C_GRID = (2.0, 5.0)  # 10 never won a validation split (rounds 3 and 4) and is the slowest fit
CLASS_WEIGHTS = (None, "sqrt", "balanced")  # "sqrt": halfway (in log) between none and balanced
THRESHOLDS = tuple(round(0.30 + 0.05 * i, 2) for i in range(14))  # 0.30 .. 0.95
# German, French and Spanish titles must keep working: a setting is only chosen if the classifier with the validation
# model keeps tests/data/job_titles_holdout.csv (a development and regression set) at or above the department
# accuracy of the third round in each of these languages (docs/title-accuracy.md: de 97.1%, fr 91.5%, es 91.2%, i.e.
# 68 of 70, 65 of 71, 62 of 68 titles right).
HOLDOUT = REPO / "tests" / "data" / "job_titles_holdout.csv"
HOLDOUT_FLOORS = {"de": 68, "fr": 65, "es": 62}  # titles right: of 70, 71 and 68


def _weights(name: str | None, depts: list[str]) -> dict[str, float] | str | None:
    """scikit-learn's class weights; "sqrt" is the square root of "balanced" (n / (classes * n_class)): with the
    alternate titles `other` is 86% of the training titles, and full balancing overshoots."""
    if name != "sqrt":
        return name
    counts = {d: depts.count(d) for d in sorted(set(depts))}
    return {d: (len(depts) / (len(counts) * n)) ** 0.5 for d, n in counts.items()}


def make_model(c: float, class_weight: str | dict[str, float] | None = None):
    return make_pipeline(
        make_union(
            TfidfVectorizer(analyzer="char_wb", ngram_range=NGRAMS, lowercase=False, sublinear_tf=True, min_df=2),
            # the normal form is lower-case words split by single spaces: split on spaces, as the runtime does
            TfidfVectorizer(analyzer="word", ngram_range=WORD_NGRAMS, lowercase=False, sublinear_tf=True,
                            token_pattern=r"\S+")),
        LogisticRegression(C=c, max_iter=5000, class_weight=class_weight))


def _lookup(texts: list[str], depts: list[str]) -> dict[str, str]:
    seen = defaultdict(set)
    for t, d in zip(texts, depts, strict=True):
        seen[t].add(d)
    return {t: next(iter(ds)) for t, ds in seen.items() if len(ds) == 1}


def _holdout_right(model, table: dict[str, str], t: float, holdout: list[dict], h_texts: list[str]) -> dict[str, int]:
    """Titles right per language of the German, French and Spanish holdout titles, as classify_title answers them
    with this model, lookup table and threshold: rules (also after typo repair), generic and trade titles, lookup,
    then the model above the threshold."""
    answers: dict[int, str | None] = {}
    asked = []
    for i, text in enumerate(h_texts):
        dept = _by_rules(text)[1] or _by_rules(_repair_typos(text))[1] or ("other" if generic_title(text) else None)
        if dept is None and text not in table and trade_words(text):
            dept = "other"
        if dept is None and text in table:
            dept = table[text]
        if dept is None:
            asked.append(i)
        answers[i] = dept
    if asked:
        proba = model.predict_proba([h_texts[i] for i in asked])
        for i, k, p in zip(asked, proba.argmax(axis=1), proba.max(axis=1), strict=True):
            answers[i] = model.classes_[k] if p >= t else "other"
    return {lang: sum(answers[i] == r["department"] for i, r in enumerate(holdout) if r["language"] == lang)
            for lang in HOLDOUT_FLOORS}


def main() -> None:
    rows = training_rows()
    texts = [normalise_title(r["title"]) for r in rows]
    depts = [r["department"] for r in rows]
    groups = [r["group"] for r in rows]  # whole O*NET-SOC codes, ISCO-08 unit groups (ESCO), NOC unit groups
    origins = sorted({r["origin"] for r in rows})
    train, valid = next(GroupShuffleSplit(n_splits=1, test_size=0.2, random_state=SEED).split(texts, depts, groups))
    table = _lookup([texts[i] for i in train], [depts[i] for i in train])
    # as classify_title: the rules (and a title of level and role words only is `other`), then the lookup, then a
    # trade or teaching title is `other`, then the model
    rule = {i: _by_rules(texts[i])[1] or ("other" if generic_title(texts[i]) else None) for i in valid}
    rule.update({i: "other" for i in valid if rule[i] is None and texts[i] not in table and trade_words(texts[i])})
    with HOLDOUT.open(encoding="utf-8", newline="") as fh:
        holdout = [r for r in csv.DictReader(fh) if r["language"] in HOLDOUT_FLOORS]
    h_texts = [normalise_title(r["title"]) for r in holdout]
    candidates = []  # (score, C, weighting, threshold) of every setting that kept the floors on validation
    for c, weighting in ((c, w) for c in C_GRID for w in CLASS_WEIGHTS):
        model = make_model(c, _weights(weighting, [depts[i] for i in train])).fit(
            [texts[i] for i in train], [depts[i] for i in train])
        asked = [i for i in valid if rule[i] is None and texts[i] not in table]
        proba = model.predict_proba([texts[i] for i in asked])
        top = proba.argmax(axis=1)
        for t in THRESHOLDS:
            right = _holdout_right(model, table, t, holdout, h_texts)
            kept = all(right[lang] >= floor for lang, floor in HOLDOUT_FLOORS.items())
            languages = {lang: right[lang] / sum(r["language"] == lang for r in holdout) for lang in HOLDOUT_FLOORS}
            answer = dict(rule)
            answer.update({i: table[texts[i]] for i in valid if rule[i] is None and texts[i] in table})
            for i, k, p in zip(asked, top, proba.max(axis=1), strict=True):
                answer[i] = model.classes_[k] if p >= t else "other"
            acc = sum(answer[i] == depts[i] for i in valid) / len(valid)
            business = [i for i in valid if depts[i] != "other"]
            acc_b = sum(answer[i] == depts[i] for i in business) / len(business)
            # each source weighs the same: all and business-function titles of O*NET, ESCO and NOC
            parts, notes = [], []
            for origin in origins:
                o_all = [i for i in valid if rows[i]["origin"] == origin]
                o_bus = [i for i in o_all if depts[i] != "other"]
                if o_all and o_bus:
                    pair = [sum(answer[i] == depts[i] for i in part) / len(part) for part in (o_all, o_bus)]
                    parts += pair
                    notes.append(f"{origin} part {pair[0]:.1%}, business {pair[1]:.1%}")
            score = sum(parts) / len(parts)
            source_note = "; " + "; ".join(notes)
            print(f"C={c:<5} class weight={weighting} threshold={t:.2f}: validation department {acc:.1%} "
                  f"(business {acc_b:.1%}, {len(asked)} of {len(valid)} titles asked the model{source_note}); "
                  + " ".join(f"{lang} {v:.1%}" for lang, v in languages.items()) + ("" if kept else " (falls back)"))
            if kept:
                candidates.append((score, c, weighting, t))
    # the floors hold for the shipped model too: fitted on all titles it can answer a German or French title
    # differently, so the best setting whose final model keeps them wins
    full_table, fitted = _lookup(texts, depts), {}
    for score, c, weighting, t in sorted(candidates, key=lambda x: (-x[0], x[1], str(x[2]), x[3])):
        if (c, weighting) not in fitted:
            fitted[(c, weighting)] = make_model(c, _weights(weighting, depts)).fit(texts, depts)
        right = _holdout_right(fitted[(c, weighting)], full_table, t, holdout, h_texts)
        if all(right[lang] >= floor for lang, floor in HOLDOUT_FLOORS.items()):
            final = fitted[(c, weighting)]
            break
        print(f"C={c} class weight={weighting} threshold={t}: the model fitted on all titles falls back on "
              + " ".join(f"{lang} {right[lang]}" for lang in HOLDOUT_FLOORS))
    else:
        sys.exit("no setting keeps the German, French and Spanish floors with the model fitted on all titles")
    print(f"chosen C={c}, class weight={weighting}, threshold={t} (validation: mean of department accuracy on all "
          f"and on business-function titles, of O*NET, ESCO and NOC alike: {score:.1%}; de/fr/es of "
          f"{HOLDOUT.name} kept at or above {HOLDOUT_FLOORS} titles right)")
    export(final, t, MODEL_FILE, c, weighting)
    chars, words = (v for _, v in final.steps[0][1].transformer_list)
    print(f"wrote {MODEL_FILE.relative_to(REPO)}: {len(chars.vocabulary_)} character n-grams, "
          f"{len(words.vocabulary_)} word n-grams, "
          f"{len(final.classes_)} departments, {MODEL_FILE.stat().st_size / 1e6:.2f} MB")


def export(model, threshold: float, path: Path, c: float = 0.0, weighting: str | None = None) -> None:
    """The fitted pipeline as the plain arrays enrichment.title_model reads (float32: half the size, and the
    probabilities move by less than 1e-5)."""
    (_, chars), (_, words) = model.steps[0][1].transformer_list
    clf = model.steps[1][1]
    n = len(chars.vocabulary_)
    weights = clf.coef_.T.astype(np.float32)
    np.savez_compressed(path, vocabulary=np.array(chars.get_feature_names_out().tolist()),
                        idf=chars.idf_.astype(np.float32), weights=weights[:n],
                        word_vocabulary=np.array(words.get_feature_names_out().tolist()),
                        word_idf=words.idf_.astype(np.float32), word_weights=weights[n:],
                        intercept=clf.intercept_.astype(np.float32), classes=np.array(clf.classes_.tolist()),
                        ngram_range=np.array(chars.ngram_range), word_ngram_range=np.array(words.ngram_range),
                        threshold=np.array(threshold), c=np.array(c),
                        class_weight=np.array(weighting or "none"))


if __name__ == "__main__":
    main()
