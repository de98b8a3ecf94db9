"""The ESCO title evaluation sets (tests/data/title_eval/esco_*.csv): labelled by the documented ISCO-08 / ESCO
mapping, frozen and development halves share no unit group and no title, and the draw refuses another ESCO file."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).parents[1]
EVAL = REPO / "tests" / "data" / "title_eval"
sys.path.insert(0, str(REPO / "scripts"))

from isco_departments import department_for_isco  # noqa: E402


def _rows(name: str) -> list[dict]:
    with (EVAL / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _groups(name: str) -> set[str]:
    return {line.split("\t")[0] for line in (EVAL / name).read_text().splitlines() if line and not line.startswith("#")}


@pytest.mark.parametrize(("code", "department"), [
    ("1120", "executive"), ("1120.3", "executive"), ("1120.4", "operations"), ("1211.1", "finance"),
    ("1212.2", "hr"), ("1221.3", "marketing"), ("1221.3.2", "marketing"), ("1221.3.2.1", "sales"),
    ("1221.3.2.1.4", "sales"), ("1221.4", "sales"), ("1222.1.2", "marketing"), ("1330.2", "it"),
    ("1330.3", "engineering"), ("1330.6", "product"), ("1324.3.2.7", "operations"), ("2411", "finance"),
    ("2412", "finance"), ("2413", "finance"), ("2421.5", "operations"), ("2423.6", "hr"), ("2423.1", "other"),
    ("2424", "hr"), ("2431.4", "marketing"), ("2431.5", "sales"), ("2432.3", "other"), ("2433.6.4", "sales"),
    ("2434.1", "sales"), ("2512.4", "engineering"), ("2522.1", "it"), ("2511.4", "engineering"),
    ("2511.9", "it"), ("2611.1", "legal"), ("2612", "legal"), ("2619.4", "legal"), ("2619.2", "other"),
    ("2144", "engineering"), ("2152", "engineering"), ("3118", "engineering"), ("3111", "other"),
    ("3322.1", "sales"), ("3323.2", "operations"), ("3324.4.7", "sales"), ("5223", "sales"), ("5241", "other"),
    ("4311", "finance"), ("4313", "finance"), ("4321.1", "operations"), ("4323", "operations"),
    ("4222", "support"), ("4225.1", "support"), ("2221", "other"), ("2330", "other"), ("7212", "other"),
    ("8332", "other"), ("7543.9", "operations"), ("0110.9", "other"),
])
def test_the_mapping_gives_each_listed_group_its_documented_department(code: str, department: str) -> None:
    assert department_for_isco(code) == department


def test_the_mapping_matches_whole_code_segments_only() -> None:
    # "2511.1" (computer scientist) is engineering; "2511.18" (IT auditor) must not take it as a prefix
    assert department_for_isco("2511.1") == "engineering" and department_for_isco("2511.18") == "it"
    assert department_for_isco("2431.15") == "product" and department_for_isco("2431.1") == "marketing"


@pytest.mark.parametrize(("titles", "groups"), [("esco_frozen_titles.csv", "esco_frozen_isco_groups.txt"),
                                                ("esco_dev_titles.csv", "esco_dev_isco_groups.txt")])
def test_the_sets_are_labelled_by_the_mapping(titles: str, groups: str) -> None:
    rows = _rows(titles)
    assert all(r["department"] == department_for_isco(r["esco_code"]) for r in rows)
    assert all(r["esco_code"].split(".")[0] == r["isco_code"] for r in rows)
    assert all(r["business_function"] == ("no" if r["department"] == "other" else "yes") for r in rows)
    assert {r["isco_code"] for r in rows} <= _groups(groups)


def test_frozen_and_development_share_no_unit_group_and_no_title() -> None:
    from build_title_eval import _words

    frozen, dev = _rows("esco_frozen_titles.csv"), _rows("esco_dev_titles.csv")
    assert len(frozen) >= 1000 and sum(r["business_function"] == "yes" for r in frozen) >= 1000
    assert not _groups("esco_frozen_isco_groups.txt") & _groups("esco_dev_isco_groups.txt")
    keys = [_words(r["title"]) for r in frozen + dev]
    assert len(keys) == len(set(keys))
    used = set()
    for name in ("job_titles.csv", "job_titles_holdout.csv"):
        with (REPO / "tests" / "data" / name).open(encoding="utf-8", newline="") as fh:
            used |= {_words(r["title"]) for r in csv.DictReader(fh)}
    for path in EVAL.glob("onet_*.csv"):
        used |= {_words(r["title"]) for r in _rows(path.name)}
    assert not used & set(keys)


def test_the_group_split_is_seeded_and_deterministic() -> None:
    from build_esco_title_eval import sample_occupations, split_groups

    occupations = [{"iscoGroup": g, "code": f"{g}.{i}"} for g in ("2411", "2412", "2413", "3313", "4311", "7212",
                                                                   "7213", "8332", "1120") for i in range(1, 10)]
    a, b = split_groups(occupations), split_groups(occupations)
    assert a[:2] == b[:2] and not set(a[0]) & set(a[1]) and set(a[0]) | set(a[1]) == {o["iscoGroup"] for o in occupations}
    assert "1120" in a[0]  # a department with one unit group gives it to the frozen half
    assert sum(g in a[0] for g in ("2411", "2412", "2413", "3313", "4311")) == 3  # half of finance's, rounded up
    assert sample_occupations(occupations, a[0], a[2]) == sample_occupations(occupations, b[0], b[2])


def test_the_draw_refuses_an_esco_file_that_is_not_the_one_in_the_manifest(tmp_path: Path) -> None:
    import build_esco_title_eval

    (tmp_path / "occupations_en.csv").write_text("conceptType,conceptUri,iscoGroup,code\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="sha256 differs"):
        build_esco_title_eval.read_occupations(tmp_path)
