"""The dedupe config models live in leadpipe.dedupe_config, so reading the config never imports the matcher."""

from leadpipe.dedupe_config import DedupeConfig, Strategy, SurvivorshipConfig

__all__ = ["DedupeConfig", "Strategy", "SurvivorshipConfig"]
