"""The CRM pools exist in Airflow's metadata DB before any task names them (a missing pool is never scheduled)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def test_start_up_creates_one_pool_per_crm_with_the_configured_slots(airflow_db: None, tmp_path: Path) -> None:
    from airflow.models.pool import Pool

    from leadpipe.pipeline.settings import DEFAULT_CONFIG

    text = DEFAULT_CONFIG.read_text().replace("crm_pool_slots: 2", "crm_pool_slots: 3")
    assert "crm_pool_slots: 3" in text
    (tmp_path / "cfg.yaml").write_text(text)
    out = subprocess.run([sys.executable, "-m", "leadpipe.airflow_app.pools"], check=True, capture_output=True,
                         text=True, env={**os.environ, "LEADPIPE_CONFIG": str(tmp_path / "cfg.yaml")})
    assert "crm_hubspot" in out.stdout and "crm_salesforce" in out.stdout
    assert Pool.get_pool("crm_hubspot").slots == 3 and Pool.get_pool("crm_salesforce").slots == 3
    assert Pool.get_pool("crm_local") is None  # the local sink writes the warehouse only


@pytest.mark.parametrize(("sink", "pool"), [("hubspot", "crm_hubspot"), ("salesforce", "crm_salesforce"),
                                            ("local", "default_pool")])
def test_pool_names(sink: str, pool: str) -> None:
    from leadpipe.airflow_app.pools import crm_pool

    assert crm_pool(sink) == pool
