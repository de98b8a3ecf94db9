"""The last gate before the CRM: what must hold for every prospect we are about to push.

Input: the qualified prospects frame (one row per person, from `stages.qualify`) plus `raw_row_id`
(the person's primary source row, so failures trace back to a file and line).

Earlier stages already drop unqualified, suppressed and email-less people; this suite is the safety net
that makes a bug in them visible instead of a CRM incident. Contacting a suppressed person is a
compliance problem, so that check stops the whole push; a single incomplete record only stays out.

Blanks become nulls in `prepare_prospects`, so "present" means "not null" for GX.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import great_expectations.expectations as gxe
import pandas as pd

from enrichment.score import max_score
from expectations.suite_spec import Check, SuiteSpec
from leadpipe.core.schema import PROSPECT_FIELDS

SUITE_NAME = "prospects_before_push"
EMAIL_DOMAIN = "email_domain"  # helper column: the domain part of the email, for domain suppression

@dataclass(frozen=True)
class CrmFields:
    """What the configured CRM mapping sends (columns) and what it cannot do without (required)."""

    columns: tuple[str, ...]
    required: tuple[str, ...]


def crm_fields(writable_fields: Iterable[str], required_fields: Iterable[str]) -> CrmFields:
    """The CRM mapping's field requirements, from what the configured sink declares it writes and needs.

    The push stage passes them in (the sink's declared capabilities), so this suite knows no sink.
    Columns follow the prospect field order; unknown extra fields keep their given order after them.
    """
    writable = set(writable_fields)
    columns = [f for f in PROSPECT_FIELDS if f in writable] + sorted(writable - set(PROSPECT_FIELDS))
    return CrmFields(tuple(columns), tuple(dict.fromkeys(required_fields)))


def max_possible_score(scoring) -> int:
    """The most points score_lead can give (fit and intent rules live with the scorer, enrichment.score)."""
    return max_score(scoring)


@dataclass(frozen=True)
class DoNotContact:
    """Lower-cased values on the do-not-contact lists (see enrichment.suppress)."""

    emails: frozenset[str] = frozenset()
    domains: frozenset[str] = frozenset()
    phones: frozenset[str] = frozenset()


def build_prospects_suite(crm: CrmFields, score_min: int, score_max: int,
                          do_not_contact: DoNotContact | None = None) -> SuiteSpec:
    """One check a line; the required-field checks follow the CRM mapping."""
    blocked = do_not_contact or DoNotContact()
    required = tuple(dict.fromkeys(("email", *crm.required)))  # email always: it is the CRM's identity
    checks: list[Check] = []
    for column in required:
        checks.append(Check(gxe.ExpectColumnToExist(column=column), "critical",
                            f"The CRM mapping needs '{column}'; without the column every record would fail."))
    for column in required:
        checks.append(Check(gxe.ExpectColumnValuesToNotBeNull(column=column), "row",
                            f"The CRM mapping needs '{column}' in every record; this one stays out for review."))
    checks += [
        Check(gxe.ExpectColumnValuesToBeUnique(column="email"), "row",
              "Two people with one email would become duplicate CRM contacts (or one would overwrite the other)."),
        Check(gxe.ExpectColumnValuesToBeBetween(column="score", min_value=score_min, max_value=score_max), "row",
              "Only qualified leads are pushed, and a score beyond the most points possible means a scoring bug."),
    ]
    # Compliance: a suppressed person reaching the CRM is an incident, so any one of them stops the push.
    if blocked.emails:
        checks.append(Check(gxe.ExpectColumnValuesToNotBeInSet(column="email", value_set=sorted(blocked.emails)),
                            "critical", "People on a do-not-contact list must never reach the CRM."))
    if blocked.domains:
        checks.append(Check(gxe.ExpectColumnValuesToNotBeInSet(column=EMAIL_DOMAIN, value_set=sorted(blocked.domains)),
                            "critical", "Companies on a do-not-contact list must never reach the CRM."))
        checks.append(Check(gxe.ExpectColumnValuesToNotBeInSet(column="domain", value_set=sorted(blocked.domains)),
                            "critical", "Companies on a do-not-contact list must never reach the CRM."))
    if blocked.phones:
        checks.append(Check(gxe.ExpectColumnValuesToNotBeInSet(column="phone", value_set=sorted(blocked.phones)),
                            "critical", "Phone numbers on a do-not-contact list must never reach the CRM."))
    return SuiteSpec(name=SUITE_NAME, checks=tuple(checks), prepare=prepare_prospects)


def prepare_prospects(df: pd.DataFrame) -> pd.DataFrame:
    """Blanks -> null; emails, domains and phones lower-cased as the suppression lists are."""
    changes: dict[str, pd.Series] = {}
    for column in df.columns:
        if column != "raw_row_id" and (df[column].dtype == object or pd.api.types.is_string_dtype(df[column])):
            text = df[column].astype("string")
            changes[column] = text.mask(text.str.strip().eq("").fillna(True))
    for column in ("email", "domain", "phone"):
        if column in changes:
            changes[column] = changes[column].str.lower()
    if "email" in changes:
        changes[EMAIL_DOMAIN] = changes["email"].str.rpartition("@")[2].mask(~changes["email"].str.contains("@").fillna(False))
    return df.assign(**changes)
