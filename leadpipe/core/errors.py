"""Errors every layer may raise, phrased for the person who can fix the cause."""

from __future__ import annotations


class ConfigError(ValueError):
    """A config problem, phrased for the person editing the YAML file."""
