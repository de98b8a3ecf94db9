"""Settings of the local sink (`sink.local:`): none yet; the warehouse and the run folder come from the stage."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Strict(BaseModel):  # becomes leadpipe.core.settings.Strict at merge
    model_config = ConfigDict(extra="forbid", frozen=True)


class LocalSettings(_Strict):
    """The embedded CRM needs nothing: a `prospects` table in the warehouse plus a CSV per run."""
