"""Pipeline configuration: one YAML file, validated, with errors a sales-ops person can act on.

Secrets never live here: the warehouse URL with a password and CRM credentials come from the environment
or Airflow Connections. Paths may use ``{home}`` (the LEADPIPE_HOME folder); relative paths resolve against it.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from leadpipe.pipeline.dag_settings import AirflowSettings
from leadpipe.store.run_files import RunPath, runs_root
from expectations.settings import ValidationConfig

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG = REPO_ROOT / "config" / "leadpipe.yaml"


class ConfigError(ValueError):
    """A config problem, phrased for the person editing the YAML file."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceConfig(_Strict):
    """One configured source; which keys apply depends on `type` (see docs/connectors.md)."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,62}$", description="Lower-case id used in lineage and logs.")
    type: str = Field("file", description="Connector type: file, sql, forms, or an installed third-party one.")
    kind: Literal["purchased", "form"] = "purchased"
    preset: str | None = Field(default=None, description="Header preset of a known vendor export.")
    mapping: dict[str, str] = Field(default_factory=dict, description="canonical field -> column header.")
    automap: bool = Field(True, description="Map unknown headers to lead fields by fuzzy alias match.")
    # file
    path: str | None = Field(None, description="File, folder, glob or URI, e.g. '{home}/inputs/apollo_*.csv'.")
    format: Literal["auto", "csv", "tsv", "xlsx", "json", "ndjson"] = "auto"
    delimiter: str | None = None
    encoding: str = Field("auto", description="'auto' detects BOM / UTF-8 / Windows-1252.")
    sheet: str | None = None
    # sql
    connection: str | None = Field(None, description="Airflow Connection id holding the database URL.")
    table: str | None = None
    query: str | None = None
    watermark: str | None = Field(None, description="Column that only grows (updated_at, id).")
    chunk_size: int = Field(10_000, ge=100, le=1_000_000)
    # forms
    forms: list[str] = Field(default_factory=list, description="Form ids to read from the inbox; empty = all.")
    # third-party connectors
    options: dict[str, Any] = Field(default_factory=dict, description="Settings for a third-party connector.")

    @model_validator(mode="before")
    @classmethod
    def _form_kind(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("type") == "forms" and "kind" not in data:
            return {**data, "kind": "form"}
        return data

    @field_validator("type")
    @classmethod
    def _known_type(cls, v: str) -> str:
        from connectors.registry import connector_types

        allowed = connector_types()
        if v not in allowed:
            raise ValueError(f"'{v}' is not a connector type; allowed: {', '.join(allowed)}")
        return v

    @model_validator(mode="after")
    def _known_fields(self) -> "SourceConfig":
        from leadpipe.core.schema import MAPPABLE_FIELDS

        from connectors.sources.presets import PRESETS

        if self.preset is not None and self.preset not in PRESETS:
            raise ValueError(f"preset '{self.preset}' is unknown; allowed: {', '.join(sorted(PRESETS))}")
        unknown = sorted(set(self.mapping) - set(MAPPABLE_FIELDS))
        if unknown:
            raise ValueError(
                f"mapping names unknown lead field(s) {unknown}; allowed: {', '.join(MAPPABLE_FIELDS)}"
            )
        if self.type == "file" and not self.path:
            raise ValueError(f"source {self.name}: a file source needs 'path' (a file, folder, glob or URI)")
        if self.type == "sql":
            if not self.connection:
                raise ValueError(f"source {self.name}: a sql source needs 'connection' (an Airflow Connection id)")
            if bool(self.table) == bool(self.query):
                raise ValueError(f"source {self.name}: a sql source needs exactly one of 'table' or 'query'")
        only = {"path": "file", "sheet": "file", "connection": "sql", "table": "sql", "query": "sql",
                "watermark": "sql", "forms": "forms"}
        for key, kind in only.items():
            if getattr(self, key) and self.type != kind and self.type in ("file", "sql", "forms"):
                raise ValueError(f"source {self.name}: '{key}' applies only to type {kind}, not {self.type}")
        return self


from leadpipe.dedupe_config import DedupeConfig  # the dedupe section, in its own module


class MarketRule(_Strict):
    """One market: every filter that is set must fit; empty filters fit anything."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    countries: list[str] = Field(default_factory=list, description="ISO alpha-2 codes; empty = any.")
    regions: list[str] = Field(default_factory=list, description="ISO 3166-2 codes (US-CA, DE-BY); empty = any.")
    industries: list[str] = Field(default_factory=list, description="Industry labels; empty = any.")
    min_employees: int | None = None
    max_employees: int | None = None
    min_revenue: float | None = Field(None, description="Annual revenue lower bound (the lead's currency).")
    max_revenue: float | None = None

    @field_validator("countries", "regions")
    @classmethod
    def _upper(cls, v: list[str]) -> list[str]:
        return [c.upper() for c in v]


class SizeBand(_Strict):
    min_employees: int = 0
    max_employees: int | None = None
    points: int


class RecencyBand(_Strict):
    within_days: int = Field(gt=0)
    points: int


