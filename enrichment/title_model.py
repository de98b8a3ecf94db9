"""Department of a job title from public occupation titles: an exact-title lookup and a character + word n-gram
model.

Both are built from the O*NET 27.0 database (USDOL/ETA, CC BY 4.0), ESCO v1.1.1 (European Commission) and NOC 2021
(Statistics Canada, Open Government Licence - Canada; see enrichment/data/README.md) and ship in the package:
`onet_titles.csv`, `esco_titles.csv` and `noc_titles.csv` (titles with their department by the documented mapping of
each classification) and `title_model.npz` (a scikit-learn logistic regression over TF-IDF character n-grams within
words and TF-IDF word uni- and bigrams, each part l2-normalised on its own as scikit-learn's FeatureUnion does,
trained by `scripts/train_title_model.py` and exported as plain arrays). Nothing is downloaded and scikit-learn is not
needed at run time: the model's arithmetic is done here with numpy, exactly as scikit-learn does it (a test
compares the two). `enrichment.personas` asks these only where no rule names a department.
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from pathlib import Path

import numpy as np

from enrichment.title_text import normalise_title

DATA = Path(__file__).resolve().parent / "data"
TITLES_FILE = DATA / "onet_titles.csv"
ESCO_TITLES_FILE = DATA / "esco_titles.csv"  # ESCO v1.1.1 (scripts/build_esco_title_data.py)
NOC_TITLES_FILE = DATA / "noc_titles.csv"  # NOC 2021, development unit groups only (scripts/build_noc_title_data.py)
MODEL_FILE = DATA / "title_model.npz"


@dataclass(frozen=True)
class OnetTitle:
    """An exact O*NET title: every occupation it was reported under maps to this one department."""

    title: str
    soc_code: str  # the O*NET-SOC code, the ESCO occupation code (`origin` ESCO) or the NOC unit group (NOC 2021)
    department: str
    origin: str = "O*NET"


def training_rows() -> list[dict]:
    """The lookup's and the model's titles: title, code, group (whole groups for validation splits), department,
    origin. O*NET 27.0 titles (group: the O*NET-SOC code), ESCO v1.1.1 labels (group: the ISCO-08 unit group, as the
    ESCO evaluation halves are split) and NOC 2021 example titles of the development unit groups (group: the unit
    group)."""
    rows = []
    with TITLES_FILE.open(encoding="utf-8", newline="") as fh:
        rows += [{"title": r["title"], "code": r["soc_code"], "group": r["soc_code"], "department": r["department"],
                  "origin": "O*NET"} for r in csv.DictReader(fh)]
    if ESCO_TITLES_FILE.exists():
        with ESCO_TITLES_FILE.open(encoding="utf-8", newline="") as fh:
            rows += [{"title": r["title"], "code": r["code"], "group": f"ISCO {r['isco_group']}",
                      "department": r["department"], "origin": "ESCO"} for r in csv.DictReader(fh)]
    if NOC_TITLES_FILE.exists():
        with NOC_TITLES_FILE.open(encoding="utf-8", newline="") as fh:
            rows += [{"title": r["title"], "code": r["noc_code"], "group": f"NOC {r['noc_code']}",
                      "department": r["department"], "origin": "NOC 2021"} for r in csv.DictReader(fh)]
    return rows


@dataclass(frozen=True)
class Guess:
    department: str
    confidence: float  # the model's probability of `department`
    threshold: float  # below this the classifier answers `other` (unknown), chosen on a validation split


@lru_cache(maxsize=1)
def _lookup_table() -> dict[str, OnetTitle]:
    by_text: dict[str, list[dict]] = {}
    for row in training_rows():
        by_text.setdefault(normalise_title(row["title"]), []).append(row)
    table = {}
    for text, rows in by_text.items():
        if len({r["department"] for r in rows}) == 1:  # a title of two departments decides nothing
            table[text] = OnetTitle(rows[0]["title"], rows[0]["code"], rows[0]["department"], rows[0]["origin"])
    return table


def lookup(text: str) -> OnetTitle | None:
    """The O*NET title equal to the normalised `text`, when its occupations agree on one department."""
    return _lookup_table().get(text)


@dataclass(frozen=True)
class _Model:
    index: dict[str, int]  # character n-gram -> feature
    word_index: dict[str, int]  # word or "word word" -> feature (empty: a character-only model)
    idf: np.ndarray  # character features, then word features
    weights: np.ndarray  # (character + word features, classes)
    intercept: np.ndarray  # (classes,)
    classes: tuple[str, ...]
    ngram_range: tuple[int, int]
    word_ngram_range: tuple[int, int]
    threshold: float


@lru_cache(maxsize=1)
def _model() -> _Model:
    with np.load(MODEL_FILE, allow_pickle=False) as z:
        vocab = z["vocabulary"].tolist()
        idf, weights = z["idf"].astype(np.float64), z["weights"].astype(np.float64)
        words: list[str] = []
        word_range = (1, 1)
        if "word_vocabulary" in z.files:
            words = z["word_vocabulary"].tolist()
            idf = np.concatenate([idf, z["word_idf"].astype(np.float64)])
            weights = np.vstack([weights, z["word_weights"].astype(np.float64)])
            word_range = (int(z["word_ngram_range"][0]), int(z["word_ngram_range"][1]))
        return _Model(index={g: i for i, g in enumerate(vocab)},
                      word_index={g: len(vocab) + i for i, g in enumerate(words)},
                      idf=idf, weights=weights, intercept=z["intercept"].astype(np.float64),
                      classes=tuple(z["classes"].tolist()),
                      ngram_range=(int(z["ngram_range"][0]), int(z["ngram_range"][1])),
                      word_ngram_range=word_range, threshold=float(z["threshold"]))


def char_wb_ngrams(text: str, low: int, high: int) -> list[str]:
    """scikit-learn's `analyzer="char_wb"`: n-grams inside words padded with one space each side."""
    grams: list[str] = []
    for word in text.split():
        w = f" {word} "
        size = len(w)
        for n in range(low, high + 1):
            if size <= n:  # a padded word no longer than n counts once, and ends this word
                grams.append(w)
                break
            grams.extend([w[i:i + n] for i in range(size - n + 1)])
    return grams


