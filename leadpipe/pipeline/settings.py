"""Pipeline configuration: one YAML file, validated, with errors a sales-ops person can act on.

Each section's model lives with the part that uses it (scoring with enrichment.score, a source's keys with
its connector, ...); this module composes them into `Config` and fills in what comes from the environment.
Secrets never live here: the warehouse URL with a password and CRM credentials come from the environment
or Airflow Connections. Paths may use ``{home}`` (the LEADPIPE_HOME folder); relative paths resolve against it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SerializeAsAny, field_validator, model_validator

from connectors.registry import BUILT_IN, connector_types, settings_model
from connectors.sinks.registry import sink_types
from connectors.sinks.settings import SinkSettings as SinkConfig
from connectors.sources.presets import PRESETS
from enrichment.call_lists import CallListConfig
from enrichment.channels import ChannelsConfig
from enrichment.dedupe.settings import DedupeConfig
from enrichment.personas import PersonaRule
from enrichment.routing import RoutingConfig
from enrichment.score import ScoringConfig
from enrichment.settings import MarketRule, SuppressionConfig
from enrichment.web.settings import EnrichmentConfig
from expectations.settings import ValidationConfig
from leadpipe.core.errors import ConfigError
from leadpipe.core.redact import mask_url
from leadpipe.core.schema import MAPPABLE_FIELDS
from leadpipe.core.settings import Strict, load_yaml, validate_settings
from leadpipe.pipeline.dag_settings import AirflowSettings
from leadpipe.store.run_paths import RunPath, runs_root

__all__ = ["DEFAULT_CONFIG", "Config", "ConfigError", "SourceConfig", "leadpipe_home", "load_config"]

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG = REPO_ROOT / "config" / "leadpipe.yaml"
# Keys every source has; all other keys of a source entry are its connector's settings.
COMMON_KEYS = ("name", "type", "kind", "preset", "mapping", "automap")


class SourceConfig(Strict):
    """One configured source: the keys every source has, plus `settings` validated by its connector's model.

    In the YAML a connector's keys sit beside the common ones (`path:` for a file source, `table:` for sql);
    a third-party connector's keys may also be nested under `options:` (the place they lived before
    connectors declared typed settings). Either way they are checked against the connector's `Settings`.
    """

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,62}$", description="Lower-case id used in lineage and logs.")
    type: str = Field("file", description="Connector type: file, sql, forms, or an installed third-party one.")
    kind: Literal["purchased", "form"] = "purchased"
    preset: str | None = Field(default=None, description="Header preset of a known vendor export.")
    mapping: dict[str, str] = Field(default_factory=dict, description="canonical field -> column header.")
    automap: bool = Field(True, description="Map unknown headers to lead fields by fuzzy alias match.")
    settings: SerializeAsAny[BaseModel] | None = Field(
        None, description="The connector's own settings (filled from the entry's other keys; see docs/connectors.md).")

    @model_validator(mode="wrap")
    @classmethod
    def _connector_settings(cls, data: Any, handler: Any) -> SourceConfig:
        if not isinstance(data, dict) or isinstance(data.get("settings"), BaseModel):
            return handler(data)
        common = {k: v for k, v in data.items() if k in COMMON_KEYS}
        rest = {k: v for k, v in data.items() if k not in COMMON_KEYS}
        if common.get("type") == "forms" and "kind" not in common:
            common["kind"] = "form"
        src = handler(common)  # the common keys first: the type says which settings model checks the rest
        rest = _unnest_options(src, rest)
        model = settings_model(src.type)
        _refuse_other_types_keys(src, model, rest)
        settings = model.model_validate(rest, context={"source": src.name})
        # Once more with the settings, not model_copy: SourceConfig(...) must fill in the instance being built.
        return handler({**common, "settings": settings})

    @field_validator("type")
    @classmethod
    def _known_type(cls, v: str) -> str:
        allowed = connector_types()
        if v not in allowed:
            raise ValueError(f"'{v}' is not a connector type; allowed: {', '.join(allowed)}")
        return v

    @model_validator(mode="after")
    def _known_fields(self) -> SourceConfig:
        if self.preset is not None and self.preset not in PRESETS:
            raise ValueError(f"preset '{self.preset}' is unknown; allowed: {', '.join(sorted(PRESETS))}")
        unknown = sorted(set(self.mapping) - set(MAPPABLE_FIELDS))
        if unknown:
            raise ValueError(
                f"mapping names unknown lead field(s) {unknown}; allowed: {', '.join(MAPPABLE_FIELDS)}"
            )
        return self

    @property
    def location(self) -> str:
        """Where the source reads, for listings: its path, table, query or forms."""
        st = self.settings
        forms = getattr(st, "forms", None)
        return (getattr(st, "path", None) or getattr(st, "table", None) or (getattr(st, "query", None) and "query")
                or (", ".join(forms) if forms else "all forms" if self.type == "forms" else "-"))


def _unnest_options(src: SourceConfig, rest: dict[str, Any]) -> dict[str, Any]:
    """A third-party connector's keys from `options:` joined with the ones beside the common keys."""
    if src.type in BUILT_IN or not isinstance(rest.get("options"), dict):
        return rest
    options = rest["options"]
    beside = {k: v for k, v in rest.items() if k != "options"}
    both = sorted(set(options) & set(beside))
    if both:
        raise ValueError(f"source {src.name}: {both} given both under options and beside it; keep one")
    return {**beside, **options}


