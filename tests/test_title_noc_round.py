"""The NOC 2021 part of the title lookup and training data (issue 18, fifth round) and its evaluation sets.

The NOC frozen set was held out of the lookup and the model until it was measured after the fifth round; since the
sixth round both halves are training data. These tests fail when a title of a set still held out (ANZSCO, the O*NET
sets) gets into the shipped data, when the data stops following the documented mapping, or when the builds accept
what they must refuse.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from enrichment import title_model
from enrichment.personas import classify_title
from enrichment.title_text import normalise_title
from tests.title_eval_files import EVAL
from tests.title_eval_files import groups as _groups
from tests.title_eval_files import rows as _rows


def test_the_noc_data_holds_both_halves_and_no_title_still_held_out() -> None:
    """Since the sixth round the NOC frozen set is spent and its unit groups are training data too; the ANZSCO
    frozen set and the O*NET evaluation sets are still held out."""
    shipped = _rows(title_model.NOC_TITLES_FILE)
    frozen_groups, dev_groups = _groups("noc_frozen_groups.txt"), _groups("noc_dev_groups.txt")
    assert len(shipped) >= 20_000 and len(frozen_groups) >= 200 and not frozen_groups & dev_groups
    codes = {r["noc_code"] for r in shipped}
    assert codes <= dev_groups | frozen_groups and codes & frozen_groups and codes & dev_groups
    texts = {normalise_title(r["title"]) for r in shipped}
    for name in ("anzsco_frozen_titles.csv", "onet_heldout_titles.csv", "onet_fresh_titles.csv",
                 "onet_alternate_titles.csv"):
        assert not texts & {normalise_title(r["title"]) for r in _rows(EVAL / name)}, name


def test_the_noc_data_and_sets_are_labelled_by_the_documented_mapping() -> None:
    from noc_departments import MIXED, department_for_noc

    shipped = _rows(title_model.NOC_TITLES_FILE)
    assert all(r["department"] == department_for_noc(r["noc_code"]) != MIXED for r in shipped)
    for name in ("noc_frozen_titles.csv", "noc_dev_titles.csv"):
        assert all(r["department"] == department_for_noc(r["noc_code"]) != MIXED for r in _rows(EVAL / name)), name


@pytest.mark.parametrize(("code", "department"), [
    ("11100", "finance"),  # financial auditors and accountants (13-2011)
    ("21231", "engineering"),  # software engineers (15-1252)
    ("21233", "product"),  # web designers (15-1255)
    ("31301", "other"),  # registered nurses: a profession of its own
    ("92013", "operations"),  # supervisors, plastic and rubber manufacturing (51-1011)
    ("94104", "operations"),  # inspectors and testers (51-9061)
    ("94100", "other"),  # machine operators
    ("00012", "mixed"),  # senior managers: CEOs and each function's chief under one code
])
def test_the_noc_mapping_follows_the_o_net_analogues(code: str, department: str) -> None:
    from noc_departments import department_for_noc

    assert department_for_noc(code) == department


def test_a_noc_title_reaches_the_lookup_with_its_unit_group_as_evidence() -> None:
    """A NOC development title that no rule reads is answered by the lookup, and `leadpipe explain` can name it."""
    row = next(r for r in _rows(title_model.NOC_TITLES_FILE) if r["title"] == "Tallyperson - production")
    got = classify_title(row["title"])
    assert got.department == "operations" and got.department_by == "lookup"
    assert "NOC 2021" in got.evidence and row["noc_code"] in got.evidence


def test_the_noc_data_build_refuses_a_frozen_unit_group(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import build_noc_title_data

    dev = tmp_path / "dev.txt"
    frozen_group = min(_groups("noc_frozen_groups.txt"))
    dev.write_text((EVAL / "noc_dev_groups.txt").read_text() + f"{frozen_group}\tother\n")
    monkeypatch.setattr(build_noc_title_data, "DEV_GROUPS", dev)
    with pytest.raises(SystemExit, match="both halves"):
        build_noc_title_data.build([])


def test_the_noc_draw_refuses_a_file_that_is_not_the_one_in_the_manifest(tmp_path: Path) -> None:
    import build_noc_title_eval

    other = tmp_path / "noc2021_bilingual_keywords.js"
    other.write_text('window.nocKeywords = {"categories": {}, "EN": [], "FR": []};', encoding="utf-8")
    with pytest.raises(SystemExit, match="sha256 differs"):
        build_noc_title_eval.read_titles(other)


def _rule(title: str) -> str | None:
    from enrichment.personas import _by_rules

    return _by_rules(normalise_title(title))[1]


@pytest.mark.parametrize(("title", "department"), [
    # controller: the company's or a unit's controller is finance; a controller of weeds, linen, traffic is not
    ("Controller", "finance"), ("Financial Controller", "finance"), ("Assistant Controller", "finance"),
    ("Plant Controller", "finance"), ("Leiter Controlling", "finance"),
    ("Weed Controller", None), ("Linen Controller", None), ("Air Traffic Controller", None),
    # collector and adjuster: of money or claims, finance; of garbage, tolls or machines, not
    ("Debt Collector", "finance"), ("Collector", "finance"), ("Bill Collector", "finance"),
    ("Garbage Collector", None), ("Coin Collector", None), ("Refuse Collector Supervisor", None),
    ("Claims Adjuster", "finance"), ("Insurance Adjuster", "finance"), ("Tool Adjuster", None),
    ("Checkering Machine Adjuster", None),
    # commercial: the sales function, not the kind of work a trade does (issue 18: "commercial" -> sales)
    ("Commercial Director", "sales"), ("Head of Commercial", "sales"), ("Directrice commerciale", "sales"),
    ("Commercial sédentaire", "sales"), ("Commercial Lines Manager", "sales"),
    ("Commercial Roofing Estimator", "operations"), ("Commercial Insulator", None), ("Commercial Lawn Specialist", None),
])
def test_money_and_trade_words_are_read_with_their_neighbours(title: str, department: str | None) -> None:
    assert _rule(title) == department


@pytest.mark.parametrize("name", ["esco", "noc"])
def test_the_cross_validation_holds_out_the_groups_the_training_rows_name(name: str) -> None:
    """scripts/title_dev_crossval.py drops a fold by the group names of title_model.training_rows(): if the names
    drifted apart, nothing would be held out and the 'honest' figure would read trained titles."""
    import title_dev_crossval

    dev_file, column, prefix = title_dev_crossval.SETS[name]
    trained = {r["group"] for r in title_model.training_rows()}
    dev_groups = {r[column] for r in _rows(dev_file)}
    assert len(dev_groups) >= 100 and {f"{prefix}{g}" for g in dev_groups} <= trained
