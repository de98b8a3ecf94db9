"""Hostile outputs: control characters from a file never reach the CRM or the operator's terminal.

Issue #17: control characters survived normalisation and reached the terminal through `explain`. A vendor file
here carries, in its cells and even in its file name, an ESC sequence that clears the screen (`\\x1b[2J`), an
OSC 8 hyperlink, BEL, NUL, NEL (U+0085, a C1 control) and a right-to-left override (U+202E, "Trojan Source"):
normalisation removes them all from every text field (a tab or line break inside a value becomes a space), and
everything the CLI prints escapes what is left (`\\x1b`, `\\u202e`). Commands run with click's `color=True`, as
on a terminal: without it click strips some ANSI codes itself and the test would prove nothing.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from enrichment.normalise import normalise_frame
from leadpipe.cli import main
from leadpipe.core.schema import MAPPABLE_FIELDS
from leadpipe.pipeline.explain import format_explanation
from leadpipe.pipeline.run import run_pipeline
from leadpipe.pipeline.settings import load_config
from tests.homes import write_config

ESC_CLEAR = "\x1b[2J"
OSC_LINK = "\x1b]8;;http://evil.example\x1b\\"
BIDI = ["\u202e", "\u202d", "\u2066", "\u2067", "\u2068", "\u2069", "\u200e", "\u200f", "\u061c"]


def unsafe_chars(text: str) -> list[str]:
    """Characters that act on a terminal or reorder text: C0 and C1 controls (not the layout's newline), DEL,
    line/paragraph separators and the bidi controls (Unicode UAX #9)."""
    return [c for c in text if c != "\n" and (unicodedata.category(c) in ("Cc", "Zl", "Zp") or c in BIDI)]


def test_normalisation_removes_control_characters_from_every_text_field() -> None:
    hostile = f"{ESC_CLEAR}\x07Ac\x00me{OSC_LINK}\u0085Corp\u202e\u2028"
    row = {f: hostile for f in MAPPABLE_FIELDS}
    row |= {"email": "anna@acme.example", "phone": "+49 30 1234567", "country": "DE", "employees": "120",
            "first_name": "\u202eAn\x00na\x1b", "last_name": "M\x07\u00fcller\x1b",
            "job_title": "Head of\tSales\r\n  EMEA", "company": "Acme\x85 GmbH", "city": "Ber\x00lin"}
    out = normalise_frame(pd.DataFrame([row]))
    texts = {c: v for c, v in out.iloc[0].items() if isinstance(v, str)}
    assert {f for f in MAPPABLE_FIELDS if f not in ("employees", "email_consent")} <= set(texts)
    assert {c: v for c, v in texts.items() if unsafe_chars(v)} == {}
    assert texts["job_title"] == "Head of Sales EMEA"  # the tab and the line break became single spaces
    assert texts["company"] == "Acme GmbH" and texts["city"] == "Berlin"
    assert texts["first_name"] == "Anna"
    assert texts["last_name"] == "Müller"
    assert texts["industry"] == "[2JAcme]8;;http://evil.example\\ Corp"  # nothing else of the value is lost
    assert texts["city"] == "Berlin" and texts["postcode"] == texts["industry"].upper()  # postcodes: letters upper-cased


def test_a_value_cannot_act_on_the_terminal_nor_start_a_line_of_its_own() -> None:
    info = {"query": {"kind": "email", "value": "x@y.example"}, "email": f"x@y.example{ESC_CLEAR}",
            "person": None, "candidates": [],
            "rows": [{"source": "vendor\u202e", "file": "a\nFAKE LINE: pushed", "row": 1, "outcome": "quarantined",
                      "reason": "bad\x07row\u0085"}]}
    text = format_explanation(info)
    assert unsafe_chars(text) == []
    assert len(text.splitlines()) == 3 and "a\\x0aFAKE LINE" in text and "\\x1b[2J" in text
    assert "vendor\\u202e" in text and "bad\\x07row\\x85" in text


@pytest.fixture
def hostile_run(home: Path) -> tuple[Path, str, str]:
    """One vendor file whose name and cells carry control characters, run through the whole pipeline."""
    inputs = home / "inputs" / "demo"
    inputs.mkdir(parents=True)
    (inputs / "do_not_contact.csv").write_text("email\n", encoding="utf-8")
    name = f"vendor_apollo_{ESC_CLEAR}\x07\u202egpj.csv"  # an Apollo list with a hostile file name
    header = ["First Name", "Last Name", "Title", "Company", "Email", "Corporate Phone", "Website", "City",
              "State", "Country", "# Employees", "Industry"]
    people = [("Anna", "Adler"), ("Ben", "Becker"), ("Clara", "Conrad"), ("David", "Dietrich"), ("Eva", "Engel"),
              ("Felix", "Fischer"), ("Greta", "Graf"), ("Hans", "Hahn"), ("Ida", "Imhof"), ("Jonas", "Jung"),
              ("Karl", "Keller"), ("Lena", "Lang")]
    rows = [[f"\x07{first}\u202e", f"{last}\x1b", f"CTO\t\r\nBerlin{OSC_LINK}", "Acme\x7f GmbH\u0085",
             f"{first.lower()}.{last.lower()}@acme-gmbh.de", "", "acme-gmbh.de", "Ber\x1b[31mlin", "", "DE", "100",
             "Soft\u2028ware"] for first, last in people]
    with (inputs / name).open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    config = write_config(home / "leadpipe.yaml", lambda d: d.update(sources=[
        {"name": "vendor_apollo", "type": "file", "kind": "purchased",
         "path": "{home}/inputs/demo/vendor_apollo*.csv", "preset": "apollo"}]))
    summary = run_pipeline(load_config(config), "run-hostile")
    assert summary["raw_rows"] == 12
    return config, name, "david.dietrich@acme-gmbh.de"


def _cli(config: Path, *args: str):
    return CliRunner().invoke(main, ["--config", str(config), *args], color=True)  # as on a terminal


def test_explain_escapes_what_the_data_holds(hostile_run: tuple[Path, str, str]) -> None:
    config, name, email = hostile_run
    result = _cli(config, "explain", email)
    assert result.exit_code == 0, result.output
    assert unsafe_chars(result.output) == []
    assert "row 5 of vendor_apollo_\\x1b[2J\\x07\\u202egpj.csv" in result.output  # the file, named and escaped
    assert ": David Dietrich, CTO Berlin]8;;http://evil.example\\ at Acme GmbH (DE)" in result.output

    as_json = _cli(config, "explain", email, "--json")
    assert as_json.exit_code == 0 and unsafe_chars(as_json.output) == []
    assert json.loads(as_json.output)["rows"][0]["file"] == name  # JSON escapes, so nothing is lost


def test_forget_dry_run_escapes_file_names_and_values(hostile_run: tuple[Path, str, str]) -> None:
    config, _, email = hostile_run
    result = _cli(config, "forget", email, "--dry-run")
    assert result.exit_code == 0, result.output
    assert unsafe_chars(result.output) == []
    assert "vendor_apollo_\\x1b[2J\\x07\\u202egpj.csv (1 rows)" in result.output


def test_messages_naming_what_the_user_typed_are_escaped(hostile_run: tuple[Path, str, str]) -> None:
    config, _, _ = hostile_run
    typed = f"{ESC_CLEAR}\x07nobody\u202e"
    result = _cli(config, "explain", typed)
    assert result.exit_code == 1 and unsafe_chars(result.output) == []
    assert "\\x1b[2J\\x07nobody\\u202e" in result.output


def test_connectors_check_escapes_headers_and_file_names(hostile_run: tuple[Path, str, str]) -> None:
    config, name, _ = hostile_run
    folder = Path(load_config(config).home) / "inputs" / "demo"
    text = (folder / name).read_text(encoding="utf-8").replace("Industry", f"Indu{ESC_CLEAR}stry\u202e", 1)
    (folder / name).write_text(text, encoding="utf-8")
    result = _cli(config, "connectors", "check", "vendor_apollo")
    assert unsafe_chars(result.output) == []
    assert "Indu\\x1b[2Jstry\\u202e" in result.output and "\\x1b[2J\\x07\\u202egpj.csv" in result.output


def test_the_log_on_the_terminal_escapes_file_names(hostile_run: tuple[Path, str, str]) -> None:
    """`leadpipe -v run` logs each file it reads (and which rows of it failed a check) to stderr, the operator's
    terminal: the hostile file name appears escaped, and a line break in it cannot start a log line."""
    config, name, _ = hostile_run
    folder = Path(load_config(config).home) / "inputs" / "demo"
    grown = (folder / name).read_text(encoding="utf-8") + "Mia,Maier,CTO,Acme GmbH,mia.maier@acme-gmbh.de,,acme-gmbh.de," \
        "Berlin,,DE,100,Software\r\n"
    (folder / name).unlink()
    (folder / name.replace("gpj.csv", "gpj\nERROR forged.csv")).write_text(grown, encoding="utf-8")
    env = {**os.environ, "LEADPIPE_CONFIG": str(config)}
    done = subprocess.run([str(Path(sys.executable).with_name("leadpipe")), "-v", "run", "--run-id", "log-run"],
                          env=env, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL, check=False)
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert "vendor_apollo_\\x1b[2J\\x07\\u202egpj\\x0aERROR forged.csv" in done.stderr  # it was logged, escaped
    assert unsafe_chars(done.stderr) == [] and unsafe_chars(done.stdout) == []
    assert not any(line.startswith("ERROR forged") for line in done.stderr.splitlines())


def test_the_log_formatter_escapes_the_message_and_keeps_a_traceback_readable() -> None:
    import logging

    from leadpipe.core.redact import MaskingFormatter

    try:
        raise ValueError(f"cannot open postgresql://lp:s3cret@db/x {ESC_CLEAR}")
    except ValueError:
        record = logging.LogRecord("leadpipe", logging.ERROR, __file__, 1, "file %s\n%s", ("a\u202e.csv", BIDI[1]),
                                   sys.exc_info())
    text = MaskingFormatter("%(levelname)s %(message)s").format(record)
    assert text.startswith("ERROR file a\\u202e.csv\\x0a\\u202d\nTraceback (most recent call last):\n")
    assert unsafe_chars(text) == [] and "s3cret" not in text and "\\x1b[2J" in text


def test_the_funnel_escapes_reasons_and_warnings_for_the_terminal_and_the_task_log() -> None:
    """The summarise task prints the funnel into its task log (`airflow dags test` shows it on a terminal)
    and `leadpipe run` prints it: a file name's ESC sequence or line break stays inside its own line."""
    from leadpipe.pipeline.funnel import format_funnel

    bad = f"h{ESC_CLEAR}\nstatus: succeeded\u202e.csv"
    summary = {"run_id": "r1", "raw_rows": 0, "outcomes": {"pushed": 0},
               "funnel": {"rows_in": {}, "valid": 0, "unique_people": 0, "qualified": 0, "pushed": 0},
               "status": "failed", "reasons": [f"v could not be read: {bad}: no data rows"],
               "reasons_for_logs": [f"v could not be read: {bad}: no data rows"],
               "source_warnings": {"w": [f"no file matches {bad!s}"]}, "outputs": {}}
    for for_logs in (False, True):
        text = format_funnel(summary, for_logs=for_logs)
        assert unsafe_chars(text) == []
        assert "  why: v could not be read: h\\x1b[2J\\x0astatus: succeeded\\u202e.csv: no data rows" in text
        assert [line for line in text.splitlines() if line.lstrip().startswith("status:")] == ["  status: FAILED"]
