"""The connector guide's template (docs/connectors.md) runs as written and passes the contract kit."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from connectors import registry
from connectors.sources.base import SourceContext, SourceState
from connectors.testkit import ConnectorCase, ContractViolation, check_connector, check_connector_class
from leadpipe.pipeline.ingest import build_source
from leadpipe.pipeline.settings import ConfigError, load_config

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "connectors.md"


def _guide_module() -> types.ModuleType:
    blocks = re.findall(r"```python\n(.*?)```", GUIDE.read_text(encoding="utf-8"), flags=re.DOTALL)
    template = next(b for b in blocks if "class VCardSource" in b)
    module = types.ModuleType("guide_vcard_source")
    exec(compile(template, str(GUIDE), "exec"), module.__dict__)  # noqa: S102 - our own documentation
    return module


def test_the_guide_template_passes_the_contract_kit(tmp_path: Path) -> None:
    mod = _guide_module()
    (tmp_path / "a.vcf").write_text("BEGIN:VCARD\nFN:Jane Doe\nEMAIL:jane@acme.de\nEND:VCARD\n")
    check_connector(ConnectorCase(
        make_source=lambda: mod.VCardSource("phones", str(tmp_path)),
        add_new_data=lambda: (tmp_path / "b.vcf").write_text("BEGIN:VCARD\nFN:Bo\nEND:VCARD\n"),
        make_bad_input=lambda: (tmp_path / "c.vcf").write_bytes(b"\xff\xfe\x00garbage"),
    ))


def test_the_guide_class_declares_what_the_registry_needs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mod = _guide_module()
    monkeypatch.setitem(sys.modules, mod.__name__, mod)  # as an installed module is: pydantic reads its names
    source = check_connector_class(mod.VCardSource, {"folder": str(tmp_path)})
    assert source.folder == tmp_path

    class Loose(mod.VCardSource):
        class Settings(BaseModel):  # pydantic's default: unknown keys silently dropped
            folder: str

    with pytest.raises(ContractViolation, match="accepts unknown keys"):
        check_connector_class(Loose, {"folder": str(tmp_path)})

    class Untyped:
        @classmethod
        def from_settings(cls, name, settings, context):  # noqa: ANN001, ANN206
            return mod.VCardSource(name, ".")

    with pytest.raises(ContractViolation, match="needs a `Settings` attribute"):
        check_connector_class(Untyped, {"folder": "."})


@pytest.mark.parametrize(("type_name", "settings"), [
    ("file", {"path": "/data/lists/*.csv"}),
    ("sql", {"connection": "crm_db", "table": "contacts", "watermark": "updated_at"}),
    ("forms", {"forms": ["contact"]}),
])
def test_every_built_in_connector_declares_typed_settings(type_name: str, settings: dict) -> None:
    check_connector_class(registry.load_factory(type_name), settings, SourceContext(form_inbox=object()))


def test_the_kit_catches_a_connector_that_forgets_its_state(tmp_path: Path) -> None:
    mod = _guide_module()

    class Forgetful(mod.VCardSource):
        def discover(self, state):  # noqa: ANN001, ANN202 - ignores what was delivered
            return super().discover(type(state)())

    (tmp_path / "a.vcf").write_text("BEGIN:VCARD\nFN:Jane\nEND:VCARD\n")
    with pytest.raises(ContractViolation, match="re-run with the saved state found units again"):
        check_connector(ConnectorCase(make_source=lambda: Forgetful("x", str(tmp_path))))


def test_the_kit_catches_non_text_payloads_and_stray_exceptions(tmp_path: Path) -> None:
    mod = _guide_module()
    (tmp_path / "a.vcf").write_text("BEGIN:VCARD\nFN:Jane\nEND:VCARD\n")

    class Numbers(mod.VCardSource):
        def read(self, unit):  # noqa: ANN001, ANN202
            for r in super().read(unit):
                yield type(r)(r.source_row, {**r.payload, "age": 42})

    with pytest.raises(ContractViolation, match="payload must map text column names to text values"):
        check_connector(ConnectorCase(make_source=lambda: Numbers("x", str(tmp_path))))

    class Crashy(mod.VCardSource):
        def read(self, unit):  # noqa: ANN001, ANN202
            if unit.name == "bad.vcf":
                raise KeyError("boom")
            yield from super().read(unit)

    with pytest.raises(ContractViolation, match="bad input raised KeyError"):
        check_connector(ConnectorCase(make_source=lambda: Crashy("x", str(tmp_path)),
                                      make_bad_input=lambda: (tmp_path / "bad.vcf").write_text("x")))


@pytest.fixture
def vcard_installed(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """The guide's connector registered as `type: vcard`, as its entry point would after `pip install`."""
    mod = _guide_module()
    monkeypatch.setitem(sys.modules, mod.__name__, mod)
    monkeypatch.setattr(registry, "source_factories",
                        lambda: {**registry.BUILT_IN, "vcard": f"{mod.__name__}:VCardSource"})
    return mod


def _sources(home: Path, *sources: dict) -> Path:
    path = home / "c.yaml"
    path.write_text(yaml.safe_dump({"sources": list(sources)}))
    return path


def test_the_guide_connector_is_built_from_its_typed_settings(home: Path, vcard_installed) -> None:
    (home / "cards").mkdir()
    (home / "cards" / "a.vcf").write_text("BEGIN:VCARD\nFN:Jane\nEMAIL:j@x.de\nEND:VCARD\n")
    for entry in ({"folder": "{home}/cards"}, {"options": {"folder": "cards"}}):  # beside the keys, or as before
        cfg = load_config(_sources(home, {"name": "phones", "type": "vcard", **entry}))
        [src] = cfg.sources
        assert isinstance(src.settings, vcard_installed.VCardSettings)
        source = build_source(src, cfg)
        assert source.folder == home / "cards"  # {home} and relative paths resolved by the pipeline
        [unit] = source.discover(SourceState())
        assert [r.payload for r in source.read(unit)] == [{"full_name": "Jane", "email": "j@x.de"}]


def test_the_guide_connector_settings_are_checked_like_the_rest_of_the_config(home: Path, vcard_installed) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(_sources(home, {"name": "phones", "type": "vcard", "foldr": "{home}/cards"}))
    assert "sources.0.foldr: unknown key (check the spelling)" in str(err.value)
    assert "sources.0.folder: Field required" in str(err.value)
    with pytest.raises(ConfigError, match="sources.0.folder: Input should be a valid string"):
        load_config(_sources(home, {"name": "phones", "type": "vcard", "options": {"folder": ["a", "b"]}}))
    with pytest.raises(ConfigError, match=r"\['folder'\] given both under options and beside it"):
        load_config(_sources(home, {"name": "phones", "type": "vcard", "folder": "a", "options": {"folder": "b"}}))


def test_a_connector_without_settings_is_a_config_error(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    legacy = types.ModuleType("legacy_connector")
    legacy.from_config = lambda src, cfg: None  # the old factory style: no Settings to check the keys with
    monkeypatch.setitem(sys.modules, "legacy_connector", legacy)
    monkeypatch.setattr(registry, "source_factories",
                        lambda: {**registry.BUILT_IN, "old": "legacy_connector:from_config"})
    with pytest.raises(ConfigError, match="connector type 'old' .* declares no Settings model"):
        load_config(_sources(home, {"name": "x", "type": "old", "options": {"a": 1}}))
