"""Config errors must tell a sales-ops person which key is wrong and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadpipe.pipeline.settings import ConfigError, load_config

BASE = """
sources:
  - name: vendor_a
    path: "{home}/in/*.csv"
    preset: apollo
"""


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "leadpipe.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_shipped_config_is_valid(home: Path) -> None:
    cfg = load_config()
    assert [s.name for s in cfg.sources] == ["vendor_apollo", "vendor_zoominfo", "web_forms"]
    assert cfg.warehouse_url == f"sqlite:///{home / 'warehouse.db'}"
    assert cfg.resolve("{home}/inputs/x.csv") == home / "inputs" / "x.csv"


def test_typo_in_a_key_is_named(home: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(_write(tmp_path, BASE + "scoring:\n  qualifiy_at: 50\n"))
    assert "scoring.qualifiy_at: unknown key" in str(err.value)


def test_unknown_preset_lists_the_allowed_ones(home: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(_write(tmp_path, BASE.replace("apollo", "apolo")))
    msg = str(err.value)
    assert "sources.0" in msg and "'apolo' is unknown" in msg and "apollo" in msg and "zoominfo" in msg


def test_mapping_to_an_unknown_field_is_refused(home: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown lead field\(s\) \['e_mail'\]"):
        load_config(_write(tmp_path, BASE + "    mapping: {e_mail: Email}\n"))


def test_duplicate_source_names_are_refused(home: Path, tmp_path: Path) -> None:
    text = BASE + '  - name: vendor_a\n    path: "x.csv"\n'
    with pytest.raises(ConfigError, match="repeated: \\['vendor_a'\\]"):
        load_config(_write(tmp_path, text))


def test_tiers_must_cover_the_threshold(home: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="lowest tier"):
        load_config(_write(tmp_path, BASE + "scoring:\n  qualify_at: 30\n  tiers: {A: 80, B: 60}\n"))


def test_warehouse_url_comes_from_the_environment(home: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADPIPE_WAREHOUSE_URL", "postgresql+psycopg2://u:secret@db/leads")
    assert load_config(_write(tmp_path, BASE)).warehouse_url.endswith("@db/leads")


def test_missing_file_and_bad_yaml(home: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(_write(tmp_path, "sources: [\n"))
