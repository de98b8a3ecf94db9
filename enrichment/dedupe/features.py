"""Matching features: the lower-cased, accent-folded values every blocking key and comparator reads.

Each field is kept as integer codes per record plus its distinct values. The string work (folding, splitting
emails, nicknames) runs once per distinct value in Arrow's C kernels, which release the GIL, so the fields are
built on two threads at once: a million rows cost about a second.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from enrichment.dedupe.parallel import thread_map
from enrichment.normalise import company_key, company_key_text
from leadpipe.core.placeholders import COMPANY_PLACEHOLDERS, NAME_PLACEHOLDERS, TEXT_PLACEHOLDERS

NICKNAMES_FILE = Path(__file__).with_name("nicknames.csv")
ROLE_LOCAL_PARTS = frozenset({
    "info", "kontakt", "contact", "sales", "vertrieb", "office", "hello", "hallo", "admin", "support", "team",
    "marketing", "hr", "jobs", "mail", "service", "empfang", "reception", "enquiries", "inquiries", "bonjour",
})
# placeholder values typed into forms and test rows: they identify nobody, so they count as blank (names and
# email parts); the shared list (leadpipe.core.placeholders) plus the mailbox and sample names only forms see
JUNK = NAME_PLACEHOLDERS | frozenset({
    "test", "testing", "asdf", "qwerty", "xxx", "x", "n/a", "na", "none", "unknown", "dummy", "example", "sample",
    "foo", "bar", "mustermann", "musterfrau", "noreply", "no-reply", "nobody"})
COLUMNS = ("first_name", "last_name", "email", "phone", "company_key", "domain", "job_title", "city", "postcode",
           "street", "house_number", "address_line2", "state")
# a house number at either end of street line 1 ("12 Main Street", "Hauptstraße 5", "12-14 Rue X"): the street
# comparator and blocking keys read the street's name, house_number is compared on its own
_HOUSE_AT_ENDS = r"^[0-9][0-9a-z/-]*\s+|\s+[0-9][0-9a-z/-]*$"


@dataclass(frozen=True)
class Nicknames:
    """name -> canonical formal name, and name -> bit mask of the nickname groups it belongs to."""

    canonical: dict[str, str]
    groups: dict[str, int]


@lru_cache(maxsize=1)
def nicknames() -> Nicknames:
    canonical: dict[str, str] = {}
    groups: dict[str, int] = {}
    lines = [ln for ln in NICKNAMES_FILE.read_text(encoding="utf-8").splitlines() if ln and not ln.startswith("#")]
    for gid, line in enumerate(lines):
        names = [fold(n) for n in line.split(",") if n.strip()]
        for name in names:
            canonical.setdefault(name, names[0])
            groups[name] = groups.get(name, 0) | (1 << gid)
    return Nicknames(canonical, groups)


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(c for c in text if not unicodedata.combining(c))


def _fold(a: pa.Array) -> pa.Array:
    """strip, casefold, drop accents (same result as `fold`), in Arrow's C kernels rather than per string."""
    a = pc.utf8_lower(pc.utf8_trim_whitespace(a))
    a = pc.replace_substring(a, "ß", "ss")  # the one casefold rule lower() lacks for our alphabets
    return pc.replace_substring_regex(pc.utf8_normalize(a, "NFKD"), r"[\x{0300}-\x{036f}]", "")


def _strings(values: object) -> pa.Array:
    """A column as one Arrow large_string array; None/NaN -> null, other types by their text."""
    try:
        a = pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed Python objects
        s = pd.Series(values, dtype=object)
        a = pa.array(s.where(s.isna(), s.astype(str)), from_pandas=True)
    if isinstance(a, pa.ChunkedArray):
        a = a.combine_chunks()
    if pa.types.is_dictionary(a.type):
        a = a.cast(a.type.value_type)
    return a if a.type == pa.large_string() else a.cast(pa.large_string())


