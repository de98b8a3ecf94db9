"""E.164 for phone numbers of the commonest shapes, column-wise: written with "+" and a calling code ("+44 29 2018
4293", "+1 (315) 664-8231"), or without it and read in the row's region ("(212) 555-0100" in US, "030 1234567" and
"0049 30 1234567" in DE).

Why: parsing and validating a number with phonenumbers costs ~10 µs in Python, and a lead list's numbers are
nearly all distinct (a 1M-row list has ~700,000), so phones were the slowest field left. But for a plain number
the library's whole decision reads only the digits, the region, and its metadata, which is a handful of regular
expressions and length lists per region. So the rows are grouped (by calling code; numbers without "+" first by
region) and the library's own steps run over each group at once, its own patterns evaluated by Arrow (RE2) and
its own length checks asked once per distinct length, as enrichment.normalise._parse_plain and _is_valid_number
take them:

  digits -> without "+": the region's international prefix and a calling code, or the region's own calling code
  written first where the library takes it as one, or a national number of the region; with "+": the calling
  code (the first 1-3 digits that are one, as _extract_country_code) -> national prefix stripped where the
  library strips it (_maybe_strip_national_prefix_carrier_code, then the length test) -> length limits -> the
  region among the calling code's regions (leading digits, else the first whose number types match) -> valid
  when some number type matches -> "+" calling code national number.

What this does not cover goes to the per-value path, whole: a number without "+" in a row without a valid
region, one whose calling code is unknown or starts with 0 after "+", and calling codes and regions whose
metadata rewrites the national prefix (a transform rule: Argentina, Brazil, Japan...). The result is the
per-value result (tests compare both on variants of every region's example numbers, and on hostile ones).
"""

from __future__ import annotations

import functools
import re

import numpy as np
import phonenumbers.phonenumberutil as _pn
import pyarrow as pa
import pyarrow.compute as pc
from phonenumbers.phonemetadata import PhoneMetadata

__all__ = ["international_phones", "national_phones"]

# A cell that is "+" and a plain number (enrichment.normalise._PLAIN_PHONE with its "+", no bracket first):
# nothing to strip or clean, at least three digits (so the library finds it a viable number).
_INTERNATIONAL = r"^\+[0-9][0-9 ().-]*[0-9]$"
_OTHER_TYPES = ("premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan", "voicemail")
_LARGE = pa.large_string()


