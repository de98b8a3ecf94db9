"""The one catalogue of data-quality messages: every check of every suite, in words a sales-ops person reads.

Why: Great Expectations reports `expect_column_proportion_of_non_null_values_to_be_between(any_name_given)
min_value=0.0 strict_min=True: observed 0.0` and warehouse row ids; the people who act on a failed list
need "no row has a name" and "rows 6-9 of vendor_x.csv". Each expectation type (and, where the column
changes the meaning, each type and column) maps to a sentence template here; `gx_runner` fills them in
with counts, the file's row numbers and the offending values.

Row numbers count as a spreadsheet does: the header is row 1, the first data row is row 2 (blank lines
are not counted). Sources that are not spreadsheets (JSON, SQL, web forms) say "record N" instead.

Values are personal data. Every text comes in two forms: `values=True` for the places whose readers may
see the data anyway (the run report, summary.json, the CLI an operator runs, the warehouse), and
`values=False` for logs (task logs, exception messages), which show row numbers only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from connectors.sources.file_formats import format_for

SPREADSHEET_FORMATS = frozenset({"csv", "tsv", "xlsx"})
EXAMPLES = 5  # failing rows a batch-level message names
MAX_VALUE_CHARS = 60  # a longer offending value is cut (a pasted paragraph is not a useful example)

# What a column is called in a sentence. Helper columns the suites add get the words for what they stand for.
NOUNS: dict[str, str] = {
    "email": "email", "email_status": "email", "email_domain": "email domain", "domain": "company domain",
    "first_name": "first name", "last_name": "last name", "full_name": "full name", "phone": "phone number",
    "country": "country", "job_title": "job title", "company": "company", "score": "score",
    "person_id": "person id", "raw_row_id": "source row link", "has_name": "name", "any_name_given": "name",
    "website": "website", "city": "city", "state": "state", "postcode": "postcode",
}

# What each suite is called where people read it (report, summary, CLI).
SUITE_TITLES: dict[str, str] = {"raw_batch": "columns and size", "normalised_leads": "lead values",
                                "prospects_before_push": "prospects before the CRM"}

# Quarantine check names that are not expectations (ingest, the stop of a whole batch, the CRM push).
OTHER_CHECK_TITLES: dict[str, str] = {
    "batch stopped": "the whole batch was stopped by a critical check",
    "push stopped": "the whole push was stopped by a critical check",
    "ingest.parse": "the row could not be read from the file",
    "crm_review": "held for review before the CRM",
    "crm_refused": "the CRM did not take the record (retried next run)",
    "crm_deferred": "not pushed to the CRM yet",
}


def noun(column: str | None) -> str:
    if not column:
        return "value"
    return NOUNS.get(column, column.replace("_", " "))


# --- where a row is -----------------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def is_spreadsheet(source_file: str | None) -> bool:
    """CSV, TSV and Excel files are read in a spreadsheet, where the header is row 1."""
    return bool(source_file) and format_for(source_file) in SPREADSHEET_FORMATS


def place(source_file: str | None, source_row: int | None) -> str:
    """"row 57 of vendor_x.csv" (spreadsheet numbering, header = row 1) or "record 3 of leads.json"."""
    if source_row is None:
        return "an unknown row"
    if not source_file:
        return f"record {source_row}"
    if is_spreadsheet(source_file):
        return f"row {int(source_row) + 1} of {source_file}"
    return f"record {int(source_row)} of {source_file}"


def shown_row(source_file: str | None, source_row: int) -> int:
    """The row number a person sees: the spreadsheet row (header = row 1) for CSV/TSV/XLSX, else the record."""
    return int(source_row) + 1 if is_spreadsheet(source_file) else int(source_row)


def places(rows: Iterable[tuple[str | None, int | None]]) -> str:
    """Several rows, grouped by file, consecutive rows as ranges: "rows 6-9 and 12 of vendor_x.csv"."""
    by_file: dict[str | None, list[int]] = {}
    for source_file, source_row in rows:
        if source_row is not None:
            by_file.setdefault(source_file, []).append(int(source_row))
    parts = []
    for source_file, numbers in by_file.items():
        spreadsheet = is_spreadsheet(source_file)
        shown = sorted({n + 1 if spreadsheet else n for n in numbers})
        word = "row" if spreadsheet else "record"
        ranges = _ranges(shown)
        label = f"{word}s {_and(ranges)}" if len(shown) > 1 else f"{word} {ranges[0]}"
        parts.append(f"{label} of {source_file}" if source_file else label)
    return "; ".join(parts)


def _ranges(numbers: list[int]) -> list[str]:
    out: list[str] = []
    start = prev = numbers[0]
    for n in numbers[1:] + [None]:  # type: ignore[list-item]
        if n is not None and n == prev + 1:
            prev = n
            continue
        out.append(str(start) if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    return out


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def quote(value: Any) -> str:
    """An offending value as shown to people: quoted, cut when very long."""
    text = str(value)
    if len(text) > MAX_VALUE_CHARS:
        text = text[: MAX_VALUE_CHARS - 1] + "…"
    return f"'{text}'"


# --- the catalogue ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Wording:
    """How one kind of check is said.

    title: a short heading for the check (report tables): "email is not a valid address".
    row: one failing row; {place} is where it is, {value} the offending value (" 'x'", or "" when hidden).
    rows: the batch-level count; {n} failing rows, {checked} rows checked, {noun} the column's word.
    share: for checks with a tolerated share (`mostly`): {share} found, {need} needed.
    value_column: the column whose value is shown (the email for the email-status check).
    """

    title: str
    row: str = ""
    rows: str = ""
    share: str = ""
    value_column: str | None = None


_GENERIC: dict[str, Wording] = {
    "expect_column_values_to_not_be_null": Wording(
        "{noun} is missing", "{place} has no {noun}", "{n} rows have no {noun}",
        "only {share} of the {checked} rows have {a_noun} (at least {need} expected)"),
    "expect_column_values_to_be_unique": Wording(
        "{noun} is not unique", "the {noun}{value} in {place} appears in another row too",
        "{n} rows share their {noun} with another row"),
    "expect_column_values_to_be_between": Wording(
        "{noun} is out of range", "the {noun}{value} in {place} is outside {range}",
        "{n} rows have {a_noun} outside {range}"),
    "expect_column_values_to_be_in_set": Wording(
        "{noun} is not an allowed value", "the {noun}{value} in {place} is not one of the allowed values",
        "{n} rows have {a_noun} that is not one of the allowed values"),
    "expect_column_values_to_not_be_in_set": Wording(
        "{noun} is a value that is not allowed", "the {noun}{value} in {place} is a value that is not allowed",
        "{n} rows have {a_noun} that is not allowed"),
    "expect_column_values_to_match_regex": Wording(
        "{noun} has the wrong format", "the {noun}{value} in {place} does not have the expected format",
        "{n} rows have {a_noun} in the wrong format"),
    "expect_column_values_to_not_match_regex": Wording(
        "{noun} has a form that is not allowed", "the {noun}{value} in {place} has a form that is not allowed",
        "{n} rows have {a_noun} of a form that is not allowed"),
}

_DO_NOT_CONTACT = "expect_column_values_to_not_be_in_set"
_SPECIFIC: dict[tuple[str, str], Wording] = {
    ("expect_column_values_to_be_in_set", "email_status"): Wording(
        "email is not a valid address", "the email{value} in {place} is not a valid address",
        "{n} rows have an email that is not a valid address",
        "only {share} of the {checked} emails are valid addresses (at least {need} needed)", value_column="email"),
    ("expect_column_values_to_match_regex", "email"): Wording(
        "email does not look like an address", "the email{value} in {place} does not look like an email address",
        "{n} rows have an email that does not look like an address"),
    ("expect_column_values_to_not_match_regex", "first_name"): Wording(
        "first name is a placeholder", "the first name{value} in {place} is a placeholder, not a real name",
        "{n} rows have a placeholder first name"),
    ("expect_column_values_to_not_match_regex", "last_name"): Wording(
        "last name is a placeholder", "the last name{value} in {place} is a placeholder, not a real name",
        "{n} rows have a placeholder last name"),
    ("expect_column_values_to_not_be_null", "has_name"): Wording(
        "no first or last name", "{place} has no first or last name", "{n} rows have no first or last name"),
    ("expect_column_values_to_match_regex", "phone"): Wording(
        "phone number is not international", "the phone number{value} in {place} is not in international "
        "format (+49 30 ...)", "{n} rows have a phone number that is not in international format"),
    ("expect_column_values_to_be_in_set", "country"): Wording(
        "country is not a known country code", "the country{value} in {place} is not a known country (an ISO "
        "code like DE is expected)", "{n} rows have a country that is not a known country code"),
    ("expect_column_values_to_not_be_null", "job_title"): Wording(
        "few job titles", "{place} has no job title", "{n} rows have no job title",
        "only {share} of the {checked} rows have a job title (at least {need} expected): lead scoring will be weaker"),
    ("expect_column_values_to_not_be_null", "raw_row_id"): Wording(
        "rows lost their source link", "{place} lost the link to its source row",
        "{n} rows lost the link to their source row (a pipeline bug, not the vendor's)"),
    ("expect_column_values_to_be_unique", "raw_row_id"): Wording(
        "rows share a source link", "{place} shares its source row link with another row",
        "{n} rows share a source row link (a pipeline bug, not the vendor's)"),
    ("expect_column_values_to_be_between", "score"): Wording(
        "score out of range", "the score{value} of the prospect from {place} is outside {range} (qualified "
        "scores only; more than the most points possible is a scoring bug)", "{n} prospects have a score outside {range}"),
    ("expect_column_values_to_be_unique", "email"): Wording(
        "email shared by two prospects", "the email{value} of the prospect from {place} belongs to another "
        "prospect too", "{n} prospects share their email with another prospect"),
    (_DO_NOT_CONTACT, "email"): Wording(
        "on the do-not-contact list (email)", "the email{value} in {place} is on the do-not-contact list",
        "{n} prospects are on the do-not-contact list by email; nothing may reach the CRM"),
    (_DO_NOT_CONTACT, "email_domain"): Wording(
        "on the do-not-contact list (email domain)", "the email domain{value} in {place} is on the "
        "do-not-contact list", "{n} prospects' email domains are on the do-not-contact list; nothing may reach the CRM"),
    (_DO_NOT_CONTACT, "domain"): Wording(
        "on the do-not-contact list (company domain)", "the company domain{value} in {place} is on the "
        "do-not-contact list", "{n} prospects' company domains are on the do-not-contact list; nothing may reach the CRM"),
    (_DO_NOT_CONTACT, "phone"): Wording(
        "on the do-not-contact list (phone)", "the phone number{value} in {place} is on the do-not-contact list",
        "{n} prospects' phone numbers are on the do-not-contact list; nothing may reach the CRM"),
}

# Table-level expectations: one sentence from the observed value (no rows to point at).
_TABLE_TITLES: dict[str, str] = {
    "expect_table_row_count_to_be_between": "batch size",
    "expect_column_to_exist": "{noun} column is missing",
    "expect_column_proportion_of_non_null_values_to_be_between": "{noun} is empty in every row",
}


def wording(expectation: str, column: str | None) -> Wording:
    """The wording for one check: by type and column, else by type, else a plain fallback."""
    found = _SPECIFIC.get((expectation, column or "")) or _GENERIC.get(expectation)
    if found is not None:
        return found
    readable = expectation.removeprefix("expect_").replace("_", " ")
    return Wording(f"check '{readable}' failed", f"{{place}} failed the check '{readable}' on the {{noun}}",
                   f"{{n}} rows failed the check '{readable}' on the {{noun}}")


def title(expectation: str, column: str | None) -> str:
    """A short heading for a check (report tables, the quarantine reasons)."""
    if expectation in _TABLE_TITLES:
        return _TABLE_TITLES[expectation].format(noun=noun(column))
    return wording(expectation, column).title.format(noun=noun(column))


def title_of_check_name(check_name: str) -> str:
    """The heading for a quarantine check name: "expect_..._in_set(email_status)" or "ingest.parse"."""
    if check_name in OTHER_CHECK_TITLES:
        return OTHER_CHECK_TITLES[check_name]
    if check_name.startswith("expect_"):
        kind, _, rest = check_name.partition("(")
        return title(kind, rest.rstrip(")") or None)
    return check_name.replace("_", " ")


def value_column(expectation: str, column: str | None) -> str | None:
    return wording(expectation, column).value_column or column


def row_sentence(expectation: str, column: str | None, where: str, value: Any = None, *,
                 values: bool = True, kwargs: dict[str, Any] | None = None) -> str:
    """One failing row: "the email 'john@@acme.com' in row 57 of vendor_x.csv is not a valid address"."""
    shown = f" {quote(value)}" if values and value is not None and str(value).strip() else ""
    return wording(expectation, column).row.format(
        place=where, value=shown, noun=noun(column), range=value_range(kwargs or {}))


def value_range(kwargs: dict[str, Any]) -> str:
    """"40-85", "at least 40", "at most 85" from an expectation's min_value / max_value."""
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    if low is not None and high is not None:
        return f"{low}-{high}"
    return f"at least {low}" if low is not None else f"at most {high}" if high is not None else "the allowed range"


