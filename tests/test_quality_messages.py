"""Quality messages in plain words, end to end.

Each check a purchased file can fail, fed a file that fails it, must read the same wherever sales-ops and
operators look: the run's report.html, the `leadpipe run` / `validate` / `explain` output and summary.json.
Each message is a sentence, names the file's rows as a spreadsheet numbers them (the header is row 1) and
quotes the offending value; the log gets the row numbers but never the values.
"""

from __future__ import annotations

import json
import logging
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from leadpipe.cli import main
from tests.test_quality_gates import APOLLO_HEADER, person, write_list

CONFIG = """
sources:
  - {name: row_checks, path: "{home}/inputs/row_checks.csv", preset: apollo}
  - {name: bad_emails, path: "{home}/inputs/bad_emails.csv", preset: apollo}
  - {name: empty_emails, path: "{home}/inputs/empty_emails.csv", preset: apollo}
  - {name: no_name, path: "{home}/inputs/no_name.csv"}
  - {name: no_email_column, path: "{home}/inputs/no_email_column.csv"}
suppression:
  do_not_contact_files: ["{home}/inputs/do_not_contact.csv"]
markets:
  - {name: dach, label: DACH, countries: [DE, AT, CH]}
scoring:
  market_points: {dach: 25}
  seniority_points: {c_level: 30}
"""

# Row-level checks: data row n of the file is spreadsheet row n + 1.
ROW_REASONS = {
    "the email 'john@@acme.com' in row 4 of row_checks.csv is not a valid address",
    "the first name 'asdf' in row 6 of row_checks.csv is a placeholder, not a real name",
    "the last name 'Test' in row 8 of row_checks.csv is a placeholder, not a real name",
    "row 10 of row_checks.csv has no first or last name",
}
# Critical checks: the whole batch stops, with these words.
STOPPED = {
    "bad_emails": "only 70% of the 10 emails are valid addresses (at least 90% needed): 3 rows have an email that "
                  "is not a valid address (rows 9-11 of bad_emails.csv: 'broken-0', 'broken-1', 'broken-2')",
    "empty_emails": "no row has an email: the list has no email column, or the header mapping points at the wrong one",
    "no_name": "no row has a name (first, last or full name): the list has no name column, or the header mapping "
               "misses it",
    "no_email_column": "there is no email column (check the source's preset or header mapping)",
}
PERSONAL = ("john@@acme.com", "'asdf'", "broken-0")  # values that must never reach a log


def _plain_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")


def _files(home: Path) -> None:
    inputs = home / "inputs"
    rows = [person(i) for i in range(20)]
    rows[2][APOLLO_HEADER.index("Email")] = "john@@acme.com"  # data row 3: 1 of 20 invalid, the batch goes on
    rows[4][0] = "asdf"  # data row 5
    rows[6][1] = "Test"  # data row 7
    rows[8][0] = rows[8][1] = ""  # data row 9: no name at all
    write_list(inputs / "row_checks.csv", rows)
    write_list(inputs / "bad_emails.csv",
               [person(30 + i) for i in range(7)] + [person(40 + i, email=f"broken-{i}") for i in range(3)])
    empty = [person(50 + i) for i in range(5)]
    for row in empty:
        row[APOLLO_HEADER.index("Email")] = ""
    write_list(inputs / "empty_emails.csv", empty)
    _plain_csv(inputs / "no_name.csv", ["Title", "Company", "Email"],
               [["CEO", "Acme", f"boss{i}@acme.de"] for i in range(4)])
    _plain_csv(inputs / "no_email_column.csv", ["First Name", "Last Name", "Company"],
               [["Anna", f"Berg{i}", "Acme"] for i in range(4)])
    (inputs / "do_not_contact.csv").write_text("email\n", encoding="utf-8")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _report_text(path: str) -> str:
    page = _Text()
    page.feed(Path(path).read_text(encoding="utf-8"))
    return " ".join(" ".join(page.parts).split())


