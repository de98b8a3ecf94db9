"""Find connectors through Python entry points, so a third-party package can add one without forking us.

A source package declares, in its pyproject.toml:
    [project.entry-points."leadpipe.sources"]
    mytype = "my_package.module:from_config"
where `from_config(source_config, config) -> Source`.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points

from connectors.sources.base import Source
from leadpipe.config import Config, SourceConfig


@cache
def source_factories() -> dict:
    return {ep.name: ep for ep in entry_points(group="leadpipe.sources")}


def build_source(src: SourceConfig, cfg: Config) -> Source:
    factories = source_factories()
    if src.type not in factories:
        raise KeyError(f"source {src.name}: no connector of type {src.type!r}; installed: {sorted(factories)}")
    return factories[src.type].load()(src, cfg)
