"""Find connectors through Python entry points, so a third-party package can add one without forking us.

A source package declares, in its pyproject.toml:
    [project.entry-points."leadpipe.sources"]
    mytype = "my_package.module:MySource"
where `MySource` has a `Settings` attribute (a pydantic model of its YAML keys, best built on
leadpipe.core.settings.Strict so a typo is an error) and a classmethod
`from_settings(name, settings, context) -> Source`. The config checks a source's keys against `Settings`,
so a connector is only ever built from validated settings. The built-in types are known even when the
package metadata is stale (an editable install made before a type was added).
"""

from __future__ import annotations

from functools import cache
from importlib import import_module
from importlib.metadata import entry_points
from typing import Any

from pydantic import BaseModel

from connectors.sources.base import Source, SourceContext

BUILT_IN = {
    "file": "connectors.sources.file_source:FileSource",
    "sql": "connectors.sources.sql_source:SqlSource",
    "forms": "connectors.sources.forms.inbox:FormInboxSource",
}


@cache
def source_factories() -> dict[str, str]:
    """type -> "module:attribute" for every connector, built-in or installed."""
    found = dict(BUILT_IN)
    for ep in entry_points(group="leadpipe.sources"):
        found.setdefault(ep.name, ep.value)
    return found


def connector_types() -> list[str]:
    return sorted(source_factories())


def load_factory(type_name: str) -> Any:
    """The connector class (or factory object) registered for `type_name`."""
    target = source_factories()[type_name]
    module, _, attr = target.partition(":")
    return getattr(import_module(module), attr)


def settings_model(type_name: str) -> type[BaseModel]:
    """The settings model a connector type declares; ValueError (a config error) when it declares none."""
    connector = load_factory(type_name)
    model = getattr(connector, "Settings", None)
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        # ValueError, not TypeError: raised while the config is validated, it must become a config error line
        raise ValueError(  # noqa: TRY004
            f"connector type '{type_name}' ({source_factories()[type_name]}) declares no Settings model; "
            "see docs/connectors.md, 'Adding a connector'")
    return model


def build_source(type_name: str, name: str, settings: BaseModel, context: SourceContext | None = None) -> Source:
    """A source of `type_name` built from its validated settings (see settings_model)."""
    factories = source_factories()
    if type_name not in factories:
        raise KeyError(f"source {name}: no connector of type {type_name!r}; installed: {sorted(factories)}")
    return load_factory(type_name).from_settings(name, settings, context or SourceContext())
