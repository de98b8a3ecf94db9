"""The validation stage's GX layer: suites as code, run through one wrapper, plain results out."""

from __future__ import annotations

import dataclasses
import json
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from expectations import (
    Check,
    NormalisedLeadsThresholds,
    SuiteResult,
    SuiteSpec,
    build_normalised_leads_suite,
    run_suite,
)
from leadpipe.core.schema import FIELD_NAMES

REPO = Path(__file__).resolve().parents[1]
EMAIL_CHECK = "expect_column_values_to_match_regex(email)"
STATUS_CHECK = "expect_column_values_to_be_in_set(email_status)"
FIRST_NAME_CHECK = "expect_column_values_to_not_match_regex(first_name)"
PHONE_CHECK = "expect_column_values_to_match_regex(phone)"
COUNTRY_CHECK = "expect_column_values_to_be_in_set(country)"
NAME_PRESENT_CHECK = "expect_column_values_to_not_be_null(has_name)"


def lead(raw_row_id: int, **values: Any) -> dict[str, Any]:
    """A clean normalised lead with every canonical column; keyword arguments override fields."""
    row: dict[str, Any] = {name: None for name in FIELD_NAMES}
    row.update(
        raw_row_id=raw_row_id,
        source="vendor_test",
        source_file="leads.csv",
        source_row=raw_row_id,
        source_kind="purchased",
        first_name="Anna",
        last_name="Meyer",
        email=f"anna.meyer{raw_row_id}@example.com",
        phone="+4930123456",
        company="Example GmbH",
        job_title="Head of Sales",
        country="DE",
        email_status="valid",
    )
    row.update(values)
    return row


def leads(n: int = 10, **overrides_by_id: dict[str, Any]) -> pd.DataFrame:
    """n clean leads with raw_row_id 1..n; `r3={"first_name": "Test"}` changes row 3."""
    return pd.DataFrame([lead(i, **overrides_by_id.get(f"r{i}", {})) for i in range(1, n + 1)])


@pytest.fixture(scope="module")
def suite() -> SuiteSpec:
    return build_normalised_leads_suite(NormalisedLeadsThresholds())


# --- verdicts ------------------------------------------------------------------------------------


def test_clean_list_passes(suite: SuiteSpec) -> None:
    result = run_suite(leads(20), suite)
    assert result.success
    assert result.critical_failures == []
    assert result.row_failures == {}
    assert result.warnings == []
    assert not result.stop_batch
    assert result.statistics["rows"] == 20
    assert result.docs_path is None


def test_thirty_percent_invalid_emails_stop_the_batch(suite: SuiteSpec) -> None:
    bad = {f"r{i}": {"email": "", "email_status": "invalid"} for i in (2, 5, 8)}
    result = run_suite(leads(10, **bad), suite)

    assert result.stop_batch and not result.success
    [message] = result.critical_failures
    assert message.startswith("only 70% of the 10 emails are valid addresses (at least 90% needed): "
                              "3 rows have an email that is not a valid address")
    assert "(rows 3, 6 and 9 of leads.csv)" in message  # source rows 2, 5, 8 under a header row
    # the same rows are also quarantined one by one
    assert result.row_failures == {2: [STATUS_CHECK], 5: [STATUS_CHECK], 8: [STATUS_CHECK]}


def test_missing_email_is_not_an_invalid_one(suite: SuiteSpec) -> None:
    """A blank email cell goes on (dedupe may find the email on another copy); only invalid ones fail."""
    missing = {"email": "", "email_status": "missing"}
    frame = leads(10, r1=missing, r2={**missing, "email": None}, r3={**missing, "email": float("nan")})
    result = run_suite(frame, suite)
    assert result.critical_failures == [] and result.row_failures == {}


def test_an_email_marked_valid_that_does_not_look_like_one_is_caught(suite: SuiteSpec) -> None:
    result = run_suite(leads(10, r4={"email": "no-at-sign.example.com"}), suite)
    assert result.critical_failures == []
    assert result.row_failures == {4: [EMAIL_CHECK]}


def test_email_share_threshold_is_configurable() -> None:
    lenient = build_normalised_leads_suite(NormalisedLeadsThresholds(min_valid_email_share=0.6))
    invalid = {"email": "", "email_status": "invalid"}
    result = run_suite(leads(10, r1=invalid, r2=invalid, r3=invalid), lenient)
    assert result.critical_failures == []
    assert set(result.row_failures) == {1, 2, 3}


