"""Test homes and config files: the default config with a test's edits, demo inputs copied per home."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from leadpipe.pipeline.settings import DEFAULT_CONFIG


def write_config(path: Path, edit: Callable[[dict], object] = lambda data: None) -> Path:
    """The default config with `edit` applied to its data, written to `path`."""
    data = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def one_purchased_list(data: dict, folder: str, registry_age_days: int) -> None:
    """One Apollo-format list (inputs/<folder>/list_*.csv) as the only source, with that folder's dnc.csv as
    our do-not-contact file and its registry.txt as a national DNC registry extract downloaded that long ago."""
    data["sources"] = [{"name": "vendor_apollo", "type": "file", "kind": "purchased",
                        "path": f"{{home}}/inputs/{folder}/list_*.csv", "preset": "apollo"}]
    data["suppression"]["do_not_contact_files"] = [f"{{home}}/inputs/{folder}/dnc.csv"]
    data["suppression"]["national_dnc_registry"] = {
        "path": f"{{home}}/inputs/{folder}/registry.txt",
        "downloaded_on": (datetime.now(UTC).date() - timedelta(days=registry_age_days)).isoformat()}


def demo_home_at(home: Path, demo_inputs: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """LEADPIPE_HOME=home with the demo inputs copied in: for tests that compare runs in several homes."""
    shutil.copytree(demo_inputs, home / "inputs" / "demo")
    monkeypatch.setenv("LEADPIPE_HOME", str(home))
    return home
