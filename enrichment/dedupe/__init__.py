"""Entity resolution: which lead rows are the same person, and that person's golden record.

Blocking (blocking.py) proposes candidate pairs; comparators.py scores them field by field with rapidfuzz;
fellegi_sunter.py turns the scores into match weights with m/u learned by EM; clustering.py groups matches
without chaining two people through one weak link; survivorship.py builds golden records with provenance.

Runs are incremental: `resolve(batch, existing)` matches new rows against the golden records passed in
(the caller loads only people sharing a blocking key with the batch), so a person keeps one id across runs.
"""

from __future__ import annotations

from typing import Any

from enrichment.dedupe.settings import DedupeConfig

__all__ = ["DedupeConfig", "Model", "Prepared", "Resolution", "fit_model", "match", "person_id_for", "prepare",
           "resolve", "resolve_from_partitions"]


def __getattr__(name: str) -> Any:
    """The matcher's API, loaded on first use (pandas, rapidfuzz): reading the config imports only the settings."""
    if name in __all__:
        from enrichment.dedupe import resolution  # pandas, rapidfuzz: the config load imports this package

        return getattr(resolution, name)
    raise AttributeError(f"module 'enrichment.dedupe' has no attribute {name!r}")