def _encode(a: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """(codes, distinct values) in order of first appearance; null -> -1."""
    d = pc.dictionary_encode(a)
    codes = pc.fill_null(d.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    return codes, d.dictionary


def _split_last(a: pa.Array, sep: str) -> tuple[pa.Array, pa.Array]:
    """(before, after) the last `sep`, as str.rpartition: no `sep` -> ('', whole value). `a` has no nulls."""
    parts = pc.split_pattern(a, sep, max_splits=1, reverse=True)
    ends = parts.offsets.to_numpy()
    flat = parts.flatten()
    two = np.diff(ends) == 2
    before = pc.if_else(pa.array(two), flat.take(pa.array(ends[:-1])), "")
    return before, flat.take(pa.array(ends[1:] - 1))


def _isin(values: pa.Array | np.ndarray, words: frozenset[str]) -> np.ndarray:
    a = values if isinstance(values, pa.Array) else pa.array(values, type=pa.large_string())
    return pc.fill_null(pc.is_in(a, value_set=pa.array(sorted(words), type=pa.large_string())), False) \
        .to_numpy(zero_copy_only=False)


def _arrow(a: pa.Array) -> np.ndarray:
    return np.asarray(a.to_numpy(zero_copy_only=False), dtype=object)


def _large(values: pa.Array | np.ndarray) -> pa.Array:
    return values if isinstance(values, pa.Array) else pa.array(np.asarray(values, dtype=object),
                                                               type=pa.large_string())


def intern(codes: np.ndarray, uniques: pa.Array | np.ndarray) -> tuple[np.ndarray, pa.Array]:
    """Re-number after a transform of the distinct values: equal strings one code, blank -> -1."""
    u = _large(uniques)
    if not len(u):
        return np.full(len(codes), -1, np.int64), u
    c2, u2 = _encode(u)
    return _without_blank(np.r_[c2, -1][codes], u2)  # code -1 picks the appended -1


def _without_blank(codes: np.ndarray, uniques: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """Distinct values without "" (its records' code -1), the codes after it one lower."""
    blank = pc.index(uniques, "").as_py()
    if blank < 0:
        return codes, uniques
    codes = np.where(codes == blank, -1, np.where(codes > blank, codes - 1, codes))
    return codes, pa.concat_arrays([uniques.slice(0, blank), uniques.slice(blank + 1)])


def _interned(frame: pd.DataFrame, name: str,
              transform: Callable[[pa.Array], pa.Array] | None = None) -> tuple[np.ndarray, pa.Array]:
    """intern(codes, transform(folded distinct values)) of a column. A normalised column is mostly folded already:
    when folding (and `transform`) changed no value, the distinct values are still distinct and are not hashed a
    second time (a million e-mail addresses: a quarter of a second)."""
    codes, raw = _encoded(frame, name)
    out = _fold(raw)
    out = out if transform is None else transform(out)
    if len(raw) and pc.all(pc.equal(raw, out)).as_py():
        return _without_blank(codes, out)
    return intern(codes, out)


Field = tuple[np.ndarray, np.ndarray]  # (codes per record, -1 = blank; distinct values as an object array)
ArrowField = tuple[np.ndarray, pa.Array]  # the same, distinct values kept in Arrow
FIELDS = ("fn", "fn_canon", "ln", "email", "email_local", "email_domain", "phone", "company", "domain", "title",
          "city", "postcode", "street", "house", "line2", "state")


@dataclass
class Features:
    """Per field, integer codes per record and the distinct values they index; comparing ints beats strings."""

    arrow: dict[str, ArrowField]
    email_role: np.ndarray  # bool: info@, sales@: a shared address, not a person
    fn_lo: np.ndarray  # nickname group bits 0..63
    fn_hi: np.ndarray  # nickname group bits 64..127
    derived: dict[str, ArrowField] = field(default_factory=dict, repr=False)  # prefixes
    _objects: dict[str, np.ndarray] = field(default_factory=dict, repr=False)  # distinct values as Python strings
    tf_cache: dict = field(default_factory=dict, repr=False)  # fellegi_sunter: term frequency per distinct value

    def __len__(self) -> int:
        return len(self.email_role)

    def _field(self, name: str) -> ArrowField:
        return self.arrow[name] if name in self.arrow else self.derived[name]

    def codes(self, name: str) -> np.ndarray:
        """Codes per record of a field or prefix key; -1 = blank. Equal codes are equal values."""
        return self._field(name)[0]

    def code(self, name: str) -> Field:
        """(codes, distinct values) of a field; the values as Python strings, built only when a scorer asks."""
        codes, uniques = self._field(name)
        if name not in self._objects:
            self._objects[name] = _arrow(uniques)
        return codes, self._objects[name]

    def values(self, name: str) -> np.ndarray:
        """The field's string per record ('' = blank): for tools and tests, not for matching."""
        codes, uniques = self.code(name)
        return np.r_[uniques, np.array([""], dtype=object)][codes]

    def prefix(self, name: str, n: int) -> np.ndarray:
        """Codes of the first n characters of a field, computed once per distinct value."""
        key = f"{name}[:{n}]"
        if key not in self.derived:
            codes, uniques = self.arrow[name]
            self.derived[key] = intern(codes, pc.utf8_slice_codeunits(uniques, 0, n))
        return self.derived[key][0]

    def phonetic(self, name: str) -> np.ndarray:
        """Codes of a name field's sound (jellyfish metaphone), once per distinct value: 'Schnieder' and
        'Schneider', 'Meyer' and 'Maier' share a key, so a typo in a name does not hide a duplicate."""
        key = f"{name}~metaphone"
        if key not in self.derived:
            import jellyfish  # only blocking asks: feature building for tools stays light

            codes, uniques = self.arrow[name]
            sounds = [jellyfish.metaphone(u) if u else "" for u in uniques.to_pylist()]
            self.derived[key] = intern(codes, pa.array(sounds, type=pa.large_string()))
        return self.derived[key][0]

    def joint_codes(self, a: str, b: str) -> tuple[np.ndarray, np.ndarray]:
        """Codes of two fields over one shared vocabulary: equal codes are equal strings across the fields."""
        (ac, au), (bc, bu) = self.arrow[a], self.arrow[b]
        joint = _encode(pa.concat_arrays([au, bu]))[0]
        return np.r_[joint[:len(au)], -1][ac], np.r_[joint[len(au):], -1][bc]  # code -1 picks the appended -1

    @cached_property
    def personal_mail(self) -> np.ndarray:
        """Per record: the email's domain is not the company domain (private or other-company address)."""
        domain, email_domain = self.joint_codes("domain", "email_domain")
        return domain != email_domain

    @cached_property
    def is_address_list(self) -> bool:
        """Most records carry a street line: a postal list (consumers, directories), where the address, not a
        company or an email, tells people apart (fellegi_sunter weighs names against it there)."""
        return len(self) > 0 and float((self.codes("street") >= 0).mean()) >= 0.5

    @cached_property
    def name_companies(self) -> np.ndarray:
        """Per record, at how many different companies its full name (first + last) appears (0 or 1 mostly).

        'Pierre Bernard' at six companies is six namesakes more likely than one person: agreeing on that
        name says less (fellegi_sunter weighs it down by this count), on top of each name's own frequency.
        """
        fn, ln, company = self.codes("fn"), self.codes("ln"), self.codes("company")
        out = np.zeros(len(fn), np.int64)
        named = (fn >= 0) & (ln >= 0)
        has = named & (company >= 0)
        if not has.any():
            return out
        name = pd.factorize(fn * (int(ln.max()) + 2) + ln)[0]  # one code per (first, last) name
        pairs = _distinct(name[has] * (int(company.max()) + 1) + company[has])  # distinct (name, company)
        per_name = np.bincount(pairs // (int(company.max()) + 1), minlength=int(name.max()) + 1)
        out[named] = per_name[name[named]]
        return out

    @cached_property
    def local_addresses(self) -> np.ndarray:
        """Per record, how many distinct email addresses share its email's local part (0 when none).

        'emily.miller' at gmail, outlook and three employers is five Emily Millers more likely than one: the
        local part, made of the name, agrees by chance as often as the name does (fellegi_sunter weighs it
        down by this count, as it does a switchboard's phone).
        """
        email, local = self.codes("email"), self.codes("email_local")
        has = (email >= 0) & (local >= 0)
        out = np.zeros(len(email), np.int64)
        if not has.any():
            return out
        distinct = _distinct(local[has] * (int(email.max()) + 1) + email[has]) // (int(email.max()) + 1)
        per_local = np.bincount(distinct, minlength=int(local.max()) + 1)
        out[has] = per_local[local[has]]
        return out

    @cached_property
    def fn_count(self) -> np.ndarray:
        """Per record, how many records carry its first name (0 when blank): a one-off spelling is a typo."""
        codes = self.codes("fn")
        per_value = np.bincount(codes[codes >= 0], minlength=int(codes.max(initial=-1)) + 1)
        return np.r_[per_value, 0][codes]

    @cached_property
    def phone_names(self) -> np.ndarray:
        """Per record, how many different names carry its phone number (1 when no other name does; each row
        without a name counts as one).

        A number many different people give is a company line (switchboard, reception), not a person's own:
        the phone comparison weighs it down by this count (fellegi_sunter). Names are compared as the unordered
        (canonical first name, last name) pair, so 'Bill Smith', 'William Smith' and 'Smith William' are one.
        """
        phone = self.codes("phone")
        jf, jl = self.joint_codes("fn_canon", "ln")
        a, b = np.minimum(jf, jl), np.maximum(jf, jl)
        named = (phone >= 0) & (b >= 0)
        out = np.ones(len(phone), np.int64)
        if not (phone >= 0).any():
            return out
        distinct = pd.DataFrame({"p": phone[named], "a": a[named], "b": b[named]}).drop_duplicates()
        per_phone = np.bincount(distinct["p"].to_numpy(), minlength=int(phone.max()) + 1)
        # a row without a name could be anyone: each counts as one more name ('Test Test' rows sharing
        # +33123456789 are thirty test entries, not one person)
        per_phone += np.bincount(phone[(phone >= 0) & (b < 0)], minlength=int(phone.max()) + 1)
        has = phone >= 0
        out[has] = np.maximum(per_phone[phone[has]], 1)
        return out

    @classmethod
    def concat(cls, parts: list[Features]) -> Features:
        """Records of several feature sets, one after another, with their vocabularies merged."""
        fields = {}
        for name in parts[0].arrow:
            codes, uniques, offset = [], [], 0
            for p in parts:
                c, u = p.arrow[name]
                codes.append(np.where(c >= 0, c + offset, -1))
                uniques.append(u)
                offset += len(u)
            fields[name] = intern(np.concatenate(codes), pa.concat_arrays(uniques))
        return cls(fields, *(np.concatenate([getattr(p, k) for p in parts]) for k in ("email_role", "fn_lo", "fn_hi")))


def _distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct integers: sort and compare neighbours (numpy 2's np.unique hashes: 70x slower at 1M)."""
    out = np.sort(values)
    return out[np.r_[True, out[1:] != out[:-1]]] if len(out) else out


def _encoded(frame: pd.DataFrame, name: str) -> tuple[np.ndarray, pa.Array]:
    """(codes, distinct values as written) of a column; a missing column is blank in every record."""
    if name not in frame.columns:
        return np.full(len(frame), -1, np.int64), pa.array([], type=pa.large_string())
    return _encode(_strings(frame[name]))


def _column(frame: pd.DataFrame, name: str) -> tuple[np.ndarray, pa.Array]:
    """(codes, folded distinct values) of a column: the string work runs once per distinct value."""
    codes, uniques = _encoded(frame, name)
    return codes, _fold(uniques)


def _names(frame: pd.DataFrame) -> dict[str, ArrowField]:
    fc, fu = _interned(frame, "first_name", lambda u: pc.utf8_rtrim(u, characters="."))
    lc, lu = _interned(frame, "last_name")
    junk_name = np.zeros(len(frame), bool)
    for c, u in ((fc, fu), (lc, lu)):
        junk_name |= np.r_[_isin(u, JUNK), False][c]
    fc, lc = np.where(junk_name, -1, fc), np.where(junk_name, -1, lc)
    nick = nicknames()
    canon_u = pa.array([nick.canonical.get(u, u) for u in fu.to_pylist()], type=pa.large_string())
    return {"fn": (fc, fu), "ln": (lc, lu), "fn_canon": intern(fc, canon_u)}


def _emails(frame: pd.DataFrame) -> dict[str, ArrowField]:
    ec, eu = _interned(frame, "email")
    loc_u, dom_u = _split_last(eu, "@")
    first_label = pc.list_element(pc.split_pattern(dom_u, ".", max_splits=1), 0)
    junk_u = _isin(loc_u, JUNK) | _isin(first_label, JUNK)
    ec = np.where(np.r_[junk_u, False][ec], -1, ec)
    return {"email": (ec, eu), "email_local": intern(ec, loc_u), "email_domain": intern(ec, dom_u)}


def _phones(frame: pd.DataFrame) -> dict[str, ArrowField]:
    return {"phone": _interned(frame, "phone", lambda u: pc.replace_substring_regex(u, r"[^0-9+]", ""))}


@lru_cache(maxsize=1)
def placeholder_company_keys() -> frozenset[str]:
    """Company keys that name no employer: those of '#N/A', 'N/A', 'Self-employed'... (and the words themselves).

    Golden records stored before placeholders were blanked still carry such keys; read as a company they merge
    namesakes ("John Smith at N/A"), so they count as no company.
    """
    keys = {company_key_text(p) for p in COMPANY_PLACEHOLDERS} | COMPANY_PLACEHOLDERS
    return frozenset(fold(k) for k in keys if k.strip())


@lru_cache(maxsize=1)
def _folded_text_placeholders() -> frozenset[str]:
    return frozenset(fold(w) for w in TEXT_PLACEHOLDERS)


def _blank_listed(codes: np.ndarray, uniques: pa.Array, words: frozenset[str]) -> tuple[np.ndarray, pa.Array]:
    """Codes with the values in `words` (folded placeholders) turned blank (-1)."""
    return np.where(np.r_[_isin(uniques, words), False][codes], -1, codes), uniques


def _companies(frame: pd.DataFrame) -> dict[str, ArrowField]:
    if "company_key" not in frame.columns and "company" in frame.columns:
        cc, cu = _column(frame, "company")
        keys = pa.array([company_key(v) for v in cu.to_pylist()], type=pa.large_string())
        return {"company": intern(cc, _fold(keys))}
    return {"company": _blank_listed(*_interned(frame, "company_key"), placeholder_company_keys())}


def _plain_fields(frame: pd.DataFrame) -> dict[str, ArrowField]:
    out = {name: _interned(frame, col) for name, col in
           (("domain", "domain"), ("title", "job_title"), ("city", "city"), ("postcode", "postcode"))}
    for name in ("title", "city", "postcode"):  # stored records from before placeholders were blanked
        out[name] = _blank_listed(*out[name], _folded_text_placeholders())
    return out


def _address(frame: pd.DataFrame) -> dict[str, ArrowField]:
    """Street name (line 1 without its house number), house number, line 2 and state, folded.

    A file without these columns gets blank fields: a blank never agrees or disagrees (level 0, no weight).
    """
    street = _interned(frame, "street", lambda u: pc.utf8_trim(pc.replace_substring_regex(u, _HOUSE_AT_ENDS, ""),
                                                               " ,.;"))
    out = {"street": street, "house": _interned(frame, "house_number"),
           "line2": _interned(frame, "address_line2"), "state": _interned(frame, "state")}
    for name in ("street", "line2", "state"):
        out[name] = _blank_listed(*out[name], _folded_text_placeholders())
    return out


def build(frame: pd.DataFrame) -> Features:
    """Features of a frame with (some of) the canonical columns; missing columns count as blank.

    The field groups are independent and their work is in Arrow kernels and numpy, so they run on threads.
    """
    fields: dict[str, ArrowField] = {}
    for part in thread_map(lambda g: g(frame), (_emails, _names, _phones, _companies, _plain_fields, _address)):
        fields.update(part)
    if "email_role" in frame.columns:
        role = frame["email_role"].fillna(False).astype(bool).to_numpy()
    else:
        lc, lu = fields["email_local"]
        role = np.r_[_isin(lu, ROLE_LOCAL_PARTS), False][lc]
    nick = nicknames()
    fcode, funiq = fields["fn"]
    masks = [nick.groups.get(u, 0) for u in funiq.to_pylist()]
    lo_u = np.r_[np.array([m & ((1 << 64) - 1) for m in masks], dtype=np.uint64), np.uint64(0)]
    hi_u = np.r_[np.array([m >> 64 for m in masks], dtype=np.uint64), np.uint64(0)]
    return Features({k: fields[k] for k in FIELDS}, role, lo_u[fcode], hi_u[fcode])