@lru_cache(maxsize=65_536)
def _word_features(word: str) -> tuple[int, ...]:
    """The model's feature numbers of one word's n-grams (char_wb n-grams never cross words, so a title's
    features are its words' features: common words like "manager" are looked up once)."""
    m = _model()
    get = m.index.get
    return tuple(i for i in map(get, char_wb_ngrams(word, *m.ngram_range)) if i is not None)


def _word_ngrams(words: list[str], low: int, high: int) -> list[str]:
    """scikit-learn's `analyzer="word"` n-grams of already split words ("a b c", 1-2: a, b, c, "a b", "b c")."""
    return [" ".join(words[i:i + n]) for n in range(low, high + 1) for i in range(len(words) - n + 1)]


def _probabilities(text: str) -> np.ndarray:
    """Sublinear tf times idf for the character part and the word part, each l2-normalised on its own (as each
    part of scikit-learn's FeatureUnion), then one product with the weights of both parts and a softmax."""
    m = _model()
    words = text.split()
    chars = Counter([i for word in words for i in _word_features(word)])
    found: Counter = Counter()
    if m.word_index and words:
        get = m.word_index.get
        found = Counter([i for i in map(get, _word_ngrams(words, *m.word_ngram_range)) if i is not None])
    n, size = len(chars), len(chars) + len(found)
    if not size:
        scores = m.intercept
    else:
        idx = np.fromiter(chain(chars, found), dtype=np.intp, count=size)
        x = (1.0 + np.log(np.fromiter(chain(chars.values(), found.values()), dtype=np.float64, count=size))) * m.idf[idx]
        for part in (x[:n], x[n:]):
            if len(part):
                part /= math.sqrt(float(part @ part))
        scores = x @ m.weights[idx] + m.intercept
    e = np.exp(scores - scores.max())
    return e / e.sum()


def probabilities(text: str) -> dict[str, float]:
    """The model's probability of each department for the normalised `text` (sublinear TF-IDF, l2 norm)."""
    return dict(zip(_model().classes, _probabilities(text).tolist(), strict=True))


def guess(text: str) -> Guess:
    """The model's most probable department for the normalised `text`, with the shipped threshold."""
    m = _model()
    p = _probabilities(text)
    best = int(p.argmax())
    return Guess(m.classes[best], float(p[best]), m.threshold)