def row_reason(sentences: Sequence[str]) -> str:
    """A quarantined row's reason: its failed checks' sentences, each once, joined."""
    return "; ".join(dict.fromkeys(sentences))


# --- a failed check, batch level ----------------------------------------------------------------------


@dataclass(frozen=True)
class Example:
    """One failing row named in a batch-level message."""

    source_file: str | None
    source_row: int | None
    value: Any = None


@dataclass(frozen=True)
class Finding:
    """One failed check of a suite run, as plain values, with the text people read.

    failed/checked: failing rows and rows checked (row checks); observed: GX's observed value (table checks);
    examples: the first few failing rows; error: why the check could not run (then the batch is untrusted).
    """

    check: str
    severity: str
    expectation: str
    column: str | None
    kwargs: dict[str, Any] = field(default_factory=dict)
    observed: Any = None
    failed: int | None = None
    checked: int | None = None
    examples: tuple[Example, ...] = ()
    error: str | None = None

    def text(self, values: bool = True) -> str:
        """The sentence; `values=False` for logs (row numbers, never the offending values)."""
        if self.error is not None:
            return (f"the check '{title(self.expectation, self.column)}' could not run ({self.error}); "
                    "the batch cannot be trusted")
        if self.expectation in _TABLE_TITLES:
            return self._table_text()
        return self._rows_text(values)

    def as_json(self, values: bool = True) -> dict[str, Any]:
        return {"check": self.check, "severity": self.severity, "title": title(self.expectation, self.column),
                "text": self.text(values), "rows_failed": self.failed,
                "rows": [place(e.source_file, e.source_row) for e in self.examples]}

    def _table_text(self) -> str:
        k, obs, col = self.kwargs, self.observed, noun(self.column)
        if self.expectation == "expect_table_row_count_to_be_between":
            low, high = k.get("min_value"), k.get("max_value")
            if not obs:
                return "the batch has no rows: the export or the header mapping broke"
            if low is not None and obs < low:
                return f"the batch has only {obs:,} rows, fewer than the {low:,} expected: the export looks truncated or wrong"
            if high is not None and obs > high:
                return (f"the batch has {obs:,} rows, more than the {high:,} expected: "
                        "a backfill or a different list? Worth a look")
            return f"the batch has {obs:,} rows, outside the expected size"
        if self.expectation == "expect_column_to_exist":
            return f"there is no {col} column (check the source's preset or header mapping)"
        if self.column == "any_name_given":
            return ("no row has a name (first, last or full name): the list has no name column, or the header "
                    "mapping misses it")
        return (f"no row has {_a(col)}: the list has no {col} column, or the header mapping points at the wrong one")

    def _rows_text(self, values: bool) -> str:
        w = wording(self.expectation, self.column)
        n, checked = self.failed or 0, self.checked or 0
        fill = {"n": f"{n:,}", "checked": f"{checked:,}", "noun": noun(self.column), "a_noun": _a(noun(self.column)),
                "range": value_range(self.kwargs)}
        head = w.rows.format(**fill)
        if n == 1:
            head = _singular(head)
        if self.kwargs.get("mostly") is not None and w.share and checked:
            share, need = _percent((checked - n) / checked), _percent(float(self.kwargs["mostly"]))
            head = w.share.format(share=share, need=need, **fill) + ": " + head
        return head + self._examples_text(values)

    def _examples_text(self, values: bool) -> str:
        if not self.examples:
            return ""
        where = places((e.source_file, e.source_row) for e in self.examples)
        more = (self.failed or 0) - len(self.examples)
        text = f" ({'e.g. ' if more > 0 else ''}{where}"
        shown = [quote(e.value) for e in self.examples if e.value is not None and str(e.value).strip()]
        if values and shown:
            text += ": " + ", ".join(shown)
        return text + (f", and {more:,} more)" if more > 0 else ")")


