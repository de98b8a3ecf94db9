"""`leadpipe forget` names the vendor input files that still contain the person, exactly (never a colleague whose
address merely contains theirs), in the dry run and the real run, and never changes those files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from leadpipe.cli import main
from leadpipe.pipeline.forget_inputs import find_in_input_files
from leadpipe.pipeline.settings import load_config
from tests.homes import write_config

HEADER = "First Name,Last Name,Email,Company,Phone,Country\n"
PERSON = "an.ott@acme.de"


@pytest.fixture
def vendor_home(home: Path) -> tuple[Path, Path, Path]:
    """The default (demo) config, with one Apollo and one ZoomInfo export: Apollo's names the person as
    `Name <ADDRESS>`, ZoomInfo's only a colleague whose address contains the person's."""
    demo = home / "inputs" / "demo"
    demo.mkdir(parents=True)
    apollo = demo / "vendor_apollo_2024.csv"
    apollo.write_text(HEADER + '"An","Ott","An Ott <AN.OTT@acme.de>","Acme GmbH","+49 30 1234567","DE"\n'
                      '"Eva","Berg","eva.berg@acme.de","Acme GmbH","+49 30 7654321","DE"\n', encoding="utf-8")
    zoominfo = demo / "vendor_zoominfo_2024.csv"
    zoominfo.write_text(HEADER + '"Jan","Ott","jan.ott@acme.de","Acme GmbH","+49 30 5550000","DE"\n'
                        '"Dan","Ott","dan.ott@acme.de.example.org","Other","","DE"\n', encoding="utf-8")
    return write_config(home / "leadpipe.yaml"), apollo, zoominfo


def _forget(config: Path, *args: str):
    return CliRunner().invoke(main, ["--config", str(config), "forget", *args])


def test_dry_run_and_real_run_list_only_the_file_with_the_person_and_change_no_file(vendor_home) -> None:
    config, apollo, zoominfo = vendor_home
    before = {p: p.read_bytes() for p in (apollo, zoominfo)}

    dry = _forget(config, PERSON, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "input files that still contain this person" in dry.output
    assert f"  {apollo} (1 rows)" in dry.output.splitlines()
    assert str(zoominfo) not in dry.output
    assert {p: p.read_bytes() for p in before} == before

    real = _forget(config, PERSON, "--json")
    assert real.exit_code == 0, real.output
    assert json.loads(real.output)["plan"]["input_files"] == {str(apollo): 1}
    assert {p: p.read_bytes() for p in before} == before


def test_the_colleague_with_the_superstring_address_is_found_only_in_their_own_file(vendor_home) -> None:
    config, _, zoominfo = vendor_home
    found = find_in_input_files(load_config(config), ["jan.ott@acme.de"], [])
    assert found.files == {str(zoominfo): 1} and not found.unreadable


def test_a_phone_written_nationally_is_found_with_the_rows_country(vendor_home) -> None:
    config, apollo, _ = vendor_home
    apollo.write_text(HEADER + '"An","Ott","","Acme GmbH","030 1234567","DE"\n', encoding="utf-8")
    found = find_in_input_files(load_config(config), [], ["+49301234567"])
    assert found.files == {str(apollo): 1}
    # the same digits read as a number elsewhere are someone else's
    assert find_in_input_files(load_config(config), [], ["+1301234567"]).files == {}


def test_an_unreadable_file_is_reported_by_name_and_does_not_fail_the_command(vendor_home) -> None:
    config, apollo, zoominfo = vendor_home
    zoominfo.write_bytes(b"\x00\x01\x02 not a csv \xff\xfe" * 50)
    result = _forget(config, PERSON, "--dry-run")
    assert result.exit_code == 0, result.output
    assert f"  {apollo} (1 rows)" in result.output.splitlines()
    unreadable = result.output.split("input files that could not be checked:\n", 1)[1].splitlines()[0]
    assert unreadable.startswith(f"  {zoominfo}: ") and "binary" in unreadable