def test_thresholds_are_validated() -> None:
    with pytest.raises(ValueError):
        NormalisedLeadsThresholds(min_valid_email_share=1.5)


@pytest.mark.parametrize("placeholder", ["Test", "asdf", " XXX ", "N/A", "unknown", "NULL"])
def test_placeholder_first_name_quarantines_only_that_row(suite: SuiteSpec, placeholder: str) -> None:
    result = run_suite(leads(10, r4={"first_name": placeholder}), suite)
    assert result.critical_failures == []
    assert result.row_failures == {4: [FIRST_NAME_CHECK]}


def test_real_names_that_contain_placeholders_pass(suite: SuiteSpec) -> None:
    frame = leads(3, r1={"first_name": "Testa"}, r2={"last_name": "Nonez"}, r3={"first_name": "Xxxena"})
    assert run_suite(frame, suite).row_failures == {}


def test_person_without_any_name_is_quarantined(suite: SuiteSpec) -> None:
    frame = leads(
        5,
        r1={"first_name": "", "last_name": None},  # no name at all
        r2={"first_name": None, "last_name": "Meyer"},  # a last name is enough
        r3={"first_name": "  ", "last_name": ""},  # whitespace is no name
    )
    assert run_suite(frame, suite).row_failures == {1: [NAME_PRESENT_CHECK], 3: [NAME_PRESENT_CHECK]}


def test_phone_must_be_e164_when_present(suite: SuiteSpec) -> None:
    frame = leads(
        6,
        r1={"phone": "12345"},
        r2={"phone": "+0301234567"},  # country code cannot start with 0
        r3={"phone": "+49 30 123456"},  # E.164 has no spaces
        r4={"phone": ""},  # absent: skipped
        r5={"phone": None},  # absent: skipped
    )
    result = run_suite(frame, suite)
    assert result.row_failures == {1: [PHONE_CHECK], 2: [PHONE_CHECK], 3: [PHONE_CHECK]}
    assert result.critical_failures == []


def test_country_must_be_iso_alpha2_when_present(suite: SuiteSpec) -> None:
    codes = {"r1": "Germany", "r2": "de", "r3": "XX", "r4": ""}  # r4: absent, skipped
    frame = leads(5, **{row: {"country": code} for row, code in codes.items()})
    failures = run_suite(frame, suite).row_failures
    assert failures == {1: [COUNTRY_CHECK], 2: [COUNTRY_CHECK], 3: [COUNTRY_CHECK]}


def test_one_row_can_fail_several_checks(suite: SuiteSpec) -> None:
    result = run_suite(leads(10, r7={"first_name": "Test", "phone": "12345"}), suite)
    assert result.row_failures == {7: [FIRST_NAME_CHECK, PHONE_CHECK]}


def test_few_job_titles_is_only_a_warning(suite: SuiteSpec) -> None:
    frame = leads(10, **{f"r{i}": {"job_title": "" if i % 2 else None} for i in range(1, 8)})
    result = run_suite(frame, suite)
    assert not result.stop_batch and result.row_failures == {}
    [warning] = result.warnings
    assert warning.startswith("only 30% of the 10 rows have a job title (at least 50% expected)")
    assert not result.success  # GX's verdict: not every check passed


def test_duplicate_raw_row_id_breaks_lineage(suite: SuiteSpec) -> None:
    frame = leads(4)
    frame.loc[3, "raw_row_id"] = 1
    [message] = run_suite(frame, suite).critical_failures
    assert message.startswith("2 rows share a source row link (a pipeline bug, not the vendor's)")


def test_empty_batch_is_critical(suite: SuiteSpec) -> None:
    result = run_suite(leads(3).iloc[:0], suite)
    assert result.critical_failures == ["the batch has no rows: the export or the header mapping broke"]


def test_a_check_that_cannot_run_is_critical(suite: SuiteSpec) -> None:
    """A missing column means the normaliser broke its contract: the results cannot be trusted."""
    result = run_suite(leads(3).drop(columns=["job_title"]), suite)
    [message] = result.critical_failures
    assert "job_title" in message and "could not run" in message