def _a(word: str) -> str:
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"


def _percent(share: float) -> str:
    """0.875 -> "87.5%", 0.9 -> "90%", 0.8996 -> "89.9%" (never the 90% it missed)."""
    tenths = math.floor(round(share * 1000, 6))  # rounded down: a share just under a threshold reads as under it
    return f"{tenths / 10:.1f}".removesuffix(".0") + "%"


def _singular(text: str) -> str:
    """"1 rows have" -> "1 row has" (the templates are written for the plural)."""
    for plural, single in ((" rows have ", " row has "), (" rows share ", " row shares "),
                           (" rows lost ", " row lost "), (" prospects have ", " prospect has "),
                           (" prospects share ", " prospect shares "), (" prospects are ", " prospect is "),
                           (" rows failed ", " row failed "), (" rows ", " row "), (" prospects' ", " prospect's ")):
        if plural in text:
            return text.replace(plural, single, 1)
    return text


# --- what a suite run amounts to ------------------------------------------------------------------------


def verdict(stopped: bool, rows_quarantined: int, warnings: int) -> str:
    """"stopped the batch", "passed, 6 rows quarantined", "passed with 1 warning" or "passed".

    Row-level failures do not fail a suite in our sense: those rows are quarantined and the rest go on.
    """
    if stopped:
        return "stopped the batch"
    parts = []
    if rows_quarantined:
        parts.append(f"{rows_quarantined:,} row{'s' if rows_quarantined != 1 else ''} quarantined")
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    return "passed" + (", " + ", ".join(parts) if parts else "")
