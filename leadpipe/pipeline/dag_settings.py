"""Settings the Airflow DAGs read while they are parsed: schedule, deadline, the rebuild form's choices.

Parsing happens every few seconds in the DAG processor, so this module stays light: YAML, pydantic and the
sinks' light entry points (for the CRM choices), no database, no network, no pandas.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import yaml
from pydantic import Field, ValidationError, field_validator

from connectors.sinks.registry import load_sink_factory, sink_types
from enrichment.web.settings import WebEnrichmentConfig
from leadpipe.core.settings import Strict

DEFAULT_CONFIG = Path(__file__).resolve().parents[2] / "config" / "leadpipe.yaml"
# Airflow stops the enrich task this long after the stage's own run budget: the stage normally ends first
# (saving every site's outcome); the timeout only catches what the budget cannot, e.g. a stuck database.
ENRICH_TIMEOUT_MARGIN = timedelta(minutes=15)


def crm_labels() -> dict[str, str]:
    """Installed sink types (the `leadpipe.sinks` entry points) -> how the rebuild form names them.

    Sink packages keep their entry point light (no CRM client), so reading them at DAG parse time is cheap.
    """
    return {name: load_sink_factory(name).label or name for name in sink_types()}


class RebuildSettings(Strict):
    approval_above: int = Field(
        500, ge=0, description="Lists with more prospects to write than this wait for a person to approve them."
    )
    crm_targets: list[str] = Field(
        default_factory=lambda: ["local"], min_length=1, description="CRMs offered in the rebuild form."
    )
    max_list_size: int = Field(50_000, ge=1, description="Upper bound sales-ops can ask for in one list.")

    @field_validator("crm_targets")
    @classmethod
    def _known_targets(cls, v: list[str]) -> list[str]:
        allowed = crm_labels()
        unknown = sorted(set(v) - set(allowed))
        if unknown:
            raise ValueError(f"unknown CRM target {unknown}; allowed: {', '.join(allowed)}")
        return v


class AirflowSettings(Strict):
    nightly_schedule: str = Field("0 2 * * *", description="Cron line (UTC) for leads_nightly.")
    nightly_deadline_minutes: int = Field(
        240, ge=1, description="Alert when a nightly run is not finished this long after it was queued."
    )
    rebuild: RebuildSettings = RebuildSettings()
    crm_pool_slots: int = Field(
        2, ge=1, le=32, description="Tasks that may call one CRM at once (its Airflow pool crm_<type>); they "
                                    "share one request budget, so more slots do not mean more requests.",
    )
    batch_rows: int = Field(
        100_000, ge=1_000,
        description="A source with more new rows than this is normalised in batches of about this many rows, "
                    "one mapped task each, so several workers share one big file.",
    )

    call_lists_schedule: str = Field("0 6 * * 1-5", description="Cron line (UTC) for call_lists_daily: build "
                                     "each owner's call list before the callers start.")

    @field_validator("nightly_schedule", "call_lists_schedule")
    @classmethod
    def _five_fields(cls, v: str) -> str:
        if len(v.split()) != 5:
            raise ValueError(f"'{v}' is not a 5-field cron line like '0 2 * * *' (minute hour day month weekday)")
        return v


@dataclass(frozen=True)
class DagSettings:
    """The few config values DAG files need while parsing; tasks load and validate the full config."""

    airflow: AirflowSettings
    markets: dict[str, str]  # name -> label
    countries: list[str]
    personas: dict[str, str]  # name -> label
    qualify_at: int
    tiers: dict[str, int]
    sink_type: str = "local"  # the nightly push's CRM (the `sink.type` of the config)
    enrich_run_budget_seconds: float = WebEnrichmentConfig().run_budget_seconds

    @property
    def enrich_timeout(self) -> timedelta:
        """execution_timeout of the enrich task: the run budget of `enrichment.web` plus a margin."""
        return timedelta(seconds=self.enrich_run_budget_seconds) + ENRICH_TIMEOUT_MARGIN


def read_dag_settings(path: str | Path | None = None) -> DagSettings:
    """Read config/leadpipe.yaml (or LEADPIPE_CONFIG) without importing the pipeline's modules.

    The full config pulls in pandas and rapidfuzz through its sections; the DAG processor re-parses DAG
    files every few seconds, so parse time only reads the YAML and validates the `airflow` section.
    """
    path = Path(path or os.environ.get("LEADPIPE_CONFIG") or DEFAULT_CONFIG)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        airflow = AirflowSettings.model_validate(data.get("airflow") or {})
    except FileNotFoundError:
        raise ValueError(f"config file not found: {path}") from None
    except (yaml.YAMLError, ValidationError) as exc:
        raise ValueError(f"{path}: the 'airflow' section is not valid: {exc}") from None
    try:
        web = WebEnrichmentConfig.model_validate((data.get("enrichment") or {}).get("web") or {})
    except ValidationError as exc:
        raise ValueError(f"{path}: the 'enrichment.web' section is not valid: {exc}") from None
    markets = {m["name"]: m.get("label") or m["name"] for m in data.get("markets") or []}
    countries = sorted({str(c).upper() for m in data.get("markets") or [] for c in m.get("countries") or []})
    personas = {p["name"]: _persona_label(p) for p in data.get("personas") or []}
    scoring = data.get("scoring") or {}
    return DagSettings(airflow=airflow, markets=markets, countries=countries, personas=personas,
                       qualify_at=int(scoring.get("qualify_at", 40)),
                       tiers=dict(scoring.get("tiers") or {"A": 70, "B": 55, "C": 40}),
                       sink_type=str((data.get("sink") or {}).get("type") or "local"),
                       enrich_run_budget_seconds=web.run_budget_seconds)


def _persona_label(p: dict) -> str:
    who = ", ".join(str(s).replace("_", "-") for s in p.get("seniorities") or []) or "any seniority"
    depts = ", ".join(p.get("departments") or [])
    return f"{p['name']} ({who}{' in ' + depts if depts else ''})"
