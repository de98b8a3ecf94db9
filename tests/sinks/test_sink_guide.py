"""The sink guide's example (docs/crm-sinks.md, "Add a sink") runs as written and passes the contract kit."""

from __future__ import annotations

import json
import re
import types
from pathlib import Path

import pytest

from connectors.sinks.base import SinkContext, SinkType
from connectors.sinks.kit import ContractViolation, SinkCase, check_sink
from connectors.sinks.registry import load_sink_factory, sink_types
from connectors.sinks.settings import compose

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "crm-sinks.md"


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", GUIDE.read_text(encoding="utf-8"), flags=re.DOTALL)


def _guide_module() -> types.ModuleType:
    package = next(b for b in _blocks("python") if "class JsonFileSink" in b)
    module = types.ModuleType("leadpipe_jsonfile")
    exec(compile(package, str(GUIDE), "exec"), module.__dict__)  # noqa: S102 - our own documentation
    return module


def test_the_guide_package_registers_one_sink_type_under_the_entry_point() -> None:
    mod = _guide_module()
    [toml] = [b for b in _blocks("toml") if "leadpipe.sinks" in b]
    assert re.search(r'^jsonfile = "leadpipe_jsonfile:SINK"$', toml, flags=re.MULTILINE)
    assert isinstance(mod.SINK, SinkType) and mod.SINK.name == "jsonfile"


def test_the_guide_sink_passes_the_contract_kit_as_its_own_test_shows(tmp_path: Path) -> None:
    mod = _guide_module()
    usage = next(b for b in _blocks("python") if "def test_jsonfile_sink_keeps_the_contract" in b)
    exec(compile(usage, str(GUIDE), "exec"), mod.__dict__)  # noqa: S102 - the guide's test, in the package
    mod.test_jsonfile_sink_keeps_the_contract(tmp_path)


def test_the_guide_sink_is_built_from_the_config_section(tmp_path: Path) -> None:
    mod = _guide_module()
    section_model = compose([*(load_sink_factory(n) for n in sink_types()), mod.SINK])
    section = section_model.model_validate({"type": "jsonfile", "field_map": {"company": "organisation"},
                                            "jsonfile": {"path": "out/crm.json"}})
    sink = mod.SINK.from_settings(section, SinkContext(tmp_path))
    assert sink.path == tmp_path / "out" / "crm.json" and sink.mapping["company"] == "organisation"
    assert "readable" in sink.check() and not sink.path.exists()  # a check writes nothing
    with pytest.raises(ValueError, match="Extra inputs are not permitted"):
        section_model.model_validate({"type": "jsonfile", "jsonfile": {"file": "x"}})


def test_the_kit_catches_the_guide_sink_when_it_forgets_the_upsert_key(tmp_path: Path) -> None:
    mod = _guide_module()

    class Renumbering(mod.JsonFileSink):
        """Forgets the upsert key: records are saved under running numbers, so a re-sent one is a second copy."""

        def _save(self, data: dict) -> None:
            data["records"] = {str(i): r for i, r in enumerate(data["records"].values())}
            super()._save(data)

    crm = tmp_path / "crm.json"
    with pytest.raises(ContractViolation, match="copies of"):
        check_sink(SinkCase(make_sink=lambda: Renumbering(crm, mod.FIELD_MAP),
                            read_back=lambda: [{ours: r.get(theirs) for ours, theirs in mod.FIELD_MAP.items()}
                                               for r in json.loads(crm.read_text())["records"].values()]))
