"""Fellegi-Sunter match weights: m/u per comparator level, m and the match rate by EM, u by random pairs.

Weights are log2 Bayes factors, so an explanation can show how many bits each field added. Exact first- and
last-name agreement is term-frequency adjusted: two 'Müller's agree often by chance, two 'Oyelaran's do not.
On tiny inputs (a handful of rows, unit tests, a small web-form batch) there is nothing to learn from, so the
hand-set defaults below are used as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from enrichment.dedupe.comparators import (
    CITY,
    COMPANY,
    COMPARATORS,
    DOMAIN,
    EMAIL,
    FIRST,
    HOUSE,
    LAST,
    LINE2,
    PHONE,
    POSTCODE,
    STREET,
    TITLE,
    Comparison,
    compare,
)
from enrichment.dedupe.features import Features
from enrichment.dedupe.parallel import on_slices

# per comparator: m and u for levels 1..L (level 0 = missing is neutral)
DEFAULT_M = (
    (0.80, 0.08, 0.06, 0.04, 0.02),
    (0.88, 0.06, 0.03, 0.03),
    (0.55, 0.05, 0.20, 0.20),
    (0.60, 0.40),
    (0.85, 0.10, 0.05),
    (0.90, 0.10),
    (0.60, 0.20, 0.20),
    (0.80, 0.08, 0.12),  # city
    (0.80, 0.08, 0.12),  # postcode
    (0.75, 0.12, 0.05, 0.08),  # street
    (0.85, 0.15),  # house number
    (0.70, 0.15, 0.15),  # address line 2
    (0.95, 0.05),  # state
)
DEFAULT_U = (
    (0.004, 0.002, 0.004, 0.03, 0.96),
    (0.002, 0.001, 0.01, 0.987),
    (1e-6, 1e-5, 0.002, 0.998),
    (0.001, 0.999),
    (0.001, 0.004, 0.995),
    (0.002, 0.998),
    (0.02, 0.05, 0.93),
    (0.02, 0.005, 0.975),
    (0.001, 0.01, 0.989),
    (0.001, 0.001, 0.005, 0.993),
    (0.02, 0.98),
    (0.001, 0.002, 0.997),
    (0.2, 0.8),
)
# the comparators of models saved before the postal address (city and postcode then exact/different only)
LEGACY_NAMES = ("first_name", "last_name", "email", "phone", "company", "domain", "job_title", "city", "postcode")
DEFAULT_PRIOR = 1e-4  # chance two random leads are one person, when it cannot be estimated
MIN_RECORDS_TO_TRAIN = 1000
MIN_PAIRS_TO_TRAIN = 300
MIN_SESSION_PAIRS = 100  # an EM session needs this many pairs, and a comparator this many present in it
RANDOM_PAIRS = 150_000
EM_PAIRS = 400_000  # candidate pairs EM learns from; above this a deterministic sample
# A phone number given by this many different names is a person's own (one person's rows spell the name two
# ways: 'Jon'/'John Smyth'); from there on its agreement weight halves per doubling of the names, and at twice
# this many (a switchboard) agreeing on it says nothing about being one person.
PERSONAL_LINE_NAMES = 2
# Below this share of clearly different first names among pairs at one address under one surname, the file's
# duplicates rewrite first names (a test or a corrupted list) rather than list households; measured on at least
# HOUSEHOLD_PAIRS such pairs, else households are assumed (FEBRL1/2: 0.10 and 0.11; a household of two listed
# twice each: 4 of 6 pairs).
PERSONAL_ADDRESSES = 2  # a person's work and private address share a local part; more are namesakes
LOCAL_PART_BITS = 1.0  # bits off the same-local-part level per doubling of the addresses sharing it
NAME_MADE_BITS = 1.0  # what a name-made local part adds once the names agree (at 1M: 593 of 2106 such links true)
HOUSEHOLD_SHARE = 0.25
RARE_SPELLING = 20  # a first-name spelling this many times rarer than a similar one is a typo of it
HOUSEHOLD_PAIRS = 50
TF_FIELDS = {FIRST: "fn", LAST: "ln", CITY: "city"}  # comparator -> feature whose exact agreement is tf-adjusted


@dataclass
class Model:
    m: list[np.ndarray]  # index 0 (missing) unused
    u: list[np.ndarray]
    prior: float
    tf: dict[str, dict[str, float]] = field(default_factory=dict)  # "first_name"/"last_name" -> value -> share
    trained: bool = False
    em_iterations: int = 0
    # Among candidate pairs with one surname at one street address (house number too), the share whose first
    # names are clearly different (1.0 = not measured: a household is assumed). See `households`.
    first_name_change: float = 1.0

    @property
    def households(self) -> bool:
        """Whether one surname at one address with another first name is another person (a household).

        On a consumer list most such pairs are a spouse or a relative; a file whose duplicates rewrite the first
        name (FEBRL changes it in about one duplicate in ten) shows it here: there, among the pairs at one
        address under one surname, a different first name is the exception, not a second household member.
        """
        return self.first_name_change >= HOUSEHOLD_SHARE

    @classmethod
    def default(cls) -> Model:
        return cls([np.r_[1.0, m] for m in DEFAULT_M], [np.r_[1.0, u] for u in DEFAULT_U], DEFAULT_PRIOR)

    def bayes_bits(self) -> list[np.ndarray]:
        """log2(m/u) per comparator level; 0 for missing."""
        out = []
        for m, u in zip(self.m, self.u, strict=True):
            b = np.log2(np.clip(m, 1e-9, None) / np.clip(u, 1e-9, None))
            b[0] = 0.0
            out.append(b)
        return out

    def to_json(self) -> dict:
        return {"comparators": [c.name for c in COMPARATORS], "m": [x.tolist() for x in self.m],
                "u": [x.tolist() for x in self.u], "prior": self.prior, "tf": self.tf, "trained": self.trained,
                "first_name_change": self.first_name_change}

    @classmethod
    def from_json(cls, data: dict) -> Model:
        """A saved model; comparators it lacks, or whose levels have changed since, get the defaults."""
        names = data.get("comparators", LEGACY_NAMES)
        saved = {n: (np.array(m), np.array(u)) for n, m, u in zip(names, data["m"], data["u"], strict=True)}
        base = cls.default()
        for k, c in enumerate(COMPARATORS):
            m, u = saved.get(c.name, (None, None))
            if m is not None and len(m) == len(c.levels) + 1 == len(u):
                base.m[k], base.u[k] = m, u
        return cls(base.m, base.u, float(data["prior"]), data.get("tf", {}), bool(data.get("trained", True)),
                   first_name_change=float(data.get("first_name_change", 1.0)))

    def as_dict(self) -> dict:
        return {"prior": self.prior, "trained": self.trained, "em_iterations": self.em_iterations,
                "first_name_change": self.first_name_change,
                "comparators": {c.name: {lvl: {"m": float(self.m[k][i + 1]), "u": float(self.u[k][i + 1])}
                                         for i, lvl in enumerate(c.levels)} for k, c in enumerate(COMPARATORS)}}


def _encode(gamma: np.ndarray) -> np.ndarray:
    code = np.zeros(len(gamma), np.int64)
    for k in range(gamma.shape[1]):
        code = code * 8 + gamma[:, k]
    return code


def estimate_u(f: Features, rng: np.random.Generator, n_pairs: int = RANDOM_PAIRS) -> list[np.ndarray]:
    """Level frequencies among random record pairs: almost all of them are different people."""
    n = len(f)
    a = rng.integers(0, n, n_pairs)
    b = rng.integers(0, n, n_pairs)
    keep = a != b
    gamma = compare(f, a[keep], b[keep]).gamma
    u = []
    for k, c in enumerate(COMPARATORS):
        counts = np.bincount(gamma[:, k], minlength=len(c.levels) + 1)[1:].astype(float)
        share = (counts + 0.5) / (counts.sum() + 0.5 * len(c.levels))
        u.append(np.r_[1.0, share])
    return u


def pair_hash(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """A well-mixed 64-bit hash of each (left, right) record pair (splitmix64): sampling and partitioning."""
    x = left.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) ^ right.astype(np.uint64)
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def train_sample(left: np.ndarray, right: np.ndarray, n_records: int) -> np.ndarray:
    """Which candidate pairs EM learns from: all up to EM_PAIRS, else a hash-chosen share of about EM_PAIRS.

    EM runs over distinct agreement patterns, so what costs is comparing the pairs; a few hundred thousand
    pairs pin m down to the third decimal. Depends on the pairs only, never on how they were partitioned.
    """
    if len(left) <= EM_PAIRS:
        return np.ones(len(left), bool)
    step = -(-len(left) // EM_PAIRS)
    return pair_hash(left, right) % np.uint64(step) == 0


# EM sessions, as Splink trains: each runs on the candidate pairs that agree exactly on its blocking fields and
# learns m for every other comparator (the blocking fields cannot be learned where they always agree). A
# comparator takes m from the first session, in this order, that saw it filled in often enough.
SESSIONS: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("same email", (EMAIL,)),
    ("same company and last name", (COMPANY, LAST)),
    ("same postcode", (POSTCODE,)),
    ("same first and last name", (FIRST, LAST)),
)


def train(f: Features, comparison: Comparison, seed: int = 0, max_iter: int = 40,
          total_pairs: int | None = None) -> Model:
    """m by EM in sessions (as Splink does), u from random pairs, then the overall prior.

    EM over all candidate pairs learns the wrong class: namesakes ("Pierre Bernard" at six companies) are so
    common among name-blocked pairs that "same name" becomes the match class. So m is learned where the
    blocking field itself is left out (SESSIONS): on pairs with the same email for every other field, on pairs
    at the same company with the same last name for the email field; a file without emails or companies (a
    consumer list) learns from pairs with the same postcode, and its postcode from pairs with the same name.
    A comparator no session saw filled in (a field the file lacks) keeps its default m; it is missing in
    every pair anyway, so it weighs nothing.
    """
    model = Model.default()
    n = len(f)
    if n < MIN_RECORDS_TO_TRAIN or len(comparison.gamma) < MIN_PAIRS_TO_TRAIN:
        return model
    model.u = estimate_u(f, np.random.default_rng(seed))
    g = comparison.gamma
    learned: set[int] = set()
    for _, fields in SESSIONS:
        todo = [k for k in range(len(COMPARATORS)) if k not in learned and k not in fields]
        if not todo:
            continue
        session = g[np.logical_and.reduce([g[:, k] == 1 for k in fields])]
        if len(session) < MIN_SESSION_PAIRS:
            continue
        m, _ = _em(model, session, frozen=set(fields), max_iter=max_iter)
        for k in todo:
            if (session[:, k] > 0).sum() >= MIN_SESSION_PAIRS:
                model.m[k] = m[k]
                learned.add(k)
    # the prior: expected matches among all candidate pairs, over all possible pairs
    _, lam = _em(model, g, frozen=set(range(len(COMPARATORS))), max_iter=max_iter)
    pairs = len(g) if total_pairs is None else total_pairs  # `comparison` may be a sample of the pairs
    model.prior = float(np.clip(lam * pairs / (n * (n - 1) / 2), 1e-12, 0.5))
    model.tf = {COMPARATORS[k].name: _shares(*f.code(name)) for k, name in TF_FIELDS.items()}
    model.first_name_change = first_name_change(g)
    model.trained = True
    return model


def first_name_change(gamma: np.ndarray) -> float:
    """Share of clearly different first names among pairs with one surname, street and house number (1.0 when
    fewer than HOUSEHOLD_PAIRS such pairs: not measured)."""
    same_home = (gamma[:, LAST] == 1) & (gamma[:, STREET] == 1) & (gamma[:, HOUSE] == 1) & (gamma[:, FIRST] > 0)
    if same_home.sum() < HOUSEHOLD_PAIRS:
        return 1.0
    return float((gamma[same_home, FIRST] == 5).mean())


def refine_prior(model: Model, f: Features, left: np.ndarray, right: np.ndarray, comparison: Comparison,
                 total_pairs: int, rounds: int = 3) -> Model:
    """The prior again, from the probabilities the full score gives (term frequencies, vetoes, namesakes).

    EM over agreement patterns counts every pair with the same name as a likely match, namesakes at other
    companies included, so its prior grows with every name-based blocking pass. The expected number of
    matches under the score actually used to decide is a fixed point a few rounds reach.
    """
    if not model.trained or len(left) == 0:
        return model
    n = len(f)
    # Only the prior's own term of the weight changes between rounds: score once, then move that term.
    s = score(model, f, left, right, comparison)
    evidence = s.weight.astype(np.float64) - np.log2(model.prior / (1 - model.prior))
    # pairs a rule decides (score's hard rules; an unidentified link counts as no match here), not the weight
    fixed = np.where(s.unidentified, 0.0, s.probability)
    free = ~(s.by_rule | s.unidentified)
    for _ in range(rounds):
        p = np.where(free, 1.0 / (1.0 + np.exp2(-(evidence + np.log2(model.prior / (1 - model.prior))))), fixed)
        expected = float(p.sum()) * total_pairs / len(left)
        model.prior = float(np.clip(expected / (n * (n - 1) / 2), 1e-12, 0.5))
    return model


def _em(model: Model, gamma: np.ndarray, frozen: set[int], max_iter: int) -> tuple[list[np.ndarray], float]:
    """EM over distinct agreement patterns; comparators in `frozen` neither vote nor get updated."""
    _, first, counts = np.unique(_encode(gamma), return_index=True, return_counts=True)
    patterns = gamma[first]
    weights = counts.astype(float)
    m = [x.copy() for x in model.m]
    lam = 0.5
    active = [k for k in range(len(COMPARATORS)) if k not in frozen]
    for it in range(max_iter):
        trial = Model(m, model.u, model.prior)
        bb = trial.bayes_bits()
        bits = sum((bb[k][patterns[:, k]] for k in active), np.zeros(len(patterns)))
        post = 1.0 / (1.0 + np.exp2(-(bits + np.log2(lam / (1 - lam)))))
        wm = weights * post
        delta = 0.0
        for k in active:
            levels = len(COMPARATORS[k].levels)
            tot = np.bincount(patterns[:, k], weights=wm, minlength=levels + 1)
            present = tot[1:].sum()
            if present > 0:
                new = np.r_[1.0, (tot[1:] + 1e-3) / (present + 1e-3 * levels)]
                delta = max(delta, float(np.abs(new - m[k]).max()))
                m[k] = new
        new_lam = float(np.clip(wm.sum() / weights.sum(), 1e-6, 1 - 1e-6))
        delta = max(delta, abs(new_lam - lam))
        lam = new_lam
        model.em_iterations += 1
        if delta < 1e-4:
            break
    return m, lam


def _shares(codes: np.ndarray, uniques: np.ndarray) -> dict[str, float]:
    c = np.bincount(codes[codes >= 0], minlength=len(uniques))
    return dict(zip(uniques.tolist(), (c / max(c.sum(), 1)).tolist(), strict=True))


@dataclass
class Scores:
    weight: np.ndarray  # total match weight in bits, prior included
    probability: np.ndarray
    bits: np.ndarray  # (pairs, comparators) contribution of each comparator, tf adjustment included
    cannot_link: np.ndarray  # bool: a hard rule says these are two people
    unidentified: np.ndarray  # bool: no company and nothing personal agrees: never merged on this link alone
    by_rule: np.ndarray  # bool: `probability` is a hard rule's (0 or 1), not the weight's


def _name_made(f: Features, rows: np.ndarray) -> np.ndarray:
    """Per row, whether its email's local part is spelt from its own names (letters only, either order, or an
    initial with the other name): the usual patterns of work and private addresses."""
    def letters(name: str) -> pd.Series:
        codes, uniques = f.code(name)
        picked = codes[rows]
        text = np.where(picked >= 0, uniques[np.maximum(picked, 0)] if len(uniques) else "", "")
        return pd.Series(text, dtype=object).str.replace(r"[^a-z]", "", regex=True)

    fn, ln, local = letters("fn"), letters("ln"), letters("email_local")
    candidates = (fn + ln, ln + fn, fn.str[:1] + ln, ln + fn.str[:1], fn, ln)
    return np.logical_or.reduce([((local == c) & (c.str.len() > 0)).to_numpy(bool) for c in candidates])


def _tf_per_value(model: Model, f: Features, k: int, name: str, floor: float) -> np.ndarray:
    """The model's term frequency of each distinct value of a field (and `floor` for blank, last), built once
    per model and feature set: scoring runs several times per run (prior, clusters, partitions)."""
    share = model.tf[COMPARATORS[k].name]
    key = (name, id(share), len(f))
    cached = f.tf_cache.get(key)
    if cached is None or cached[0] is not share:
        _, uniques = f.code(name)
        per_value = pd.Series(uniques, dtype=object).map(share).fillna(floor).to_numpy(np.float64)
        cached = f.tf_cache[key] = (share, np.r_[per_value, floor])
    return cached[1]


def score(model: Model, f: Features, left: np.ndarray, right: np.ndarray, cmp: Comparison) -> Scores:
    """Match weight and probability per pair; big pair lists are scored in slices on threads."""
    return on_slices(len(left), lambda s: _score(model, f, left[s], right[s], cmp.take(s)))


def _score(model: Model, f: Features, left: np.ndarray, right: np.ndarray, cmp: Comparison) -> Scores:
    bb = model.bayes_bits()
    table = np.zeros((len(bb), max(len(b) for b in bb)), np.float32)
    for k, b in enumerate(bb):
        table[k, :len(b)] = b
    bits = table[np.arange(len(bb)), cmp.gamma]  # (pairs, comparators): level -> bits, one gather
    if model.trained:
        for k, name in TF_FIELDS.items():
            exact = cmp.gamma[:, k] == 1
            if exact.any() and COMPARATORS[k].name in model.tf:
                floor = 1.0 / max(len(f), 1)
                codes = f.codes(name)
                tf = _tf_per_value(model, f, k, name, floor)[codes[left[exact]]]
                adj = np.log2(model.u[k][1] / np.maximum(tf, floor))
                bits[exact, k] += np.clip(adj, -10, 10).astype(np.float32)
    # A full name found at several companies is a namesake-prone name: its agreement weighs down by the
    # log of that count (two companies: one bit), whatever else the pair shares.
    both_names = (cmp.gamma[:, FIRST] == 1) & (cmp.gamma[:, LAST] == 1)
    if both_names.any():
        spread = np.maximum(f.name_companies[left], f.name_companies[right])
        bits[:, LAST] -= np.where(both_names, np.log2(np.maximum(spread, 1)), 0).astype(np.float32)
    # Term frequency of the phone over distinct names: a number shared by many different names at one company
    # is its switchboard. Its u rises with the count, so its agreement weighs less and less (never below 0:
    # sharing a line is no evidence of being two people either).
    phone_exact = cmp.gamma[:, PHONE] == 1
    shared = f.phone_names[left]
    personal_phone = phone_exact & (shared <= PERSONAL_LINE_NAMES)
    if phone_exact.any():
        keep = np.clip(1.0 - np.log2(np.maximum(shared, 1) / PERSONAL_LINE_NAMES), 0.0, 1.0).astype(np.float32)
        bits[:, PHONE] = np.where(phone_exact & (bits[:, PHONE] > 0), bits[:, PHONE] * keep, bits[:, PHONE])
    # The same local part at another domain (jane.doe@gmail vs jane.doe@acme) is one person's two addresses;
    # a local part at many domains is many namesakes: one bit less per doubling of its addresses beyond two.
    same_local = cmp.gamma[:, EMAIL] == 2
    if same_local.any() and model.trained:
        spread = np.maximum(f.local_addresses[left], f.local_addresses[right])
        cut = LOCAL_PART_BITS * np.log2(np.maximum(spread, PERSONAL_ADDRESSES) / PERSONAL_ADDRESSES)
        bits[:, EMAIL] -= np.where(same_local, np.minimum(cut, np.maximum(bits[:, EMAIL], 0)), 0).astype(np.float32)
    # A local part made of the name ('emily.miller', 'millere', 'e.miller') agrees whenever the names do and
    # both people chose the usual pattern: with the names already counted it adds next to nothing
    # ('Emily Miller' at gmail and at an employer are namesakes as often as the name says).
    made = np.nonzero(same_local & (cmp.gamma[:, FIRST] == 1) & (cmp.gamma[:, LAST] == 1))[0]
    if len(made) and model.trained:
        name_made = _name_made(f, left[made])
        bits[made[name_made], EMAIL] = np.minimum(bits[made[name_made], EMAIL], NAME_MADE_BITS)
    weight = bits.sum(axis=1) + np.log2(model.prior / (1 - model.prior))
    # Two different email addresses belong to one person only when the names agree too (Anna vs Anne Meyer
    # at one company are colleagues); a weak name match cannot be outvoted by a shared company and phone.
    # A first name typed once in the whole file (or RARE_SPELLING times less often than the other) and similar
    # to the other (Jaro-Winkler 0.80, not just an initial) is a typo of it ('Gufula'/'Gudula', 'Matc'/'Marc'),
    # not a colleague's other name (Anna/Anne both recur); only a file big enough to count names says so.
    first_typo = np.zeros(len(left), bool)
    if model.trained:
        ca, cb = f.fn_count[left], f.fn_count[right]
        rare = (np.minimum(ca, cb) <= 1) | (np.minimum(ca, cb) * RARE_SPELLING <= np.maximum(ca, cb))
        first_typo = (cmp.gamma[:, FIRST] == 4) & (cmp.score[:, FIRST] >= 0.80) & rare
    names_agree = (((cmp.gamma[:, FIRST] >= 1) & (cmp.gamma[:, FIRST] <= 3)) | first_typo) \
        & (cmp.gamma[:, LAST] >= 1) & (cmp.gamma[:, LAST] <= 3)
    # First or last name clearly different: two people, whatever company, domain or switchboard they share.
    names_differ = (cmp.gamma[:, FIRST] == 5) | (cmp.gamma[:, LAST] == 4)
    # Namesakes: when neither record names a company (missing, or a placeholder such as '#N/A' or 'Self-employed',
    # which features blank), the same name is not enough. Something that identifies the person must agree too:
    # the email (or its local part at a private address), their own phone, the company domain, or the postcode.
    # (A web-form row with a private address and no company still joins the work record of a rarely named
    # person: that record names the company.) Not a cannot-link: such a pair may still become one person
    # through a third record that links both.
    # A postal address identifies too: the same street (a typo at most) with no different house number and
    # the house number, line 2 or postcode agreeing; or two of street, house number, line 2, postcode and
    # city agreeing (a typo at most each), one of them from the street lines unless the file is an address
    # list. A B2B file without street lines has only postcode and city: there, only the same postcode
    # identifies, as before.
    g = cmp.gamma

    def near(k: int, top: int = 2) -> np.ndarray:
        return (g[:, k] >= 1) & (g[:, k] <= top)

    street_address = near(STREET) & (g[:, HOUSE] != 2) & ((g[:, HOUSE] == 1) | near(LINE2) | near(POSTCODE))
    line_facts = near(STREET).astype(np.int8) + (g[:, HOUSE] == 1) + near(LINE2)
    address_facts = np.where((line_facts > 0) | f.is_address_list, line_facts + near(POSTCODE) + near(CITY), 0)
    # Or the same job title in the same town: a namesake rarely shares both (a typo in the town at most).
    title_and_town = (g[:, TITLE] == 1) & near(CITY)
    identified = (g[:, EMAIL] == 1) | (g[:, EMAIL] == 2) | personal_phone \
        | (g[:, DOMAIN] == 1) | (g[:, POSTCODE] == 1) | street_address | (address_facts >= 2) | title_and_town
    company = f.codes("company")
    no_company = (company[left] < 0) & (company[right] < 0)
    unidentified = no_company & ~identified
    # A clearly different name is two people where people are told apart by company and email (colleagues;
    # a household at one postcode). On an address list (street, house number or line 2 on both records, no
    # company, no two emails), a name typed quite differently is evidence the weights set against the address, not a veto:
    # such lists corrupt names (FEBRL's duplicates change a whole first name in about one pair in ten).
    address_list = no_company & (f.is_address_list | (g[:, STREET] > 0) | (g[:, HOUSE] > 0) | (g[:, LINE2] > 0)) \
        & ~cmp.emails_differ
    # Except a household: the same surname at one address with first names that are neither one name, a
    # nickname, a typo of each other nor an initial (Robert and Linda Johnson, 1423 Maple Avenue) is two
    # people unless something personal (the email or its local part, their own phone) ties the rows; unless
    # the file itself shows its duplicates rewriting first names (Model.households).
    tied = (g[:, EMAIL] == 1) | (g[:, EMAIL] == 2) | personal_phone
    household = model.households & address_list & (g[:, FIRST] == 5) & near(LAST, 3) & ~tied
    name_veto = (names_differ & ~address_list) | household
    cannot = (cmp.emails_differ & ~names_agree) | (name_veto & (g[:, EMAIL] != 1))
    probability = 1.0 / (1.0 + np.exp2(-weight.astype(np.float64)))
    probability[cannot] = 0.0
    # The same personal address is the same person, whatever name a vendor typed (role addresses such as
    # info@ never reach level 1): a deterministic rule on top of the model, as in v1.
    same_email = cmp.gamma[:, EMAIL] == 1
    probability[same_email] = 1.0
    return Scores(weight.astype(np.float32), probability, bits, cannot, unidentified, cannot | same_email)
