"""The Salesforce sink: Leads upserted on an external-id field (our person id), campaigns as named lists.

This module stays light (the config loader reads it); simple-salesforce is imported only when a sink is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.sinks.base import SinkContext, SinkType
from connectors.sinks.salesforce.settings import CAPABILITIES, DEFAULT_MAP, SalesforceSettings

if TYPE_CHECKING:
    from connectors.sinks.salesforce.sink import SalesforceSink
    from connectors.sinks.settings import CommonSinkSettings


def from_settings(settings: CommonSinkSettings, context: SinkContext) -> SalesforceSink:
    # simple-salesforce (and a login) only when a Salesforce sink is really built
    from connectors.sinks.salesforce.sink import salesforce_sink

    return salesforce_sink(settings)


SINK = SinkType(name="salesforce", capabilities=CAPABILITIES, from_settings=from_settings,
                settings_model=SalesforceSettings, field_map=DEFAULT_MAP, label="Salesforce")

__all__ = ["CAPABILITIES", "DEFAULT_MAP", "SINK", "SalesforceSettings", "from_settings"]
