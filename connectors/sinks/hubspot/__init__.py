"""The HubSpot sink: contacts upserted by email, companies by domain key, static lists as named lists.

This module stays light (the config loader reads it); the API client is imported only when a sink is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.sinks.base import SinkContext, SinkType
from connectors.sinks.hubspot.settings import CAPABILITIES, CUSTOM_CONTACT_PROPS, DEFAULT_MAP, HubSpotSettings

if TYPE_CHECKING:
    from connectors.sinks.hubspot.sink import HubSpotSink
    from connectors.sinks.settings import CommonSinkSettings


def from_settings(settings: CommonSinkSettings, context: SinkContext) -> HubSpotSink:
    # hubspot-api-client takes about a second to import: only when a HubSpot sink is really built
    from connectors.sinks.hubspot.sink import build

    return build(settings, context)


SINK = SinkType(name="hubspot", capabilities=CAPABILITIES, from_settings=from_settings,
                settings_model=HubSpotSettings, field_map=DEFAULT_MAP, label="HubSpot")

__all__ = ["CAPABILITIES", "CUSTOM_CONTACT_PROPS", "DEFAULT_MAP", "SINK", "HubSpotSettings", "from_settings"]