@pytest.fixture(scope="module")
def failed_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One `leadpipe run` over the five failing files (module-scoped: the GX runs cost seconds)."""
    home = tmp_path_factory.mktemp("messages")
    (home / "inputs").mkdir()
    _files(home)
    (home / "leadpipe.yaml").write_text(CONFIG, encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LEADPIPE_HOME", str(home))
        mp.delenv("LEADPIPE_WAREHOUSE_URL", raising=False)
        logs: list[str] = []
        handler = logging.Handler()
        handler.emit = lambda record: logs.append(record.getMessage())  # type: ignore[method-assign]
        logger = logging.getLogger("leadpipe")
        logger.addHandler(handler)
        old_level = logger.level
        logger.setLevel(logging.DEBUG)
        try:
            result = CliRunner().invoke(main, ["--config", str(home / "leadpipe.yaml"), "run", "--run-id", "msgs"])
        finally:
            logger.removeHandler(handler)
            logger.setLevel(old_level)
        [path] = (home / "runs").glob("*/summary.json")
        explained = CliRunner().invoke(main, ["--config", str(home / "leadpipe.yaml"), "explain", "john@@acme.com"])
    return {"home": home, "cli": result, "summary": json.loads(path.read_text()), "logs": logs,
            "explain": explained}


def test_the_run_summary_says_failed_with_every_reason_in_plain_words(failed_run: dict) -> None:
    summary = failed_run["summary"]
    assert summary["status"] == "failed"
    assert sorted(summary["reasons"]) == sorted(
        f"{source}: the batch was stopped before any CRM write: {text}" for source, text in STOPPED.items())
    for logged in summary["reasons_for_logs"]:
        assert not any(value in logged for value in PERSONAL)
    assert "(rows 9-11 of bad_emails.csv)" in " ".join(summary["reasons_for_logs"])
    # row-level checks: each check's rows, with the file's row number and the value
    examples = {e for q in summary["quarantine"] for e in q["examples"]}
    assert ROW_REASONS <= examples
    titles = {q["title"]: q["rows"] for q in summary["quarantine"]}
    assert titles["email is not a valid address"] == 1 and titles["no first or last name"] == 1
    assert titles["the whole batch was stopped by a critical check"] == 10 + 5 + 4 + 4


def test_the_report_shows_the_same_sentences_rows_and_values(failed_run: dict) -> None:
    text = _report_text(failed_run["summary"]["outputs"]["report_html"])
    assert "The run failed:" in text
    for source, sentence in STOPPED.items():
        assert f"{source}: the batch was stopped before any CRM write: {sentence}" in text, source
    for reason in ROW_REASONS:  # whole, never cut
        assert reason in text, reason
    # a suite whose only failures are row-level passed: its rows are quarantined, the rest went on
    assert "lead values (row_checks) passed, 4 rows quarantined" in text
    assert "columns and size (no_name) stopped the batch" in text
    assert "failed" not in text.replace("The run failed:", "")


def test_leadpipe_run_prints_the_status_and_the_reasons(failed_run: dict) -> None:
    result = failed_run["cli"]
    assert result.exit_code == 1
    assert "  status: FAILED" in result.output
    for source, sentence in STOPPED.items():
        assert f"  why: {source}: the batch was stopped before any CRM write: {sentence}" in result.output
    # row-level checks: each quarantined row's whole reason, with the file's row number and the value
    assert "  quarantined 1 row: email is not a valid address" in result.output
    for reason in ROW_REASONS:
        assert f"    - {reason}" in result.output, reason


def test_the_funnel_in_the_task_log_names_checks_but_never_the_values(failed_run: dict) -> None:
    from leadpipe.pipeline.funnel import format_funnel

    logged = format_funnel(failed_run["summary"], for_logs=True)
    assert "  quarantined 1 row: no first or last name" in logged and "(rows 9-11 of bad_emails.csv)" in logged
    assert not any(value in logged for value in PERSONAL)


def test_logs_name_rows_but_never_the_values(failed_run: dict) -> None:
    logged = "\n".join(failed_run["logs"])
    assert "rows 9-11 of bad_emails.csv" in logged  # the stopped batch, by the file's rows
    assert not any(value in logged for value in PERSONAL)


def test_leadpipe_explain_shows_the_row_and_the_reason(failed_run: dict) -> None:
    result = failed_run["explain"]
    assert result.exit_code == 0, result.output
    assert ("row_checks: row 4 of row_checks.csv: quarantined - the email 'john@@acme.com' in row 4 of "
            "row_checks.csv is not a valid address") in result.output


def test_leadpipe_validate_says_the_same(failed_run: dict) -> None:
    home = failed_run["home"]
    rows = CliRunner().invoke(main, ["--config", str(home / "leadpipe.yaml"), "validate",
                                     str(home / "inputs" / "row_checks.csv"), "--json"])
    assert rows.exit_code == 0, rows.output
    report = json.loads(rows.output)
    assert [s["verdict"] for s in report["suites"]] == ["passed", "passed, 4 rows quarantined"]
    assert set(report["suites"][1]["row_reasons"].values()) == ROW_REASONS
    assert sorted(int(r) for r in report["suites"][1]["row_reasons"]) == [4, 6, 8, 10]
    for source, sentence in STOPPED.items():
        stopped = CliRunner().invoke(main, ["--config", str(home / "leadpipe.yaml"), "validate",
                                            str(home / "inputs" / f"{source}.csv"), "--source", source])
        assert stopped.exit_code == 1, stopped.output
        assert f"stops the list: {sentence}" in stopped.output, source


def test_a_failed_step_marks_the_run_failed_until_a_retry_succeeds(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The DAG notes a task that failed (other than a stopped batch) so summary.json says which step failed."""
    from leadpipe.pipeline.context import RunContext
    from leadpipe.pipeline.settings import load_config
    from leadpipe.pipeline.summarise import run_status

    monkeypatch.setenv("LEADPIPE_HOME", str(tmp_path))
    ctx = RunContext(load_config(), "r1")
    assert run_status(ctx) == ("succeeded", [], [])
    ctx.note("stage_errors", "push", "ConnectionError, see the task's log")
    assert run_status(ctx)[:2] == ("failed", ["the step push failed: ConnectionError, see the task's log"])
    ctx.forget_note("stage_errors", "push")  # the retry went through
    assert run_status(ctx)[0] == "succeeded"


