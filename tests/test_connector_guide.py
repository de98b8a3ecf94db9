"""The connector guide's template (docs/connectors.md) runs as written and passes the contract kit."""

from __future__ import annotations

import re
import types
from pathlib import Path

import pytest

from connectors.testkit import ConnectorCase, ContractViolation, check_connector

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


def test_the_guide_factory_works_through_the_config(tmp_path: Path, home: Path) -> None:
    import yaml

    from leadpipe.pipeline.settings import load_config

    mod = _guide_module()
    (home / "cards").mkdir()
    (home / "cards" / "a.vcf").write_text("BEGIN:VCARD\nFN:Jane\nEMAIL:j@x.de\nEND:VCARD\n")
    (home / "c.yaml").write_text(yaml.safe_dump({"sources": [
        {"name": "phones", "type": "file", "path": "{home}/cards"}]}))
    cfg = load_config(home / "c.yaml")
    src = mod.from_config(cfg.sources[0], cfg)
    from connectors.sources.base import SourceState

    [unit] = src.discover(SourceState())
    assert [r.payload for r in src.read(unit)] == [{"full_name": "Jane", "email": "j@x.de"}]
