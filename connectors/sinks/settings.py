"""The `sink:` section of the config: which CRM, how fields map, and each sink's own settings.

The section is composed from the installed sinks (connectors.sinks.registry): `type` must name one of them,
and every sink's settings model appears as `sink.<type>:` (`sink.hubspot:`, `sink.salesforce:`, ...), so
a new sink package brings its settings with it. Credentials are never here: a HubSpot private-app token or
Salesforce OAuth details come from an Airflow Connection (or the matching AIRFLOW_CONN_<ID> /
LEADPIPE_* environment variable), see `credentials.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, Field, create_model, model_validator

from connectors.sinks.base import SinkType
from connectors.sinks.registry import load_sink_factory, sink_types
from leadpipe.core.schema import PROSPECT_FIELDS
from leadpipe.core.settings import Strict

WritePolicyName = Literal["overwrite", "fill_blank", "never"]

# Our prospect fields that can be mapped to CRM properties: everything a sink receives.
MAPPABLE = PROSPECT_FIELDS


class CommonSinkSettings(Strict):
    """What every sink shares; `SinkSettings` adds `type` and one section per installed sink."""

    type: str = "local"
    field_map: dict[str, str] = Field(default_factory=dict, description="Our field -> CRM property; replaces the "
                                      "default mapping for the fields you list.")
    write_policy: dict[str, WritePolicyName] = Field(default_factory=dict, description="Our field -> overwrite | "
                                                     "fill_blank (only if the CRM value is empty) | never.")

    @model_validator(mode="after")
    def _known_fields(self) -> CommonSinkSettings:
        for section, keys in (("field_map", self.field_map), ("write_policy", self.write_policy)):
            unknown = sorted(set(keys) - set(MAPPABLE))
            if unknown:
                raise ValueError(f"sink.{section} names unknown field(s) {unknown}; allowed: {', '.join(MAPPABLE)}")
        if "email" in self.write_policy and self.write_policy["email"] != "overwrite":
            raise ValueError("sink.write_policy.email must stay 'overwrite': email is how records are matched")
        return self

    def mapping(self, default: Mapping[str, str]) -> dict[str, str]:
        """A sink's default field mapping with this config's `field_map` on top."""
        return {**default, **self.field_map}

    def mapping_for(self, crm: str) -> dict[str, str]:
        """The installed sink `crm`'s default field mapping with this config's `field_map` on top."""
        return self.mapping(load_sink_factory(crm).field_map)

    def options(self, crm: str) -> BaseModel | None:
        """The sink's own section (`sink.<crm>:`), or None when it declares no settings."""
        return getattr(self, crm, None)


def compose(types: list[SinkType]) -> type[CommonSinkSettings]:
    """The `sink:` section for these sink types: `type` limited to their names, one typed section each."""
    sections: dict[str, Any] = {t.name: (t.settings_model, Field(default_factory=t.settings_model))
                                for t in types if t.settings_model is not None}
    return create_model("SinkSettings", __base__=CommonSinkSettings, __module__=__name__,
                        type=(Literal[tuple(t.name for t in types)], "local"), **sections)


# Composed once, at import: installed packages are known by then (entry points do not change in a process).
SinkSettings = compose([load_sink_factory(name) for name in sink_types()])