def _every_check():
    """Every check of every suite, built with every option that adds checks (volume history, CRM-required
    fields, each do-not-contact list)."""
    from expectations.normalised_leads import build_normalised_leads_suite
    from expectations.prospects import CrmFields, DoNotContact, build_prospects_suite
    from expectations.raw_batch import VolumeHistory, build_raw_batch_suite
    from expectations.settings import ValidationConfig

    thresholds = ValidationConfig(required_columns=["email", "company"]).for_source("vendor_x")
    suites = [
        build_raw_batch_suite(thresholds, VolumeHistory((100, 100, 100))),
        build_normalised_leads_suite(),
        build_prospects_suite(CrmFields(("email", "last_name", "company"), ("email", "last_name", "company")), 40, 85,
                              DoNotContact(frozenset({"a@b.de"}), frozenset({"b.de"}), frozenset({"+4930123456"}))),
    ]
    return [check for suite in suites for check in suite.checks]


GX_WORDS = ("expect_", "min_value", "max_value", "strict_min", "observed", "raw_row_id", "unexpected", "_status",
            "any_name_given", "has_name", "email_domain", "failed the check", "check '")


def test_every_check_of_every_suite_has_a_plain_sentence_with_rows_and_value() -> None:
    """No check falls back to Great Expectations' terms: each row-level sentence names the file's row (as a
    spreadsheet numbers it) and the offending value; each table-level sentence says what is wrong in words."""
    from expectations.messages import _TABLE_TITLES, Example, Finding, place, row_sentence, title

    checks = _every_check()
    assert len({c.name for c in checks}) >= 20  # the three suites' checks, not a subset
    for check in checks:
        exp = check.expectation
        kind, column = exp.expectation_type, getattr(exp, "column", None)
        kwargs = {k: getattr(exp, k) for k in ("min_value", "max_value", "mostly") if getattr(exp, k, None) is not None}
        heading = title(kind, column)
        assert not any(w in heading for w in GX_WORDS), (check.name, heading)
        if kind in _TABLE_TITLES:
            for observed in (0, 3, 10_000):
                said = Finding(check.name, check.severity, kind, column, kwargs, observed=observed).text()
                assert said and not any(w in said for w in GX_WORDS), (check.name, said)
            continue
        # no value to quote: the failing value is the empty cell itself, or our own row link (a pipeline bug)
        missing = kind == "expect_column_values_to_not_be_null" or column == "raw_row_id"
        value = None if missing else "bad value 1"
        one = row_sentence(kind, column, place("vendor_x.csv", 56), value, kwargs=kwargs)
        assert "row 57 of vendor_x.csv" in one and (missing or "'bad value 1'" in one), (check.name, one)
        assert not any(w in one for w in GX_WORDS), (check.name, one)
        logged = row_sentence(kind, column, place("vendor_x.csv", 56), value, values=False, kwargs=kwargs)
        assert "bad value 1" not in logged and "row 57 of vendor_x.csv" in logged, (check.name, logged)
        batch = Finding(check.name, check.severity, kind, column, kwargs, failed=4, checked=10,
                        examples=tuple(Example("vendor_x.csv", n, None if missing else f"bad value {n}")
                                       for n in (5, 6, 7, 8)))
        said = batch.text()
        assert "rows 6-9 of vendor_x.csv" in said and (missing or "'bad value 5'" in said), (check.name, said)
        assert not any(w in said for w in GX_WORDS), (check.name, said)
        assert "bad value" not in batch.text(values=False) and "rows 6-9" in batch.text(values=False)
