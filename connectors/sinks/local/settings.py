"""Settings of the local sink (`sink.local:`): none yet; the warehouse and the run folder come from the stage."""

from __future__ import annotations

from leadpipe.core.settings import Strict


class LocalSettings(Strict):
    """The embedded CRM needs nothing: a `prospects` table in the warehouse plus a CSV per run."""
