"""CRM feedback from HubSpot: contacts modified since a watermark, read through the CRM search API.

`POST /crm/v3/objects/contacts/search` filtered on `lastmodifieddate GT <epoch ms>`, sorted by it ascending,
200 per page (HubSpot's maximum), paged with `after`. A search stops at 10,000 results (paging past is a
400), so a long backlog is read in windows: when the next page would pass the cap, the search starts again
from the last modification time seen (GTE; records seen twice are dropped by id and time).

What comes back per contact (standard HubSpot contact properties):
- `hs_email_optout`: "Unsubscribed from all email" -> email_opt_out
- `hs_email_hard_bounce_reason_enum`: set once an address hard-bounced -> email_hard_bounce (value: the reason)
- `hs_lead_status` -> lead_status; `lifecyclestage` -> lifecycle ("customer" = a customer already);
  `hubspot_owner_id` -> owner
- HubSpot has no standard do-not-call contact property: `sink.hubspot.do_not_call_property` names yours.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from connectors.sinks.base import FeedbackRecord, SinkError

if TYPE_CHECKING:
    from connectors.sinks.hubspot.sink import HubSpotSink

SEARCH_CAP = 10_000  # results one search can page through
PROPERTIES = ["email", "phone", "mobilephone", "hs_email_optout", "hs_email_hard_bounce_reason_enum",
              "hs_lead_status", "lifecyclestage", "hubspot_owner_id", "lastmodifieddate"]


def epoch_ms(moment: datetime) -> int:
    return int(moment.astimezone(UTC).timestamp() * 1000)


def parse_time(text: str | None) -> datetime | None:
    """HubSpot datetimes: ISO 8601 ("2026-12-05T10:00:00.123Z") or epoch milliseconds."""
    if not text:
        return None
    text = str(text).strip()
    if text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000, UTC)
    return datetime.fromisoformat(text).astimezone(UTC)


def _flag(value: object) -> str:
    return "true" if str(value or "").strip().lower() == "true" else "false"


def contact_feedback(contact: dict, do_not_call_property: str | None) -> list[FeedbackRecord]:
    """The feedback one search result carries: one record per kind, as of its last modification."""
    props = contact.get("properties") or {}
    changed = parse_time(props.get("lastmodifieddate")) or parse_time(contact.get("updatedAt"))
    if changed is None:
        return []
    email = (props.get("email") or "").strip().lower() or None
    phone = (props.get("phone") or props.get("mobilephone") or "").strip() or None
    cid = str(contact["id"])

    def rec(kind: str, value: str | None) -> FeedbackRecord:
        return FeedbackRecord("hubspot", cid, email, phone, kind, value, changed)  # type: ignore[arg-type]

    out = [rec("email_opt_out", _flag(props.get("hs_email_optout"))),
           rec("email_hard_bounce", props.get("hs_email_hard_bounce_reason_enum") or None),
           rec("lead_status", props.get("hs_lead_status") or None),
           rec("lifecycle", props.get("lifecyclestage") or None),
           rec("owner", props.get("hubspot_owner_id") or None)]
    if do_not_call_property:
        out.append(rec("do_not_call", _flag(props.get(do_not_call_property))))
    return out


def changes_since(sink: HubSpotSink, watermark: datetime | None) -> Iterator[FeedbackRecord]:
    """Every contact HubSpot modified after `watermark` (all contacts when None), oldest change first."""
    dnc = sink.settings.do_not_call_property
    props = PROPERTIES + ([dnc] if dnc else [])
    limit = sink.settings.feedback_page_size
    since_ms, operator = (epoch_ms(watermark), "GT") if watermark is not None else (0, "GTE")
    seen: set[tuple[str, str]] = set()
    while True:
        after: str | None = None
        last_ms: int | None = None
        while True:
            body: dict = {"filterGroups": [{"filters": [{"propertyName": "lastmodifieddate", "operator": operator,
                                                         "value": str(since_ms)}]}],
                          "sorts": ["lastmodifieddate"], "properties": props, "limit": limit}
            if after is not None:
                body["after"] = after
            raw = sink._call("search contacts", sink.api.crm.contacts.search_api.do_search, body,
                             _preload_content=False)
            page = json.loads(raw.data or b"{}")
            for contact in page.get("results") or []:
                records = contact_feedback(contact, dnc)
                if not records:
                    continue
                last_ms = epoch_ms(records[0].changed_at)
                key = (str(contact["id"]), records[0].changed_at.isoformat())
                if key in seen:
                    continue
                seen.add(key)
                yield from records
            after = ((page.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return
            if int(after) + limit > SEARCH_CAP:
                break  # the next page would pass the cap: search again from the last change seen
        if last_ms is None:
            return
        if operator == "GTE" and last_ms == since_ms:
            raise SinkError(f"HubSpot holds more than {SEARCH_CAP} contacts modified in the same millisecond "
                            f"({since_ms}); the search API cannot page past them")
        since_ms, operator = last_ms, "GTE"
