"""The `dedupe:` section of leadpipe.yaml: match thresholds, blocking cap and golden-record survivorship.

Beside the matcher that reads it; the module itself imports no pandas or rapidfuzz (the package's
__init__ does, when this module is imported through it).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from leadpipe.core.settings import Strict

Strategy = Literal["fill_blanks", "most_recent", "most_complete", "source_priority"]


class SurvivorshipConfig(Strict):
    """How each golden-record field picks its value when several rows of one person disagree."""

    default: Strategy = Field("fill_blanks", description="Strategy for every field not listed in `fields`.")
    fields: dict[str, Strategy] = Field(default_factory=dict, description="Per-field strategy, e.g. job_title: most_recent.")
    source_priority: list[str] = Field(default_factory=list,
                                       description="Source names, most trusted first (for source_priority).")


class DedupeConfig(Strict):
    name_company_threshold: float = Field(
        90, ge=50, le=100,
        description="Kept for old configs: rapidfuzz score (0-100) below which two names are 'different' "
                    "when their emails differ.",
    )
    match_probability: float = Field(0.95, gt=0, lt=1, description="Pairs at or above this are merged.")
    review_probability: float = Field(0.5, gt=0, lt=1,
                                      description="Pairs between this and match_probability are kept for review, "
                                                  "not merged.")
    max_block_size: int = Field(100, ge=2, le=5000,
                                description="Blocks (records sharing one key) bigger than this are skipped: a "
                                            "junk key like 'n/a' must not explode the pair count.")
    train: bool = Field(True, description="Estimate m/u from the data (EM) when there is enough of it.")
    partitions: int = Field(2, ge=1, le=256,
                            description="Airflow: candidate pairs are scored in this many mapped tasks (workers), "
                                        "then merged; the result is the same for any number.")
    survivorship: SurvivorshipConfig = SurvivorshipConfig()

    @model_validator(mode="after")
    def _bands_in_order(self) -> DedupeConfig:
        if self.review_probability >= self.match_probability:
            raise ValueError(f"dedupe.review_probability ({self.review_probability}) must be below "
                             f"dedupe.match_probability ({self.match_probability})")
        return self