def _refuse_other_types_keys(src: SourceConfig, model: type[BaseModel], rest: dict[str, Any]) -> None:
    """'path' on a sql source: name the type it belongs to, not just "unknown key"."""
    if src.type not in BUILT_IN:
        return
    for key, value in rest.items():
        if key in model.model_fields or not value:
            continue
        owner = next((t for t in BUILT_IN if key in settings_model(t).model_fields), None)
        if owner is not None:
            raise ValueError(f"source {src.name}: '{key}' applies only to type {owner}, not {src.type}")


class RetentionSettings(Strict):
    """How long run folders keep their files (Parquet copies of personal data; see leadpipe.pipeline.retention)."""

    run_files_days: int = Field(30, ge=1, le=3650, description=(
        "Days after a run's start its run-folder files are deleted by the nightly DAG; summary.json and "
        "report.html are kept."))


class CrmFeedbackSettings(Strict):
    """What the nightly CRM feedback pull reads back (leadpipe.pipeline.crm_feedback)."""

    enabled: bool = Field(True, description="Read opt-outs, bounces, do-not-call flags, lead status, lifecycle "
                          "and owner changes back from the CRM before qualifying.")
    crms: list[str] = Field(default_factory=list, description="CRM sink types to read from; empty = the "
                            "configured sink (sink.type).")
    overlap_seconds: int = Field(300, ge=0, le=86_400, description="Each pull starts this long before the last "
                                 "change already stored, for changes a CRM indexes late; repeats are ignored.")

    @field_validator("crms")
    @classmethod
    def _known_crms(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(sink_types()))
        if unknown:
            raise ValueError(f"crm_feedback.crms names unknown CRM(s) {unknown}; installed: {', '.join(sink_types())}")
        return value


class Config(Strict):
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
    retention: RetentionSettings = RetentionSettings()
    crm_feedback: CrmFeedbackSettings = CrmFeedbackSettings()
    channels: ChannelsConfig = ChannelsConfig()
    call_lists: CallListConfig = CallListConfig()
    # Filled in by load_config, not by the YAML.
    home: Path = Path(".")
    warehouse_url: str = ""
    runs_url: str = ""  # LEADPIPE_RUNS_URL: run files on object storage (leadpipe.store.run_files); "" = {home}/runs
    runs_conn_id: str = ""  # LEADPIPE_RUNS_CONN_ID: the Airflow Connection with that storage's credentials
    redis_url: str = ""  # LEADPIPE_REDIS_URL: where the shared CRM request budget lives; "" = the warehouse

    @model_validator(mode="after")
    def _unique_sources(self) -> Config:
        names = [s.name for s in self.sources]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"source names must be unique; repeated: {dupes}")
        return self

    @model_validator(mode="after")
    def _runs_url_is_a_url(self) -> Config:
        if self.runs_url and "://" not in self.runs_url:
            raise ValueError(f"LEADPIPE_RUNS_URL must be a URL such as s3://bucket/leadpipe/runs or "
                             f"file:///mnt/shared/runs, not {mask_url(self.runs_url)!r}")
        return self

    @model_validator(mode="after")
    def _validation_sources_known(self) -> Config:
        unknown = sorted(set(self.validation.sources) - {s.name for s in self.sources})
        if unknown:
            raise ValueError(f"validation.sources names unknown source(s) {unknown}; "
                             f"configured: {', '.join(s.name for s in self.sources)}")
        return self

    @model_validator(mode="after")
    def _call_list_teams_known(self) -> Config:
        unknown = sorted(set(self.call_lists.team_quotas) - set(self.routing.teams))
        if unknown:
            raise ValueError(f"call_lists.team_quotas names unknown team(s) {unknown}; teams in routing.teams: "
                             f"{', '.join(self.routing.teams) or 'none'}")
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
    data = load_yaml(path)
    home = leadpipe_home()
    data = {**data, "home": home}
    data["warehouse_url"] = os.environ.get("LEADPIPE_WAREHOUSE_URL") or f"sqlite:///{home / 'warehouse.db'}"
    data["runs_url"] = os.environ.get("LEADPIPE_RUNS_URL", "")
    data["runs_conn_id"] = os.environ.get("LEADPIPE_RUNS_CONN_ID", "")
    data["redis_url"] = os.environ.get("LEADPIPE_REDIS_URL", "")
    return validate_settings(Config, data, path)
