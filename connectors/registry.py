"""Find connectors through Python entry points, so a third-party package can add one without forking us.

A source package declares, in its pyproject.toml:
    [project.entry-points."leadpipe.sources"]
    mytype = "my_package.module:from_config"
where `from_config(source_config, config) -> Source`. The built-in types are known even when the package
metadata is stale (an editable install made before a type was added).
"""

from __future__ import annotations

from functools import cache
from importlib import import_module
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from connectors.sources.base import Source
    from leadpipe.pipeline.settings import Config, SourceConfig

BUILT_IN = {
    "file": "connectors.sources.file_source:from_config",
    "sql": "connectors.sources.sql_source:from_config",
    "forms": "connectors.sources.forms.inbox:from_config",
}


@cache
def source_factories() -> dict[str, str]:
    """type -> "module:function" for every connector, built-in or installed."""
    found = dict(BUILT_IN)
    for ep in entry_points(group="leadpipe.sources"):
        found.setdefault(ep.name, ep.value)
    return found


def connector_types() -> list[str]:
    return sorted(source_factories())


def load_factory(type_name: str) -> Any:
    target = source_factories()[type_name]
    module, _, attr = target.partition(":")
    return getattr(import_module(module), attr)


def build_source(src: SourceConfig, cfg: Config) -> Source:
    factories = source_factories()
    if src.type not in factories:
        raise KeyError(f"source {src.name}: no connector of type {src.type!r}; installed: {sorted(factories)}")
    return load_factory(src.type)(src, cfg)
