"""The local sink (default): the warehouse `prospects` table plus `runs/<run>/crm_import.csv`."""

from __future__ import annotations

from connectors.sinks.base import SinkType
from connectors.sinks.local.settings import LocalSettings
from connectors.sinks.local.sink import (
                CAPABILITIES,
                CSV_COLUMNS,
                LocalSink,
                from_settings,
                neutralise_formula,
)

SINK = SinkType(name="local", capabilities=CAPABILITIES, from_settings=from_settings, settings_model=LocalSettings,
                field_map={f: f for f in CSV_COLUMNS}, label="Local CRM table and CSV (no external CRM)")

__all__ = ["CSV_COLUMNS", "SINK", "LocalSink", "neutralise_formula"]