# --- plain results, docs, noise ------------------------------------------------------------------


def test_results_are_plain_python(suite: SuiteSpec) -> None:
    result = run_suite(leads(5, r2={"phone": "12345"}), suite)
    assert isinstance(result, SuiteResult)
    assert all(type(k) is int for k in result.row_failures)
    json.dumps(dataclasses.asdict(result))  # no GX or numpy objects inside
    assert pickle.loads(pickle.dumps(result)) == result


def test_messages_for_logs_carry_row_numbers_but_no_personal_values(suite: SuiteSpec) -> None:
    bad = {f"r{i}": {"email": f"broken-address-{i}", "email_status": "invalid"} for i in (1, 2, 3)}
    result = run_suite(leads(10, **bad), suite)
    [logged] = result.critical_for_logs()
    assert "broken-address" not in logged and "(rows 2-4 of leads.csv)" in logged
    # people who may see the data (report, CLI, summary.json) get the values, and each row its reason
    assert "(rows 2-4 of leads.csv: 'broken-address-1', 'broken-address-2', 'broken-address-3')" \
        in result.critical_failures[0]
    assert result.row_reasons[2] == "the email 'broken-address-2' in row 3 of leads.csv is not a valid address"


def test_data_docs_are_built_under_docs_dir(suite: SuiteSpec, tmp_path: Path) -> None:
    frame = leads(5, r3={"first_name": "Test", "phone": "555-PRIVATE"})
    result = run_suite(frame, suite, docs_dir=tmp_path / "docs")
    assert result.docs_path is not None
    index = Path(result.docs_path)
    assert index.name == "index.html" and index.is_file()
    assert index.resolve().is_relative_to((tmp_path / "docs").resolve())
    assert result.row_failures == {3: [FIRST_NAME_CHECK, PHONE_CHECK]}  # same verdict as without docs
    # stored results and pages name failing rows by raw_row_id, never by their (personal) values
    written = [p for p in (tmp_path / "docs").rglob("*") if p.suffix in {".html", ".json"}]
    assert written and not any("555-PRIVATE" in p.read_text(errors="ignore") for p in written)


def test_run_suite_emits_no_gx_noise(suite: SuiteSpec, capfd: pytest.CaptureFixture[str],
                                     caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    run_suite(leads(5, r1={"phone": "12345"}), suite)
    out, err = capfd.readouterr()
    assert "Calculating Metrics" not in out + err
    assert [r.getMessage() for r in caplog.records if r.name.startswith("great_expectations")] == []


def test_gx_import_and_run_are_quiet_in_a_fresh_process() -> None:
    """Under INFO logging (as in an Airflow task) neither the import nor a run may write GX noise."""
    script = textwrap.dedent(
        """
        import logging
        logging.basicConfig(level=logging.INFO)
        import pandas as pd
        from expectations import build_normalised_leads_suite, run_suite
        frame = pd.DataFrame({"raw_row_id": [1, 2], "email": ["a@b.de", "c@d.de"], "first_name": ["A", "B"],
                              "last_name": ["C", "D"], "phone": [None, None], "country": ["DE", None],
                              "job_title": ["CTO", "CEO"], "email_status": ["valid", "valid"]})
        print(run_suite(frame, build_normalised_leads_suite()).success)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"
    for noise in ("Skipping registering", "Calculating Metrics", "Created temporary directory", "INFO:great"):
        assert noise not in done.stderr


# --- suite specs ---------------------------------------------------------------------------------


def test_every_check_says_why_and_has_a_severity(suite: SuiteSpec) -> None:
    assert {c.severity for c in suite.checks} == {"critical", "row", "warning"}
    assert all(len(c.why) > 10 for c in suite.checks)


def test_row_checks_need_distinct_names() -> None:
    import great_expectations.expectations as gxe

    twice = [Check(gxe.ExpectColumnValuesToNotBeNull(column="email"), "row", "needed") for _ in range(2)]
    with pytest.raises(ValueError, match="distinct names"):
        SuiteSpec("dup", tuple(twice))


def test_unknown_severity_is_rejected() -> None:
    import great_expectations.expectations as gxe

    with pytest.raises(ValueError, match="severity"):
        Check(gxe.ExpectColumnValuesToNotBeNull(column="email"), "fatal", "why")  # type: ignore[arg-type]
