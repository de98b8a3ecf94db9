"""The ANZSCO frozen title evaluation set (issue 18, sixth round) and the mapping that labels it.

These tests fail when the set stops following the documented mapping, when a title used elsewhere slips into it,
when the mapping loses one of its documented analogues, or when the draw accepts a file other than the manifest's.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.title_eval_files import EVAL
from tests.title_eval_files import rows as _rows

FROZEN = EVAL / "anzsco_frozen_titles.csv"


def test_the_frozen_set_is_labelled_by_the_documented_mapping() -> None:
    from anzsco_departments import MIXED, department_for_anzsco

    rows = _rows(FROZEN)
    business = [r for r in rows if r["business_function"] == "yes"]
    assert len(rows) >= 1_000 and len(business) >= 400
    assert all(r["department"] == department_for_anzsco(r["anzsco_code"]) != MIXED for r in rows)
    assert all((r["department"] != "other") == (r["business_function"] == "yes") for r in rows)
    assert all(r["title_type"] in {"P", "A", "S", "N"} and len(r["anzsco_code"]) == 6 for r in rows)
    # the index's country tags are dropped, "nec" category names never drawn
    assert not [r["title"] for r in rows if "(Aus)" in r["title"] or "(NZ)" in r["title"]]
    assert not [r["title"] for r in rows if r["title"].endswith(" nec")]


def test_no_frozen_title_was_used_by_an_earlier_set() -> None:
    from build_title_eval import _words

    frozen = [_words(r["title"]) for r in _rows(FROZEN)]
    assert len(frozen) == len(set(frozen))
    earlier = [EVAL.parent / "job_titles.csv", EVAL.parent / "job_titles_holdout.csv"]
    earlier += [p for p in sorted(EVAL.glob("*.csv")) if not p.name.startswith("anzsco_")]
    assert len(earlier) >= 8
    for path in earlier:
        assert not set(frozen) & {_words(r["title"]) for r in _rows(path)}, path.name


@pytest.mark.parametrize(("code", "department"), [
    ("111111", "executive"),  # chief executive or managing director (11-1011)
    ("132211", "finance"),  # finance manager, CFO (11-3031)
    ("131112", "mixed"),  # sales and marketing manager: business development beside market research
    ("225113", "mixed"),  # marketing specialist beside product manager
    ("225112", "marketing"),  # market research analyst (13-1161)
    ("261313", "engineering"),  # software engineer (15-1252)
    ("262111", "it"),  # database administrator (15-1242)
    ("541112", "support"),  # call or contact centre operator (43-4051)
    ("551211", "finance"),  # bookkeeper (43-3031)
    ("531111", "operations"),  # general clerk: a clerk serves operations unless named otherwise (43-9061)
    ("621111", "sales"),  # sales assistant (41-2031)
    ("639211", "operations"),  # retail buyer: the longest key wins over "6" sales (13-1022)
    ("639511", "marketing"),  # visual merchandiser (27-1026)
    ("254411", "other"),  # nurse practitioner: a profession, not a company function
    ("721311", "operations"),  # forklift driver (53-7051)
])
def test_the_mapping_gives_each_occupation_its_documented_department(code: str, department: str) -> None:
    from anzsco_departments import department_for_anzsco

    assert department_for_anzsco(code) == department


def test_the_mapping_refuses_a_code_it_does_not_cover() -> None:
    from anzsco_departments import department_for_anzsco

    with pytest.raises(KeyError, match="999999"):
        department_for_anzsco("999999")  # ANZSCO's supplementary codes (not stated, student, ...) are no job


def test_the_draw_refuses_a_file_that_is_not_the_one_in_the_manifest(tmp_path: Path) -> None:
    import build_anzsco_title_eval

    other = tmp_path / "index.xls"
    other.write_bytes(b"not the ABS index")
    with pytest.raises(SystemExit, match="sha256 differs"):
        build_anzsco_title_eval.read_titles(other)
