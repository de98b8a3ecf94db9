"""The quality gate for normalised leads: what must hold before a batch goes on towards the CRM.

Input: the normalised leads frame (canonical columns from leadpipe/core/schema.py) plus `email_status`
("valid" | "invalid" | "missing") and `raw_row_id` (int).

Nulls versus empties. GX skips null values in column checks ("not unexpected"), so `prepare_normalised_leads`
decides per column, before validation, whether a missing value is skipped or fails:
  - email_status: "missing" -> null, so the email checks judge only the emails a row has. A row without an
    email goes on: dedupe may merge it with a copy that has one, and a person left without any email is
    disqualified later with that reason. An email the normaliser found invalid ("invalid") fails.
  - email: blank -> null, so the shape check (a safety net behind email-validator) skips it.
  - first_name, last_name, phone, country, job_title: blank ("" or whitespace) -> None so checks SKIP them
    ("phone, when present, is E.164"); presence is checked separately where it matters
    (`has_name` for the name, not-null with `mostly` for job_title).
  - has_name (helper column): True when first_name or last_name is given, else null, so that not-null
    means "the person has a name" (GX has no "A or B present" check). A boolean, not a copy of the name,
    because GX copies every column it is given once per check.
"""

from __future__ import annotations

import re

import great_expectations.expectations as gxe
import pandas as pd
import pycountry
from pandas.api.types import is_object_dtype, is_string_dtype
from pydantic import BaseModel, Field

from expectations.suite_spec import Check, SuiteSpec
from leadpipe.core.placeholders import NAME_PLACEHOLDERS

SUITE_NAME = "normalised_leads"

# Regexes avoid \s, \d and $ on purpose: pandas then runs them in pyarrow (RE2) instead of falling back to
# Python's re row by row, which cost ~1 s per check per million rows here.
# \Z (end of string) is stricter than $, which also allows a trailing newline.
_SPACE = r" \t\r\n\f\v"
# Plausible email shape: one "@", no whitespace, a dotted domain with non-empty labels.
# The real syntax check (email-validator) happens during normalisation; this is the safety net.
EMAIL_REGEX = rf"^[^@{_SPACE}]+@[^@{_SPACE}.]+(?:\.[^@{_SPACE}.]+)+\Z"
# E.164: "+", a non-zero country digit, 7 to 15 ASCII digits in all (= ^\+[1-9]\d{6,14}$ for ASCII data).
E164_REGEX = r"^\+[1-9][0-9]{6,14}\Z"
# Names people type into forms to get past them; compared case-insensitively, ignoring surrounding space.
# The one list of leadpipe.core.placeholders, so a name the normaliser would blank elsewhere ('#N/A', 'n/a',
# 'unknown') is quarantined here like 'asdf'.
PLACEHOLDER_NAMES: tuple[str, ...] = tuple(sorted(NAME_PLACEHOLDERS))
PLACEHOLDER_REGEX = rf"(?i)^[{_SPACE}]*(?:{'|'.join(map(re.escape, PLACEHOLDER_NAMES))})[{_SPACE}]*\Z"
ISO_COUNTRY_CODES: tuple[str, ...] = tuple(sorted(c.alpha_2 for c in pycountry.countries))

HAS_NAME = "has_name"  # helper column added by prepare_normalised_leads


class NormalisedLeadsThresholds(BaseModel):
    """Tunable limits of the suite (a source config or DAG param may override them)."""

    min_valid_email_share: float = Field(
        0.9, ge=0.0, le=1.0, description="Below this share of valid emails the whole batch stops."
    )
    min_job_title_share: float = Field(
        0.5, ge=0.0, le=1.0, description="Below this share of job titles a warning is recorded."
    )


