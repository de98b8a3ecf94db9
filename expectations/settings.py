"""The `validation:` section of the config: data-quality thresholds, globally and per source.

Why per source: a vendor known for thin job titles, or a web form whose volume swings with campaigns,
needs looser limits than a curated list; one global number would either let bad lists through or stop
good ones. Anything a source leaves unset falls back to the global value.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from leadpipe.core.schema import MAPPABLE_FIELDS
from leadpipe.core.settings import Strict

# Name fields of which at least one must be mapped and filled: web forms give full_name, vendors first/last.
NAME_FIELDS: tuple[str, ...] = ("first_name", "last_name", "full_name")


class SourceThresholds(Strict):
    """Overrides for one source; every key optional (unset = the global value)."""

    min_valid_email_share: float | None = Field(None, ge=0, le=1)
    min_job_title_share: float | None = Field(None, ge=0, le=1)
    required_columns: list[str] | None = None
    min_volume_ratio: float | None = Field(None, ge=0, le=1)
    max_volume_ratio: float | None = Field(None, ge=1)
    history_runs: int | None = Field(None, ge=1, le=100)
    min_history_runs: int | None = Field(None, ge=1, le=100)

    @model_validator(mode="after")
    def _known_columns(self) -> SourceThresholds:
        unknown = sorted(set(self.required_columns or []) - set(MAPPABLE_FIELDS))
        if unknown:
            raise ValueError(f"required_columns names unknown lead field(s) {unknown}; "
                             f"allowed: {', '.join(MAPPABLE_FIELDS)}")
        return self


class Thresholds(Strict):
    """The limits in force for one source after overrides (what the suites are built from)."""

    min_valid_email_share: float
    min_job_title_share: float
    required_columns: tuple[str, ...]
    min_volume_ratio: float
    max_volume_ratio: float
    history_runs: int
    min_history_runs: int


class ValidationConfig(Strict):
    min_valid_email_share: float = Field(
        0.9, ge=0, le=1, description="Below this share of valid emails a list is stopped before the CRM.")
    min_job_title_share: float = Field(
        0.5, ge=0, le=1, description="Below this share of job titles a warning is recorded.")
    required_columns: list[str] = Field(
        default_factory=lambda: ["email"],
        description="Lead fields every batch must carry (mapped and not all empty); a name is always required.")
    min_volume_ratio: float = Field(
        0.2, ge=0, le=1,
        description="A batch smaller than this share of the source's usual size (median of its last runs) "
                    "is stopped: a 90% drop usually means a broken export. 0 switches the check off.")
    max_volume_ratio: float = Field(
        10.0, ge=1, description="A batch larger than this multiple of the usual size gets a warning.")
    history_runs: int = Field(5, ge=1, le=100, description="How many of the source's last runs make 'usual'.")
    min_history_runs: int = Field(
        3, ge=1, le=100, description="Volume is only judged once a source has this many earlier runs.")
    sources: dict[str, SourceThresholds] = Field(
        default_factory=dict, description="Per-source overrides: source name -> any of the keys above.")

    @model_validator(mode="after")
    def _known_columns(self) -> ValidationConfig:
        unknown = sorted(set(self.required_columns) - set(MAPPABLE_FIELDS))
        if unknown:
            raise ValueError(f"required_columns names unknown lead field(s) {unknown}; "
                             f"allowed: {', '.join(MAPPABLE_FIELDS)}")
        return self

    def for_source(self, name: str) -> Thresholds:
        """Global values with the source's overrides applied."""
        override = self.sources.get(name, SourceThresholds())
        merged = {key: getattr(self, key) for key in Thresholds.model_fields}
        merged.update({k: v for k, v in override.model_dump().items() if v is not None})
        merged["required_columns"] = tuple(merged["required_columns"])
        return Thresholds(**merged)
