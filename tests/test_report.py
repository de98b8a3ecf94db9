"""The HTML run report: written by every run, linked from summary.json, and it shows the funnel."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.add(tag)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


@pytest.mark.slow
def test_demo_run_writes_a_report_with_the_funnel(demo_home: Path) -> None:
    from leadpipe.pipeline.run import run_pipeline
    from leadpipe.pipeline.settings import load_config

    summary = run_pipeline(load_config())
    saved = json.loads(Path(summary["summary_path"]).read_text())
    report = Path(saved["outputs"]["report_html"])
    assert report.exists() and report.parent == Path(saved["outputs"]["run_folder"])

    page = _Text()
    page.feed(report.read_text(encoding="utf-8"))
    text = " ".join(page.parts)
    assert "script" not in page.tags and "svg" in page.tags  # charts without JavaScript
    f = saved["funnel"]
    for label, value in [("rows in", saved["raw_rows"]), ("valid rows", f["valid"]),
                         ("unique people", f["unique_people"]), ("qualified prospects", f["qualified"]),
                         ("pushed to the CRM", f["pushed"])]:
        assert re.search(rf"{label}\s+{value:,}\b", text), label
    for source, counts in saved["by_source"].items():  # the outcomes-by-source table
        assert re.search(rf"{source}\s+{counts['raw_rows']:,}\s+{counts['pushed']:,}", text), source
    for heading in ("Segments and personas", "Data quality", "Top quarantine reasons", "Top suppression reasons",
                    "CRM results"):
        assert heading in text
    html_text = report.read_text(encoding="utf-8")
    assert "file://" not in html_text  # links are relative: they work from the run folder and through the UI
    hrefs = re.findall(r'href="([^"]+)"', html_text)
    assert saved["data_docs"] and hrefs
    for docs in saved["data_docs"].values():  # each Data Docs link, followed from the report's folder, finds it
        assert any((report.parent / h).resolve() == Path(docs).resolve() for h in hrefs), docs
    for h in hrefs:
        assert not h.startswith("/") and (report.parent / h).exists(), h


def test_report_escapes_reasons_from_the_data() -> None:
    from leadpipe.pipeline.report import bar_chart

    svg = bar_chart([("<img src=x onerror=alert(1)>", 3)])
    assert "<img" not in svg and "&lt;img" in svg


def test_whole_reasons_and_quarantined_rows_are_escaped_never_cut() -> None:
    from leadpipe.pipeline.report import _quarantined_rows, _reason_table

    reason = "the email '<img src=x onerror=alert(1)>' in row 57 of vendor_x.csv is not a valid address" * 2
    html = _reason_table([(reason, 3)], "#c62828", "quarantine reasons")
    html += _quarantined_rows([("vendor_x", "row 57 of vendor_x.csv", reason)], total=1)
    assert "<img" not in html and "&lt;img" in html
    assert html.count("is not a valid address") == 4  # twice per reason, in both tables: nothing cut