def international_phones(values: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """(rows this path decides, their E.164 numbers or "" when not valid). `values`: text, no nulls."""
    rows, digits = _viable_digits(values, pc.fill_null(pc.match_substring_regex(values, _INTERNATIONAL), False))
    answers, known, _ = _by_calling_code(digits)
    return rows[known], pa.array(answers[known].tolist(), type=_LARGE)


def _viable_digits(values: pa.Array, plain: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """(the rows of the plain shape with at least three digits, so that the library finds a viable number; their
    digits)."""
    rows = np.flatnonzero(plain.to_numpy(zero_copy_only=False))
    digits = pc.replace_substring_regex(values.take(pa.array(rows)), r"[^0-9]", "")
    enough = pc.greater_equal(pc.utf8_length(digits), 3).to_numpy(zero_copy_only=False)
    return rows[enough], digits.filter(pa.array(enough))


# A number written without "+" (enrichment.normalise._PLAIN_PHONE's other shape): read in the row's region.
_NATIONAL = r"^[0-9(][0-9 ().-]*[0-9]$"


def national_phones(values: pa.Array, regions: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """(rows this path decides, their E.164 numbers or "") for numbers written without "+", each read in its row's
    region (an ISO code; `values` and `regions` text without nulls), as _parse_plain reads them: an international
    prefix of the region ("00", "011") and a calling code; else the region's own calling code written first
    where the library takes it as one; else a national number of the region. Regions that are not valid, or whose
    metadata rewrites the national prefix, are left to the per-value path."""
    plain = pc.and_(pc.fill_null(pc.match_substring_regex(values, _NATIONAL), False), pc.not_equal(regions, ""))
    rows, digits = _viable_digits(values, plain)
    region_of = regions.take(pa.array(rows))
    decided = np.zeros(len(rows), dtype=bool)
    result = np.full(len(rows), "", dtype=object)
    for region in pc.unique(region_of).to_pylist():
        metadata = _region_metadata(region)
        if metadata is None:
            continue
        at = np.flatnonzero(pc.equal(region_of, region).to_numpy(zero_copy_only=False))
        try:
            answers, known = _read_in_region(digits.take(pa.array(at)), metadata)
        except pa.ArrowInvalid:  # a metadata pattern RE2 cannot read: the library decides this region
            continue
        result[at[known]], decided[at[known]] = answers[known], True
    return rows[decided], pa.array(result[decided].tolist(), type=_LARGE)


@functools.cache
def _region_metadata(region: str) -> PhoneMetadata | None:
    """A valid region's metadata, when it has no national prefix transform rule (else None)."""
    if region not in _pn.SUPPORTED_REGIONS:
        return None
    metadata = PhoneMetadata.metadata_for_region(region, None)
    return None if metadata is None or metadata.national_prefix_transform_rule else metadata


def _read_in_region(digits: pa.Array, metadata: PhoneMetadata) -> tuple[np.ndarray, np.ndarray]:
    """(E.164 or "", decided here) for the digits of numbers read in the region of `metadata`."""
    answers = np.full(len(digits), "", dtype=object)
    known = np.ones(len(digits), dtype=bool)
    # an international prefix, not followed by a 0: the rest is a calling code and a number
    idd = metadata.international_prefix
    international = np.zeros(len(digits), dtype=bool)
    if idd:
        rest = pc.replace_substring_regex(digits, f"^(?:{_uncaptured(idd)})", "", max_replacements=1)
        matched = pc.match_substring_regex(digits, f"^(?:{_uncaptured(idd)})")
        international = pc.and_(matched, pc.invert(pc.starts_with(rest, "0"))).to_numpy(zero_copy_only=False)
        if international.any():
            at = np.flatnonzero(international)
            answers[at], known[at] = _international_rest(rest.take(pa.array(at)))
    local = np.flatnonzero(~international)
    if not len(local):
        return answers, known
    number = digits.take(pa.array(local))
    # the region's own calling code written first ("49 30 1234567" in DE), where the library takes it as one
    code = metadata.country_code
    default = str(code)
    starts = pc.starts_with(number, default)
    after = pc.if_else(starts, pc.utf8_slice_codeunits(number, len(default)), number)
    potential = _strip_national_prefix(after, metadata)
    general = metadata.general_desc.national_number_pattern
    too_long = _lengths_where(number, lambda n: _pn._test_number_length("0" * n, metadata)
                              == _pn.ValidationResult.TOO_LONG)
    as_code = pc.and_(starts, pc.or_(pc.and_(pc.invert(_fullmatch(number, general)), _fullmatch(potential, general)),
                                     pa.array(too_long))).to_numpy(zero_copy_only=False)
    main = _main_metadata(code)
    if as_code.any():
        at = np.flatnonzero(as_code)
        if main is not None and not main.national_prefix_transform_rule:
            answers[local[at]] = _e164_after_code(code, potential.take(pa.array(at)), main)
        else:
            known[local[at]] = False
    at = np.flatnonzero(~as_code)
    answers[local[at]] = _e164_after_code(code, number.take(pa.array(at)), metadata)
    return answers, known


def _international_rest(rest: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(E.164 or "", decided here) for digits after an international prefix: a calling code and a number. Too
    short after the prefix, or no calling code: not a number ("")."""
    answers, known, codes = _by_calling_code(rest)
    none = (codes == 0) | ~pc.greater(pc.utf8_length(rest), _pn._MIN_LENGTH_FOR_NSN).to_numpy(zero_copy_only=False)
    answers[none], known[none] = "", True
    return answers, known


def _by_calling_code(digits: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(E.164 or "", decided here, the calling code found or 0) for digits that start with a calling code, one
    calling code at a time. Not decided: no calling code, or one whose main region rewrites its national prefix
    or has a pattern RE2 cannot read (the library decides those)."""
    answers = np.full(len(digits), "", dtype=object)
    known = np.zeros(len(digits), dtype=bool)
    codes = _calling_codes(digits)
    for code in np.unique(codes[codes > 0]).tolist():
        if not _group_decidable(code):
            continue
        at = np.flatnonzero(codes == code)
        try:
            answers[at] = _e164(code, pc.utf8_slice_codeunits(digits.take(pa.array(at)), len(str(code))))
        except pa.ArrowInvalid:
            continue
        known[at] = True
    return answers, known, codes


def _calling_codes(digits: pa.Array) -> np.ndarray:
    """The calling code each number starts with (the shortest prefix of 1-3 digits that is one), 0 for none
    or a leading 0."""
    codes = np.zeros(len(digits), dtype=np.int64)
    known = pa.array(sorted(str(c) for c in _pn.COUNTRY_CODE_TO_REGION_CODE), type=_LARGE)
    for length in (3, 2, 1):  # the shortest wins: written last
        prefix = pc.utf8_slice_codeunits(digits, 0, length)
        hit = pc.and_(pc.is_in(prefix, value_set=known), pc.not_equal(pc.utf8_slice_codeunits(digits, 0, 1), "0"))
        mask = hit.to_numpy(zero_copy_only=False)
        codes[mask] = np.asarray(prefix.filter(hit).to_pylist(), dtype=np.int64)
    return codes


@functools.cache
def _group_decidable(code: int) -> bool:
    """The calling code's main region has metadata and no national prefix transform rule."""
    metadata = _main_metadata(code)
    return metadata is not None and not metadata.national_prefix_transform_rule


def _main_metadata(code: int) -> PhoneMetadata | None:
    return PhoneMetadata.metadata_for_region_or_calling_code(code, _pn.region_code_for_country_code(code))


def _e164(code: int, national: pa.Array) -> np.ndarray:
    """E.164 (or "") of numbers with this calling code, given their digits after it."""
    return _e164_after_code(code, national, _main_metadata(code))


def _e164_after_code(code: int, national: pa.Array, metadata: PhoneMetadata) -> np.ndarray:
    """E.164 (or "") of numbers with this calling code, their national prefix read with `metadata`."""
    national = _without_national_prefix(national, metadata)
    length = pc.utf8_length(national).to_numpy(zero_copy_only=False)
    valid = (length >= _pn._MIN_LENGTH_FOR_NSN) & (length <= _pn._MAX_LENGTH_FOR_NSN)
    valid[valid] = _valid(code, national.filter(pa.array(valid)))
    text = pc.binary_join_element_wise(pa.scalar(f"+{code}", _LARGE), national, pa.scalar("", _LARGE))
    return np.asarray(pc.if_else(pa.array(valid), text, pa.scalar("", _LARGE)).to_pylist(), dtype=object)


def _without_national_prefix(national: pa.Array, metadata: PhoneMetadata) -> pa.Array:
    """_parse_plain's step: the national prefix stripped (_maybe_strip_national_prefix_carrier_code) when what
    is left passes the length test."""
    stripped = _strip_national_prefix(national, metadata)
    allowed = _lengths_where(stripped, lambda n: _pn._test_number_length("0" * n, metadata) not in (
        _pn.ValidationResult.TOO_SHORT, _pn.ValidationResult.IS_POSSIBLE_LOCAL_ONLY,
        _pn.ValidationResult.INVALID_LENGTH))
    return pc.if_else(pa.array(allowed), stripped, national)


def _strip_national_prefix(national: pa.Array, metadata: PhoneMetadata) -> pa.Array:
    """phonenumberutil._maybe_strip_national_prefix_carrier_code's number, for metadata without a transform rule:
    the prefix cut off unless the number fitted the general pattern and would no longer."""
    prefix = metadata.national_prefix_for_parsing
    if not prefix:
        return national
    stripped = pc.replace_substring_regex(national, f"^(?:{_uncaptured(prefix)})", "", max_replacements=1)
    general = metadata.general_desc.national_number_pattern
    keep_original = pc.and_(_fullmatch(national, general), pc.invert(_fullmatch(stripped, general)))
    stripped = pc.if_else(keep_original, national, stripped)
    return pc.if_else(pc.equal(pc.utf8_length(national), 0), national, stripped)


# Each step below asks its patterns only about the numbers still undecided (a number of the first region that
# claims it is not asked about the next; one that matched a number type is not asked about the next type):
# Arrow compiles a pattern on every call and runs it over every value given, and phone metadata patterns are long.

def _valid(code: int, nsn: pa.Array) -> np.ndarray:
    """enrichment.normalise._is_valid_number over numbers of one calling code."""
    regions = _pn.COUNTRY_CODE_TO_REGION_CODE[code]
    if len(regions) == 1:
        return _has_number_type(nsn, PhoneMetadata.metadata_for_region_or_calling_code(code, regions[0].upper()),
                                code, regions[0])
    valid = np.zeros(len(nsn), dtype=bool)
    open_ = np.ones(len(nsn), dtype=bool)  # no region found yet
    for region in regions:
        metadata = PhoneMetadata.metadata_for_region(region.upper(), None)
        if metadata is None:
            continue
        rows = np.flatnonzero(open_)
        if not len(rows):
            break
        asked = nsn.take(rows)
        if metadata.leading_digits is not None:
            found = _mask(pc.match_substring_regex(asked, f"^(?:{_uncaptured(metadata.leading_digits)})"))
        else:
            found = _has_type(asked, metadata)
        claimed = rows[found]
        region_metadata = PhoneMetadata.metadata_for_region_or_calling_code(code, region.upper())
        valid[claimed] = _has_number_type(nsn.take(claimed), region_metadata, code, region)
        open_[claimed] = False
    return valid


def _has_number_type(nsn: pa.Array, metadata: PhoneMetadata | None, code: int, region: str) -> np.ndarray:
    if metadata is None or (region != _pn.REGION_CODE_FOR_NON_GEO_ENTITY
                            and code != _pn.country_code_for_valid_region(region)):
        return np.zeros(len(nsn), dtype=bool)
    return _has_type(nsn, metadata)


def _has_type(nsn: pa.Array, metadata: PhoneMetadata) -> np.ndarray:
    """enrichment.normalise._has_number_type: the general description matches and some number type does."""
    descs = [metadata.fixed_line]
    if not metadata.same_mobile_and_fixed_line_pattern:
        descs.append(metadata.mobile)
    descs += [getattr(metadata, name) for name in _OTHER_TYPES]
    open_ = _matches_desc(nsn, metadata.general_desc)  # general and no type matched yet
    some = np.zeros(len(nsn), dtype=bool)
    for desc in descs:
        rows = np.flatnonzero(open_)
        if not len(rows):
            break
        matched = rows[_matches_desc(nsn.take(rows), desc)]
        some[matched] = True
        open_[matched] = False
    return some


def _matches_desc(nsn: pa.Array, desc: object) -> np.ndarray:
    """phonenumberutil._is_number_matching_desc: a possible length and a full match of the pattern."""
    if desc is None or not desc.national_number_pattern:
        return np.zeros(len(nsn), dtype=bool)
    lengths = desc.possible_length
    possible = _lengths_where(nsn, lambda n: len(lengths) == 0 or n in lengths)
    if possible.any():
        possible[possible] = _mask(_fullmatch(nsn.filter(pa.array(possible)), desc.national_number_pattern))
    return possible


def _lengths_where(values: pa.Array, rule) -> np.ndarray:
    """Per row: does `rule` hold for the value's length (asked once per distinct length)."""
    length = pc.utf8_length(values)
    distinct = pc.unique(length).to_pylist()
    yes = pa.array([n for n in distinct if rule(n)], type=length.type)
    return _mask(pc.is_in(length, value_set=yes))


def _mask(flags: pa.Array) -> np.ndarray:
    """A boolean Arrow array as numpy (a missing answer is no)."""
    return pc.fill_null(flags, False).to_numpy(zero_copy_only=False)


def _fullmatch(values: pa.Array, pattern: str | None) -> pa.Array:
    if not pattern:
        return pa.array(np.zeros(len(values), dtype=bool))
    return pc.match_substring_regex(values, f"^(?:{_uncaptured(pattern)})$")


_GROUP = re.compile(r"(?<!\\)\((?!\?)")


@functools.cache
def _uncaptured(pattern: str) -> str:
    """The pattern with its capturing groups made non-capturing (Arrow's RE2 is asked for matches only)."""
    return _GROUP.sub("(?:", pattern)
