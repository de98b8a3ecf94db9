"""CRM feedback from Salesforce: Leads and Contacts modified since a watermark, read with SOQL.

`SELECT ... FROM Lead WHERE SystemModstamp > <watermark> ORDER BY SystemModstamp` through simple-salesforce's
`query_all_iter` (the REST query resource, paged by `nextRecordsUrl`). SystemModstamp, not LastModifiedDate,
because system changes (a bounce recorded by bounce management, a conversion) move it too. SOQL datetime
literals have whole seconds, so the watermark is floored to the second: a record modified in that second
comes back again and is dropped by the caller's idempotent store.

Fields read (standard on Lead and Contact, developer.salesforce.com object reference):
HasOptedOutOfEmail -> email_opt_out; EmailBouncedDate / EmailBouncedReason -> email_hard_bounce (dated by the
bounce); DoNotCall -> do_not_call; OwnerId -> owner; Lead only: Status -> lead_status, IsConverted ->
converted (and lifecycle "converted").
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from simple_salesforce.exceptions import SalesforceError, SalesforceExpiredSession, SalesforceRefusedRequest

from connectors.sinks.base import FeedbackRecord, SinkAuthError, SinkError, SinkQuotaExhausted

if TYPE_CHECKING:
    from connectors.sinks.salesforce.sink import SalesforceSink

COMMON = ["Id", "Email", "Phone", "HasOptedOutOfEmail", "DoNotCall", "OwnerId", "EmailBouncedDate",
          "EmailBouncedReason", "SystemModstamp"]
FIELDS = {"Lead": [*COMMON, "Status", "IsConverted"], "Contact": COMMON}


def soql_datetime(moment: datetime) -> str:
    """A SOQL dateTime literal (UTC, whole seconds; no quotes in SOQL)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str | None) -> datetime | None:
    """Salesforce REST datetimes: "2026-12-05T10:00:00.000+0000"."""
    if not text:
        return None
    text = str(text)
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
        text = text[:-2] + ":" + text[-2:]
    return datetime.fromisoformat(text).astimezone(UTC)


def soql(sobject: str, watermark: datetime | None) -> str:
    where = f" WHERE SystemModstamp > {soql_datetime(watermark)}" if watermark is not None else ""
    return f"SELECT {', '.join(FIELDS[sobject])} FROM {sobject}{where} ORDER BY SystemModstamp"


def record_feedback(sobject: str, row: dict) -> list[FeedbackRecord]:
    changed = parse_time(row.get("SystemModstamp"))
    if changed is None:
        return []
    email = (row.get("Email") or "").strip().lower() or None
    phone = (row.get("Phone") or "").strip() or None
    rid = str(row["Id"])

    def rec(kind: str, value: str | None, at: datetime = changed) -> FeedbackRecord:
        return FeedbackRecord("salesforce", rid, email, phone, kind, value, at)  # type: ignore[arg-type]

    def flag(name: str) -> str:
        return "true" if row.get(name) is True or str(row.get(name)).lower() == "true" else "false"

    bounced = parse_time(row.get("EmailBouncedDate"))
    out = [rec("email_opt_out", flag("HasOptedOutOfEmail")),
           rec("do_not_call", flag("DoNotCall")),
           rec("owner", row.get("OwnerId") or None)]
    # a bounce is dated by Salesforce's bounce management; a cleared bounce comes back empty at the change
    out.append(rec("email_hard_bounce", row.get("EmailBouncedReason") or "bounced", bounced) if bounced
               else rec("email_hard_bounce", None))
    if sobject == "Lead":
        converted = flag("IsConverted")
        out += [rec("lead_status", row.get("Status") or None), rec("converted", converted)]
        if converted == "true":
            out.append(rec("lifecycle", "converted"))
    return out


def changes_since(sink: SalesforceSink, watermark: datetime | None) -> Iterator[FeedbackRecord]:
    """Every Lead and Contact Salesforce modified after `watermark` (everything when None)."""
    for sobject in sink.settings.feedback_objects:
        try:
            for row in sink.sf.query_all_iter(soql(sobject, watermark)):
                yield from record_feedback(sobject, row)
        except SalesforceExpiredSession as exc:
            raise SinkAuthError(f"Salesforce refused the session while reading {sobject} changes ({exc}); check "
                                f"Airflow Connection '{sink.settings.connection_id}'") from None
        except SalesforceRefusedRequest as exc:
            if "REQUEST_LIMIT_EXCEEDED" in str(exc):
                raise SinkQuotaExhausted("Salesforce daily API limit reached (REQUEST_LIMIT_EXCEEDED)") from None
            raise SinkAuthError(f"Salesforce refused to query {sobject} ({exc}): give the integration user Read "
                                f"on {sobject} and its fields {', '.join(FIELDS[sobject])}") from None
        except SalesforceError as exc:
            raise SinkError(f"Salesforce could not query {sobject} changes: {exc}") from None
