"""Find sinks through Python entry points, so a package can add a CRM without forking us.

A sink package declares, in its pyproject.toml:
    [project.entry-points."leadpipe.sinks"]
    mycrm = "my_package:SINK"
where SINK is a `connectors.sinks.base.SinkType` (settings model, declared capabilities, `from_settings`).
The built-in types are known even when the package metadata is stale (an editable install made before a
type was added), as for sources (connectors.registry).
"""

from __future__ import annotations

from functools import cache
from importlib import import_module
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

from connectors.sinks.base import Sink, SinkContext, SinkType

if TYPE_CHECKING:
    from connectors.sinks.settings import CommonSinkSettings

GROUP = "leadpipe.sinks"
BUILT_IN = {
    "local": "connectors.sinks.local:SINK",
    "hubspot": "connectors.sinks.hubspot:SINK",
    "salesforce": "connectors.sinks.salesforce:SINK",
}


class UnknownSink(ValueError):
    """The config names a sink type no installed package provides."""


@cache
def sink_entries() -> dict[str, str]:
    """type -> "module:attribute" for every sink, built-in or installed."""
    found = dict(BUILT_IN)
    for ep in entry_points(group=GROUP):
        found.setdefault(ep.name, ep.value)
    return found


def sink_types() -> list[str]:
    """Installed sink types, the default (local) first."""
    return sorted(sink_entries(), key=lambda name: (name != "local", name))


@cache
def load_sink_factory(name: str) -> SinkType:
    """The registered SinkType for `name`; UnknownSink names the allowed types."""
    entries = sink_entries()
    if name not in entries:
        raise UnknownSink(f"no sink of type {name!r}; installed sink types: {', '.join(sink_types())}")
    module, _, attr = entries[name].partition(":")
    found = getattr(import_module(module), attr)
    if not isinstance(found, SinkType) or found.name != name:
        raise UnknownSink(f"the {GROUP} entry point {name!r} -> {entries[name]} is not a SinkType named {name!r}")
    return found


def build_sink(settings: CommonSinkSettings, context: SinkContext) -> Sink:
    """The configured sink: its type's `from_settings` with the `sink:` section and what the stage injects."""
    return load_sink_factory(settings.type).from_settings(settings, context)
