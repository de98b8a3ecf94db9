"""The CLI package: every listed command loads, commands stay thin, user mistakes end without a traceback,
and the one header-preset rule gives the same answer on every path that meets a file."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from connectors.sources.base import SourceState
from connectors.sources.file_source import FileSource
from connectors.sources.mapping import map_headers, record_headers
from connectors.sources.presets import detect_preset
from leadpipe.cli import main
from leadpipe.cli.app import COMMANDS
from leadpipe.pipeline.dedupe_file import auto_mapping
from leadpipe.pipeline.ingest import unit_mapping
from leadpipe.pipeline.settings import SourceConfig

CLI_DIR = Path(__file__).resolve().parents[1] / "leadpipe" / "cli"

APOLLO = ["First Name", "Last Name", "Title", "Company", "Email", "Corporate Phone", "Website", "City", "State",
          "Country", "# Employees", "Industry", "Annual Revenue"]
# ZoomInfo without "Person State" and "Primary Industry": 11 of 13 preset headers, above the 80 % share.
ZOOMINFO_PARTLY = ["First Name", "Last Name", "Job Title", "Company Name", "Email Address", "Direct Phone Number",
                   "Website", "Person City", "Country", "Employees", "Revenue Range (in USD)"]
# Lusha's headers as a spreadsheet tool might rewrite them: other case, stray blanks.
LUSHA_RESPELT = ["FIRST NAME", "last name", "Job Title ", " Company Name", "Work Email", "Direct Phone",
                 "Company Domain", "City", "State", "Country", "Company Size", "Company Industry"]
GERMAN = ["E-Mail Address", "Vorname", "Surname", "Organisation", "Position"]
# Five headers every vendor has: half of the closest preset (Sales Navigator), too few to call it one.
GENERIC = ["First Name", "Last Name", "Title", "Company", "Email"]

CASES = [(APOLLO, "apollo"), (ZOOMINFO_PARTLY, "zoominfo"), (LUSHA_RESPELT, "lusha"), (GERMAN, None),
         (GENERIC, None)]


def _csv(path: Path, headers: list[str]) -> Path:
    row = {h: "x" for h in headers}
    for h in headers:
        if "mail" in h.lower():
            row[h] = "ann.berger@acme.example"
    pd.DataFrame([row], columns=headers).to_csv(path, index=False)
    return path


@pytest.mark.parametrize(("headers", "preset"), CASES)
def test_ingest_validate_and_dedupe_detect_the_same_preset(home: Path, tmp_path: Path, headers: list[str],
                                                           preset: str | None) -> None:
    assert detect_preset(headers) == preset
    path = _csv(tmp_path / "list.csv", headers)

    # ingest: a file source configured with neither preset nor mapping
    source = FileSource("list", str(path))
    read_headers = record_headers(r for unit in source.discover(SourceState()) for r in source.read(unit))
    ingest = unit_mapping(SourceConfig(name="list", path=str(path)), read_headers)
    assert (ingest.preset, ingest.preset_detected) == (preset, preset is not None)

    # validate: what the command reports
    result = CliRunner().invoke(main, ["validate", str(path), "--json"])
    report = json.loads(result.output)
    detected = f"preset {preset} (detected from the headers)" if preset else "auto-mapped headers"
    assert report["mapping_how"] == detected

    # dedupe: the mapping the command uses
    dedupe = auto_mapping(list(pd.read_csv(path, dtype=str).columns))

    def stripped(m: dict[str, str]) -> dict[str, str]:  # the file source trims headers, pandas does not
        return {f: h.strip() for f, h in m.items()}

    assert stripped(ingest.fields) == stripped(report["mapping"]) == stripped(dedupe)


def test_a_detected_preset_maps_what_aliases_cannot_and_reports_no_missing_columns() -> None:
    detected = map_headers(ZOOMINFO_PARTLY)
    assert detected.fields["phone"] == "Direct Phone Number"  # no alias is close to this header
    assert detected.how["phone"] == "preset"
    assert detected.missing == []  # nobody configured the two absent headers
    configured = map_headers(ZOOMINFO_PARTLY, "zoominfo")
    assert configured.missing == ["Person State", "Primary Industry"]
    assert not configured.preset_detected


def test_nothing_is_detected_when_a_mapping_is_configured_or_automap_is_off() -> None:
    assert map_headers(APOLLO, overrides={"email": "Email"}).preset is None
    assert map_headers(APOLLO, automap=False).fields == {}


def test_equal_shares_go_to_the_preset_with_more_matched_headers() -> None:
    # Every Apollo header plus Sales Navigator's two own ones: both presets are complete, Apollo is bigger.
    assert detect_preset([*APOLLO, "Company Website", "Company Size"]) == "apollo"
    assert detect_preset(["First Name", "Last Name", "Title", "Company", "Email", "Company Website", "Country",
                          "City", "Industry", "Company Size"]) == "linkedin_sales_navigator"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_listed_command_loads_and_has_help(name: str) -> None:
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert f"Usage: main {name}" in result.output


def test_the_group_help_lists_every_command() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    listed = {line.split()[0] for line in result.output.split("Commands:")[1].splitlines() if line.strip()}
    assert listed == set(COMMANDS)


def _imports(path: Path) -> list[tuple[str, str]]:
    """(module, name) for every `from module import name` in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [(node.module or "", alias.name) for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
            for alias in node.names]


@pytest.mark.parametrize("path", sorted(CLI_DIR.glob("*.py")), ids=lambda p: p.name)
def test_commands_import_no_private_names_and_not_the_group(path: Path) -> None:
    imports = _imports(path)
    assert [f"{m}.{n}" for m, n in imports if n.startswith("_")] == []
    if path.name not in ("__init__.py", "app.py"):
        assert [m for m, _ in imports if m in ("leadpipe.cli", "leadpipe.cli.app")] == []


def test_user_mistakes_end_with_a_message_not_a_traceback(home: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    broken = tmp_path / "broken.yaml"
    broken.write_text("sources:\n  - name: x\n    type: fiel\n")
    no_columns = tmp_path / "colours.csv"
    no_columns.write_text("Favourite Colour,Shoe Size\nred,42\n")
    cases = {
        "bad config": (["--config", str(broken), "funnel"], "is not a connector type"),
        "no run yet": (["funnel"], "no finished run found"),
        "unknown source": (["validate", str(no_columns), "--source", "nope"], "no source named 'nope'"),
        "unknown source to check": (["connectors", "check", "nope"], "no source named 'nope'"),
        "nothing to dedupe on": (["dedupe", str(no_columns), str(tmp_path / "out.csv")],
                                 "no name or email column recognised"),
        "no prospects": (["push", "--dry-run"], "no prospects found"),
    }
    for case, (args, message) in cases.items():
        result = runner.invoke(main, args)
        assert result.exit_code == 1, (case, result.output)
        assert message in result.output, (case, result.output)
        assert result.exc_info is None or result.exc_info[0] is SystemExit, (case, result.exc_info)
        assert "Traceback" not in result.output, case
