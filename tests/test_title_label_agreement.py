"""scripts/title_label_agreement.py: how far the sources' department labels agree on the same title (issue 18).

The figures in docs/title-accuracy.md come from these counts, so they are pinned here on small hand-made inputs:
what counts as compared, agreeing, ambiguous and business-function, and that the H-1B reader refuses a file
other than the ones its manifest names.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.title_eval_files import EVAL


def test_agreement_counts_only_titles_single_labelled_in_both() -> None:
    from title_label_agreement import agreement, labels

    a = labels([{"title": "Sales Manager", "department": "sales"},
                {"title": "Welder", "department": "other"},
                {"title": "Account Manager", "department": "sales"},
                {"title": "account  manager", "department": "finance"},  # the same words: ambiguous in a
                {"title": "Buyer", "department": "operations"},
                {"title": "Only In A", "department": "hr"}])
    b = labels([{"title": "SALES MANAGER", "department": "sales"},
                {"title": "welder", "department": "other"},
                {"title": "Account Manager", "department": "sales"},
                {"title": "Buyer", "department": "marketing"},
                {"title": "Only In B", "department": "it"}])
    assert agreement(a, b) == {"shared": 4, "ambiguous": 1, "compared": 3, "agree": 2,
                               "business_compared": 2, "business_agree": 1}
    assert agreement(a, b) == agreement(b, a)


def test_a_disagreement_with_other_counts_as_business_function() -> None:
    from title_label_agreement import agreement, labels

    a = labels([{"title": "Dispatcher", "department": "operations"}])
    b = labels([{"title": "Dispatcher", "department": "other"}])
    got = agreement(a, b)
    assert (got["compared"], got["agree"], got["business_compared"], got["business_agree"]) == (1, 0, 1, 0)


def test_set_agreement_splits_by_the_sets_business_function_column() -> None:
    from title_label_agreement import labels, set_agreement

    rows = [{"title": "Buyer", "department": "operations", "business_function": "yes"},
            {"title": "Nurse", "department": "other", "business_function": "no"},
            {"title": "Unlisted", "department": "sales", "business_function": "yes"}]
    first = labels([{"title": "buyer", "department": "operations"}, {"title": "nurse", "department": "other"}])
    second = labels([{"title": "Buyer", "department": "marketing"},
                     {"title": "Nurse", "department": "other"}, {"title": "Nurse", "department": "hr"}])
    got = set_agreement(rows, [first, second])
    assert got["yes"] == {"compared": 2, "agree": 1}  # both sources list Buyer; one agrees
    assert got["no"] == {"compared": 1, "agree": 1}  # the second source's Nurse is ambiguous: not compared


def test_every_evaluation_set_is_compared_against_the_other_sources() -> None:
    from title_label_agreement import EVAL_SETS

    on_disk = {p.name for p in EVAL.glob("*_titles.csv")}
    assert on_disk and set(EVAL_SETS) == on_disk


def test_the_h1b_reader_refuses_a_file_its_manifest_does_not_name(tmp_path: Path) -> None:
    from title_label_agreement import h1b_rows

    fake = tmp_path / "h1b_kaggle.csv"
    fake.write_text("CASE_STATUS,SOC_NAME,JOB_TITLE\nCERTIFIED,SALES MANAGERS,Sales Manager\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="sha256 differs"):
        h1b_rows([fake], fake)
