"""Pipeline configuration: one YAML file, validated, with errors a sales-ops person can act on.

Secrets never live here: the warehouse URL with a password and CRM credentials come from the environment
or Airflow Connections. Paths may use ``{home}`` (the LEADPIPE_HOME folder); relative paths resolve against it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = REPO_ROOT / "config" / "leadpipe.yaml"


class ConfigError(ValueError):
    """A config problem, phrased for the person editing the YAML file."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceConfig(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,62}$", description="Lower-case id used in lineage and logs.")
    type: Literal["file"] = "file"
    path: str = Field(description="File or glob, e.g. '{home}/inputs/apollo_*.csv'.")
    kind: Literal["purchased", "form"] = "purchased"
    preset: str | None = Field(default=None, description="Header preset of a known vendor export.")
    mapping: dict[str, str] = Field(default_factory=dict, description="canonical field -> column header.")
    delimiter: str | None = None
    encoding: str = "utf-8-sig"

    @model_validator(mode="after")
    def _known_fields(self) -> "SourceConfig":
        from leadpipe.schema import MAPPABLE_FIELDS

        from connectors.sources.presets import PRESETS

        if self.preset is not None and self.preset not in PRESETS:
            raise ValueError(f"preset '{self.preset}' is unknown; allowed: {', '.join(sorted(PRESETS))}")
        unknown = sorted(set(self.mapping) - set(MAPPABLE_FIELDS))
        if unknown:
            raise ValueError(
                f"mapping names unknown lead field(s) {unknown}; allowed: {', '.join(MAPPABLE_FIELDS)}"
            )
        return self


class ValidationConfig(_Strict):
    min_valid_email_share: float = Field(0.9, ge=0, le=1)


class DedupeConfig(_Strict):
    name_company_threshold: float = Field(
        90, ge=50, le=100, description="rapidfuzz score (0-100) on name + company to merge two leads."
    )


class MarketRule(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    countries: list[str] = Field(default_factory=list, description="ISO alpha-2 codes; empty = any.")
    industries: list[str] = Field(default_factory=list, description="Industry labels; empty = any.")
    min_employees: int | None = None
    max_employees: int | None = None

    @field_validator("countries")
    @classmethod
    def _upper(cls, v: list[str]) -> list[str]:
        return [c.upper() for c in v]


class ScoringConfig(_Strict):
    market_points: dict[str, int] = Field(default_factory=dict, description="market name -> points.")
    seniority_points: dict[str, int] = Field(default_factory=dict, description="seniority -> points.")
    work_email_points: int = 10
    phone_points: int = 5
    form_submission_points: int = 15
    qualify_at: int = Field(40, description="Minimum score for a lead to be pushed to the CRM.")
    tiers: dict[str, int] = Field(default_factory=lambda: {"A": 70, "B": 55, "C": 40})

    @model_validator(mode="after")
    def _tiers_cover_threshold(self) -> "ScoringConfig":
        if self.tiers and min(self.tiers.values()) > self.qualify_at:
            raise ValueError("the lowest tier must start at or below qualify_at, or qualified leads get no tier")
        return self


class SuppressionConfig(_Strict):
    do_not_contact_files: list[str] = Field(
        default_factory=list, description="CSV files with an 'email', 'domain' or 'phone' column."
    )
    suppress_role_addresses: bool = True
    suppress_disposable_addresses: bool = True
    require_consent_for_forms: bool = True


class SinkConfig(_Strict):
    type: Literal["local"] = "local"


class Config(_Strict):
    sources: list[SourceConfig]
    validation: ValidationConfig = ValidationConfig()
    dedupe: DedupeConfig = DedupeConfig()
    markets: list[MarketRule] = Field(default_factory=list)
    scoring: ScoringConfig = ScoringConfig()
    suppression: SuppressionConfig = SuppressionConfig()
    sink: SinkConfig = SinkConfig()
    # Filled in by load_config, not by the YAML.
    home: Path = Path(".")
    warehouse_url: str = ""

    @model_validator(mode="after")
    def _unique_sources(self) -> "Config":
        names = [s.name for s in self.sources]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"source names must be unique; repeated: {dupes}")
        return self

    def resolve(self, path: str) -> Path:
        """Turn a config path (with {home}) into an absolute path."""
        p = Path(path.replace("{home}", str(self.home))).expanduser()
        return p if p.is_absolute() else self.home / p

    @property
    def runs_dir(self) -> Path:
        return self.home / "runs"


def leadpipe_home() -> Path:
    return Path(os.environ.get("LEADPIPE_HOME", ".leadpipe")).resolve()


def load_config(path: str | Path | None = None) -> Config:
    """Read and validate the config; raise ConfigError with one line per problem."""
    path = Path(path or os.environ.get("LEADPIPE_CONFIG") or DEFAULT_CONFIG)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of sections at the top level")
    home = leadpipe_home()
    data = {**data, "home": home}
    data["warehouse_url"] = os.environ.get("LEADPIPE_WAREHOUSE_URL") or f"sqlite:///{home / 'warehouse.db'}"
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_explain(path, exc)) from None


def _explain(path: Path, exc: ValidationError) -> str:
    lines = [f"{path}: {exc.error_count()} problem(s) in the config:"]
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling)"
        lines.append(f"  - {where}: {msg}")
    return "\n".join(lines)