def build_normalised_leads_suite(thresholds: NormalisedLeadsThresholds | None = None) -> SuiteSpec:
    """The normalised-leads suite: one check a line, each with its severity and reason."""
    t = thresholds or NormalisedLeadsThresholds()
    checks = (
        # --- critical: the batch stops ---
        Check(gxe.ExpectTableRowCountToBeBetween(min_value=1), "critical",
              "An empty batch means the extract or mapping broke; pushing nothing is not success."),
        Check(gxe.ExpectColumnValuesToNotBeNull(column="raw_row_id"), "critical",
              "Lineage: every lead must trace back to its untouched source row."),
        Check(gxe.ExpectColumnValuesToBeUnique(column="raw_row_id"), "critical",
              "Lineage: quarantine and outcomes are keyed by raw_row_id, so it must be unique."),
        Check(gxe.ExpectColumnValuesToBeInSet(column="email_status", value_set=["valid"],
                                              mostly=t.min_valid_email_share), "critical",
              "A list with many bad emails is a bad purchase and must not reach the CRM."),
        # --- row: failing rows are quarantined, the rest continue ---
        Check(gxe.ExpectColumnValuesToBeInSet(column="email_status", value_set=["valid"]), "row",
              "An email that is not a valid address cannot be contacted; the row is kept for review."),
        Check(gxe.ExpectColumnValuesToMatchRegex(column="email", regex=EMAIL_REGEX), "row",
              "Safety net behind the normaliser: an email kept as valid must look like one."),
        Check(gxe.ExpectColumnValuesToNotBeNull(column=HAS_NAME), "row",
              "A person needs a first or a last name for the CRM and for dedup."),
        Check(gxe.ExpectColumnValuesToNotMatchRegex(column="first_name", regex=PLACEHOLDER_REGEX), "row",
              "Placeholder names ('Test', 'asdf') mark junk or test submissions."),
        Check(gxe.ExpectColumnValuesToNotMatchRegex(column="last_name", regex=PLACEHOLDER_REGEX), "row",
              "Placeholder names ('Test', 'asdf') mark junk or test submissions."),
        Check(gxe.ExpectColumnValuesToMatchRegex(column="phone", regex=E164_REGEX), "row",
              "A phone, when present, must be E.164 or the dialer and CRM reject it."),
        Check(gxe.ExpectColumnValuesToBeInSet(column="country", value_set=list(ISO_COUNTRY_CODES)), "row",
              "A country, when present, must be ISO 3166-1 alpha-2 for routing and GDPR rules."),
        # --- warning: recorded only ---
        Check(gxe.ExpectColumnValuesToNotBeNull(column="job_title", mostly=t.min_job_title_share), "warning",
              "Few job titles hurt lead scoring; worth a look, not worth stopping for."),
    )
    return SuiteSpec(name=SUITE_NAME, checks=checks, prepare=prepare_normalised_leads)


def prepare_normalised_leads(df: pd.DataFrame) -> pd.DataFrame:
    """Shape the frame so GX's null-skipping does what each check means (see the module docstring)."""
    changes: dict[str, pd.Series] = {}
    if "email_status" in df:
        changes["email_status"] = df["email_status"].mask(df["email_status"] == "missing")
    for column in ("email", "first_name", "last_name", "phone", "country", "job_title"):
        if column in df:
            changes[column] = _blank_to_none(df[column])  # blank means absent: skipped by format checks
    names = [changes[c] for c in ("first_name", "last_name") if c in changes]
    if names:
        present = names[0].notna() if len(names) == 1 else names[0].notna() | names[1].notna()
        changes[HAS_NAME] = present.astype("boolean").mask(~present)  # True or <NA>
    # assign() copies nothing but the replaced columns (pandas copy-on-write), cheap on big batches
    return df.assign(**changes)


def _blank_to_none(values: pd.Series) -> pd.Series:
    """Missing and whitespace-only strings become null, so GX treats them as absent."""
    if not (is_object_dtype(values) or is_string_dtype(values)):
        return values  # e.g. an all-NaN float column: already null where missing
    try:
        blank = values.str.strip().eq("").fillna(False).astype(bool)
    except AttributeError:  # object column without a single string: nothing can be blank
        return values
    return values.mask(blank)