class ScoringConfig(_Strict):
    """Fit points (who they are) + intent points (what they did, decayed by age) -> total -> tier."""

    market_points: dict[str, int] = Field(default_factory=dict, description="primary market name -> points.")
    seniority_points: dict[str, int] = Field(default_factory=dict, description="seniority -> points.")
    persona_points: dict[str, int] = Field(default_factory=dict, description="persona name -> points.")
    company_size_points: list[SizeBand] = Field(default_factory=list, description="first band that fits counts.")
    work_email_points: int = 10
    phone_points: int = 5
    completeness_points: dict[str, int] = Field(
        default_factory=dict, description="lead field -> points when it is filled (job_title, company, ...)."
    )
    form_submission_points: int = 15
    form_recency_points: list[RecencyBand] = Field(
        default_factory=list, description="extra intent points when the last form was sent within N days."
    )
    source_points: dict[str, int] = Field(default_factory=dict, description="source name -> quality points.")
    intent_half_life_days: float | None = Field(
        90, gt=0, description="intent points halve every N days since the lead was captured; null = no decay."
    )
    qualify_at: int = Field(40, description="Minimum score for a lead to be pushed to the CRM.")
    tiers: dict[str, int] = Field(default_factory=lambda: {"A": 70, "B": 55, "C": 40})

    @model_validator(mode="after")
    def _tiers_cover_threshold(self) -> "ScoringConfig":
        if self.tiers and min(self.tiers.values()) > self.qualify_at:
            raise ValueError("the lowest tier must start at or below qualify_at, or qualified leads get no tier")
        return self


class DncRegistryConfig(_Strict):
    path: str = Field(description="National Do-Not-Call registry extract (flat text, one number per line).")
    downloaded_on: date = Field(description="Day the extract was downloaded: the DNC check date of every phone.")
    country_code: str = Field("1", pattern=r"^[0-9]{1,3}$", description="Calling code the registry covers.")


class SuppressionConfig(_Strict):
    do_not_contact_files: list[str] = Field(
        default_factory=list,
        description="CSV files with an 'email', 'domain' or 'phone' column (unsubscribes, bounces, customers, "
        "competitors); the file name is the reason shown.",
    )
    national_dnc_registry: DncRegistryConfig | None = None
    dnc_max_age_days: int = Field(31, ge=1, description="Phones checked longer ago than this may not be called.")
    suppress_role_addresses: bool = True
    suppress_disposable_addresses: bool = True
    require_consent_for_forms: bool = True
    email_rules: dict[str, Literal["consent", "legitimate_interest"]] = Field(
        default_factory=dict, description="country (ISO alpha-2) -> what emailing needs there."
    )
    default_email_rule: Literal["consent", "legitimate_interest", "none"] = Field(
        "none", description="rule for countries not in email_rules ('none': no GDPR basis needed, e.g. US)."
    )
    legitimate_interest_ref: str | None = Field(
        None, description="Id of the legitimate-interest assessment (LIA) carried on each record."
    )

    @field_validator("email_rules")
    @classmethod
    def _upper_countries(cls, v: dict[str, str]) -> dict[str, str]:
        return {k.upper(): r for k, r in v.items()}


from connectors.sinks.settings import SinkSettings as SinkConfig  # noqa: E402 - the sink section lives with the sinks
from enrichment.personas import PersonaRule  # noqa: E402 - persona section lives with the classifier
from enrichment.routing import RoutingConfig  # noqa: E402 - routing section lives with the routing rules
from enrichment.web.settings import EnrichmentConfig  # noqa: E402 - enrichment section lives with the fetcher


class Config(_Strict):
    sources: list[SourceConfig]
    validation: ValidationConfig = ValidationConfig()
    dedupe: DedupeConfig = DedupeConfig()
    markets: list[MarketRule] = Field(default_factory=list)
    scoring: ScoringConfig = ScoringConfig()
    suppression: SuppressionConfig = SuppressionConfig()
    personas: list[PersonaRule] = Field(default_factory=list)
    routing: RoutingConfig = RoutingConfig()
    sink: SinkConfig = SinkConfig()
    airflow: AirflowSettings = AirflowSettings()
    enrichment: EnrichmentConfig = EnrichmentConfig()
    # Filled in by load_config, not by the YAML.
    home: Path = Path(".")
    warehouse_url: str = ""
    runs_url: str = ""  # LEADPIPE_RUNS_URL: run files on object storage (leadpipe.store.run_files); "" = {home}/runs
    runs_conn_id: str = ""  # LEADPIPE_RUNS_CONN_ID: the Airflow Connection with that storage's credentials

    @model_validator(mode="after")
    def _unique_sources(self) -> "Config":
        names = [s.name for s in self.sources]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"source names must be unique; repeated: {dupes}")
        return self

    @model_validator(mode="after")
    def _runs_url_is_a_url(self) -> "Config":
        if self.runs_url and "://" not in self.runs_url:
            raise ValueError(f"LEADPIPE_RUNS_URL must be a URL such as s3://bucket/leadpipe/runs or "
                             f"file:///mnt/shared/runs, not {self.runs_url!r}")
        return self

    @model_validator(mode="after")
    def _validation_sources_known(self) -> "Config":
        unknown = sorted(set(self.validation.sources) - {s.name for s in self.sources})
        if unknown:
            raise ValueError(f"validation.sources names unknown source(s) {unknown}; "
                             f"configured: {', '.join(s.name for s in self.sources)}")
        return self

    def resolve(self, path: str) -> Path:
        """Turn a config path (with {home}) into an absolute path."""
        p = Path(path.replace("{home}", str(self.home))).expanduser()
        return p if p.is_absolute() else self.home / p

    @property
    def runs_dir(self) -> RunPath:
        """{home}/runs, or an airflow.sdk.ObjectStoragePath under runs_url (see leadpipe.store.run_files)."""
        return runs_root(self.runs_url, self.runs_conn_id, self.home)


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
    data["runs_url"] = os.environ.get("LEADPIPE_RUNS_URL", "")
    data["runs_conn_id"] = os.environ.get("LEADPIPE_RUNS_CONN_ID", "")
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
