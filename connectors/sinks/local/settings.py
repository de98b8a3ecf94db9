"""Settings of the local sink (`sink.local:`); the warehouse and the run folder come from the stage."""

from __future__ import annotations

from pydantic import Field

from leadpipe.core.settings import Strict


class LocalSettings(Strict):
    """The embedded CRM needs nothing: a `prospects` table in the warehouse plus a CSV per run.

    `feedback_file` stands in for what a real CRM reports back (unsubscribes, bounces, do-not-call, status):
    a CSV with the columns crm_id, email, phone, kind, value, changed_at (ISO 8601), read each run for the
    rows changed after the last watermark, like HubSpot's and Salesforce's feedback.
    """

    feedback_file: str | None = Field(None, description="CSV of CRM feedback for the local CRM (crm_id, email, "
                                      "phone, kind, value, changed_at); a missing file means no feedback yet.")
